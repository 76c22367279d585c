// Exercise 1.3 — One set of an LRU TLB (Chapter 1).
// Write the set yourself; the tests replay seeded traces through your TLB and the library's
// LruTlb (src/tlb/lru-tlb.ts) and compare every hit, miss and eviction.
// Reference solution: the student's file is generated from this one (see src/grader/stubs.ts). // reference-only

/**
 * One set of a set-associative TLB with true LRU replacement: it holds at most `ways` tags.
 * A hit makes the tag the most recently used; a fill into a full set evicts the least
 * recently used tag.
 */
export class LruSet {
  // BEGIN SOLUTION
  /** Tags held, most recently used first. */
  private readonly order: number[] = [];
  // END SOLUTION

  constructor(readonly ways: number) {
    if (!Number.isInteger(ways) || ways < 1) throw new RangeError(`ways must be a whole number ≥ 1, got ${ways}`);
  }

  /** True if `tag` is held; on a hit, `tag` becomes the most recently used. A miss changes nothing. */
  lookup(tag: number): boolean {
    // BEGIN SOLUTION: find the tag; on a hit move it to the most-recently-used position
    const i = this.order.indexOf(tag);
    if (i < 0) return false;
    this.order.splice(i, 1);
    this.order.unshift(tag);
    return true;
    // END SOLUTION
  }

  /**
   * Inserts `tag` (not held yet) as the most recently used. If the set was full, evicts the
   * least recently used tag and returns it; otherwise returns undefined.
   */
  fill(tag: number): number | undefined {
    // BEGIN SOLUTION: evict the least recently used tag when the set is full, then insert
    const victim = this.order.length >= this.ways ? this.order.pop() : undefined;
    this.order.unshift(tag);
    return victim;
    // END SOLUTION
  }

  /** One translation: a lookup, and a fill on a miss. Returns true on a hit. */
  access(tag: number): boolean {
    // BEGIN SOLUTION: lookup, then fill on a miss
    if (this.lookup(tag)) return true;
    this.fill(tag);
    return false;
    // END SOLUTION
  }

  /** The tags held, most recently used first. */
  contents(): number[] {
    // BEGIN SOLUTION: a copy of what the set holds, most recently used first
    return this.order.slice();
    // END SOLUTION
  }
}

/**
 * A set-associative TLB made of `entries / ways` LruSets. Page number `pn` goes to set
 * `pn % sets` (hardware indexes with the low bits of the page number).
 */
export class SetAssociativeTlb {
  readonly sets: number;
  // BEGIN SOLUTION
  private readonly table: LruSet[] = [];
  // END SOLUTION

  constructor(readonly entries: number, readonly ways: number) {
    if (!Number.isInteger(entries) || !Number.isInteger(ways) || ways < 1 || entries % ways !== 0) {
      throw new RangeError(`${entries} entries cannot be split into sets of ${ways} ways`);
    }
    this.sets = entries / ways;
    // BEGIN SOLUTION
    for (let s = 0; s < this.sets; s++) this.table.push(new LruSet(ways));
    // END SOLUTION
  }

  /** Translates page number `pn`: true on a hit, false on a miss (which fills it). */
  access(pn: number): boolean {
    // BEGIN SOLUTION: pick the set with pn % sets and access it
    return this.table[pn % this.sets].access(pn);
    // END SOLUTION
  }
}
