import { checkInt } from "../core/errors.js";
import { EMPTY_TAG, LruTlb, type TlbGeometry } from "./lru-tlb.js";

/**
 * A fully associative true-LRU TLB in O(1) per access: a hash from tag to slot (open
 * addressing, linear probing, backward-shift deletion) and a doubly linked recency list, all in
 * typed arrays. Same hits, misses and slot placement as LruTlb with one set (free slots fill in
 * index order, then the least recently used slot is replaced) — but large IOTLBs (thousands of
 * entries) no longer cost a scan per access.
 */
export class FullyAssociativeLruTlb {
  readonly entries: number;
  readonly ways: number;
  readonly sets = 1;
  hits = 0;
  misses = 0;
  private readonly tags: Int32Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly keys: Int32Array;
  private readonly vals: Int32Array;
  private readonly mask: number;
  private head = -1; // most recently used slot
  private tail = -1; // least recently used slot
  private used = 0;

  constructor(entries: number, name = "tlb") {
    checkInt(`${name}.entries`, entries, 1, 1 << 24);
    this.entries = this.ways = entries;
    this.tags = new Int32Array(entries).fill(EMPTY_TAG);
    this.prev = new Int32Array(entries).fill(-1);
    this.next = new Int32Array(entries).fill(-1);
    let size = 4;
    while (size < entries * 2) size *= 2;
    this.keys = new Int32Array(size).fill(EMPTY_TAG);
    this.vals = new Int32Array(size);
    this.mask = size - 1;
  }

  private home(tag: number): number {
    return Math.imul(tag, 0x9e3779b1) >>> 0 & this.mask;
  }

  private find(tag: number): number {
    for (let h = this.home(tag); ; h = (h + 1) & this.mask) {
      const k = this.keys[h];
      if (k === tag) return this.vals[h];
      if (k === EMPTY_TAG) return -1;
    }
  }

  private insert(tag: number, slot: number): void {
    let h = this.home(tag);
    while (this.keys[h] !== EMPTY_TAG) h = (h + 1) & this.mask;
    this.keys[h] = tag;
    this.vals[h] = slot;
  }

  /** Linear-probing deletion by backward shift, so lookups never meet a tombstone. */
  private remove(tag: number): void {
    const mask = this.mask;
    let h = this.home(tag);
    while (this.keys[h] !== tag) h = (h + 1) & mask;
    for (let j = (h + 1) & mask; this.keys[j] !== EMPTY_TAG; j = (j + 1) & mask) {
      const want = this.home(this.keys[j]);
      // Move j back into the hole at h unless its home lies cyclically in (h, j].
      if (h <= j ? want <= h || want > j : want <= h && want > j) {
        this.keys[h] = this.keys[j];
        this.vals[h] = this.vals[j];
        h = j;
      }
    }
    this.keys[h] = EMPTY_TAG;
  }

  private unlink(s: number): void {
    const p = this.prev[s];
    const n = this.next[s];
    if (p >= 0) this.next[p] = n; else this.head = n;
    if (n >= 0) this.prev[n] = p; else this.tail = p;
  }

  private pushFront(s: number): void {
    this.prev[s] = -1;
    this.next[s] = this.head;
    if (this.head >= 0) this.prev[this.head] = s;
    this.head = s;
    if (this.tail < 0) this.tail = s;
  }

  access(pn: number, code: number): boolean {
    const tag = pn * 4 + code;
    const s = this.find(tag);
    if (s >= 0) {
      if (s !== this.head) {
        this.unlink(s);
        this.pushFront(s);
      }
      this.hits++;
      return true;
    }
    let victim: number;
    if (this.used < this.entries) {
      victim = this.used++;
    } else {
      victim = this.tail;
      this.remove(this.tags[victim]);
      this.unlink(victim);
    }
    this.tags[victim] = tag;
    this.insert(tag, victim);
    this.pushFront(victim);
    this.misses++;
    return false;
  }

  contains(pn: number, code: number): boolean {
    return this.find(pn * 4 + code) >= 0;
  }

  flush(): void {
    this.tags.fill(EMPTY_TAG);
    this.keys.fill(EMPTY_TAG);
    this.prev.fill(-1);
    this.next.fill(-1);
    this.head = this.tail = -1;
    this.used = 0;
  }

  resetCounters(): void {
    this.hits = 0;
    this.misses = 0;
  }

  occupancy(): number {
    return this.used;
  }
}

/** The structure every single TLB shares. */
export type Tlb = Pick<LruTlb, "entries" | "ways" | "sets" | "hits" | "misses" | "access" | "contains" | "flush" | "resetCounters" | "occupancy">;

/**
 * A TLB of the given geometry: fully associative ones of 64+ entries get the O(1) structure,
 * the rest the set-scan LruTlb (what hardware does; also what the C reference mirrors).
 */
export function makeTlb(geometry: TlbGeometry, name = "tlb"): Tlb {
  return geometry.ways === geometry.entries && geometry.entries >= 64
    ? new FullyAssociativeLruTlb(geometry.entries, name)
    : new LruTlb(geometry, name);
}
