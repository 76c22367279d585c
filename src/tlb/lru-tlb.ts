import { checkInt, ParameterError } from "../core/errors.js";

/** Geometry of one TLB structure. `ways === entries` makes it fully associative. */
export interface TlbGeometry {
  entries: number;
  ways: number;
}

export const EMPTY_TAG = -1;
/** LRU stamps are Int32 (fast in V8); before they overflow, every stamp is shifted down. */
const STAMP_LIMIT = 0x7fffffff;
const STAMP_SHIFT = 0x40000000;

/**
 * A set-associative TLB with true LRU replacement, on typed arrays: no allocation per access.
 *
 * A translation for page number `pn` of a page-size class `code` goes to set `pn % sets`
 * (hardware indexes with the low bits of the page number at that size) and is tagged with
 * `pn * 4 + code`, so one structure can hold several page sizes (a unified STLB). Page numbers
 * stay below 2^29 (MAX_ADDRESS_SPACE), so the tag fits an Int32Array.
 * The C reference in test/c/tlbsim.c implements exactly this, for cross-checking.
 */
export class LruTlb {
  readonly entries: number;
  readonly ways: number;
  readonly sets: number;
  /** sets − 1 when sets is a power of two (index by mask, as hardware does), else −1 (modulo). */
  private readonly setMask: number;
  /**
   * Way w of set s lives at slot i = s * ways + w: its tag at slots[2i], its LRU stamp (last
   * use; 0 = never) at slots[2i + 1]. One array keeps a set's tags and stamps on the same cache
   * lines, and V8 checks one array's bounds (the C reference uses the same layout).
   */
  private readonly slots: Int32Array;
  private clock = 0;
  hits = 0;
  misses = 0;

  constructor(geometry: TlbGeometry, name = "tlb") {
    checkInt(`${name}.entries`, geometry.entries, 1, 1 << 24);
    checkInt(`${name}.ways`, geometry.ways, 1, geometry.entries);
    if (geometry.entries % geometry.ways !== 0) {
      throw new ParameterError(`${name}.ways`, `${geometry.entries} entries cannot be split into sets of ${geometry.ways} ways`, "entries must be a multiple of ways");
    }
    this.entries = geometry.entries;
    this.ways = geometry.ways;
    this.sets = geometry.entries / geometry.ways;
    this.setMask = (this.sets & (this.sets - 1)) === 0 ? this.sets - 1 : -1;
    this.slots = new Int32Array(2 * this.entries);
    this.flush();
  }

  private setBase(pn: number): number {
    return (this.setMask >= 0 ? pn & this.setMask : pn % this.sets) * this.ways * 2;
  }

  /**
   * Looks up page `pn` of size class `code`; on a miss, fills it over the LRU way.
   * Returns true on a hit.
   */
  access(pn: number, code: number): boolean {
    const tag = (pn << 2) | code; // = pn * 4 + code, kept in int32 (pn < 2^29)
    const a = this.slots;
    const ways = this.ways;
    const base = ((this.setMask >= 0 ? pn & this.setMask : pn % this.sets) * ways * 2) | 0;
    let stamp = ++this.clock;
    if (stamp === STAMP_LIMIT) stamp = this.renormalize(); // not a recursive retry: that kept V8 from compiling the scan tightly
    let victim = base;
    let oldest = a[base + 1];
    const end = (base + 2 * ways) | 0;
    for (let i = base; i < end; i = (i + 2) | 0) {
      if (a[i] === tag) {
        a[i + 1] = stamp;
        this.hits++;
        return true;
      }
      // A plain compare-and-branch, as in the C reference (a branch-free minimum is faster in
      // both languages but widens the TS/C gap: see the README's Benchmarks section).
      const st = a[i + 1];
      if (st < oldest) {
        oldest = st;
        victim = i;
      }
    }
    a[victim] = tag;
    a[victim + 1] = stamp;
    this.misses++;
    return false;
  }

  /** Shifts all stamps down by 2^30 (ancient ones clamp to 0); returns the stamp for the current access. The C reference does the same. */
  private renormalize(): number {
    for (let i = 1; i < this.slots.length; i += 2) this.slots[i] = Math.max(0, this.slots[i] - STAMP_SHIFT);
    this.clock = STAMP_LIMIT - STAMP_SHIFT;
    return this.clock;
  }

  /** True if the translation is present; changes neither LRU order nor counters. */
  contains(pn: number, code: number): boolean {
    const tag = (pn << 2) | code;
    const base = this.setBase(pn);
    for (let i = base; i < base + 2 * this.ways; i += 2) if (this.slots[i] === tag) return true;
    return false;
  }

  /** Drops every entry (a full flush, as on an IOTLB invalidation of the whole domain). */
  flush(): void {
    for (let i = 0; i < this.slots.length; i += 2) {
      this.slots[i] = EMPTY_TAG;
      this.slots[i + 1] = 0;
    }
  }

  resetCounters(): void {
    this.hits = 0;
    this.misses = 0;
  }

  /** Number of valid entries (for teaching and tests, not the hot path). */
  occupancy(): number {
    let n = 0;
    for (let i = 0; i < this.slots.length; i += 2) if (this.slots[i] !== EMPTY_TAG) n++;
    return n;
  }
}
