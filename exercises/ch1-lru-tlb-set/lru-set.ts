// Exercise 1.3 — One set of an LRU TLB (Chapter 1).
// Write the set yourself; the tests replay seeded traces through your TLB and the library's
// LruTlb (src/tlb/lru-tlb.ts) and compare every hit, miss and eviction.

/**
 * One set of a set-associative TLB with true LRU replacement: it holds at most `ways` tags.
 * A hit makes the tag the most recently used; a fill into a full set evicts the least
 * recently used tag.
 */
export class LruSet {
  // TODO: add what you need here

  constructor(readonly ways: number) {
    if (!Number.isInteger(ways) || ways < 1) throw new RangeError(`ways must be a whole number ≥ 1, got ${ways}`);
  }

  /** True if `tag` is held; on a hit, `tag` becomes the most recently used. A miss changes nothing. */
  lookup(tag: number): boolean {
    throw new Error("TODO: find the tag; on a hit move it to the most-recently-used position");
  }

  /**
   * Inserts `tag` (not held yet) as the most recently used. If the set was full, evicts the
   * least recently used tag and returns it; otherwise returns undefined.
   */
  fill(tag: number): number | undefined {
    throw new Error("TODO: evict the least recently used tag when the set is full, then insert");
  }

  /** One translation: a lookup, and a fill on a miss. Returns true on a hit. */
  access(tag: number): boolean {
    throw new Error("TODO: lookup, then fill on a miss");
  }

  /** The tags held, most recently used first. */
  contents(): number[] {
    throw new Error("TODO: a copy of what the set holds, most recently used first");
  }
}

/**
 * A set-associative TLB made of `entries / ways` LruSets. Page number `pn` goes to set
 * `pn % sets` (hardware indexes with the low bits of the page number).
 */
export class SetAssociativeTlb {
  readonly sets: number;
  // TODO: add what you need here

  constructor(readonly entries: number, readonly ways: number) {
    if (!Number.isInteger(entries) || !Number.isInteger(ways) || ways < 1 || entries % ways !== 0) {
      throw new RangeError(`${entries} entries cannot be split into sets of ${ways} ways`);
    }
    this.sets = entries / ways;
    // TODO: add what you need here
  }

  /** Translates page number `pn`: true on a hit, false on a miss (which fills it). */
  access(pn: number): boolean {
    throw new Error("TODO: pick the set with pn % sets and access it");
  }
}
