import { ParameterError } from "../core/errors.js";
import { PAGE_SIZES, PAGE_SIZE_CODE, type PageSize } from "../core/units.js";
import { LruTlb, type TlbGeometry } from "./lru-tlb.js";

/** Shift from a 4K page number to the page number at size code 0/1/2 (4K/2M/1G). */
export const PN_SHIFT: readonly number[] = [0, 9, 18];

/** Where an access was translated. */
export const HIT_L1 = 0;
export const HIT_STLB = 1;
export const PAGE_WALK = 2;

export interface TlbHierarchyConfig {
  /** Shown in charts and JSON. */
  name: string;
  /** First-level DTLB, one structure per page size; a missing size is never cached at L1. */
  l1: Partial<Record<PageSize, TlbGeometry>>;
  /** Second-level (shared) TLB and the page sizes it holds. */
  stlb?: { geometry: TlbGeometry; sizes: readonly PageSize[] };
  /** Where the numbers come from; `assumed` lists values that are not from a read source. */
  source?: string;
  assumed?: readonly string[];
}

export interface TlbCounters {
  accesses: number;
  l1Hits: number;
  stlbHits: number;
  /** Accesses that missed every level and needed a page walk. */
  walks: number;
  /** Walks per page size: [4K, 2M, 1G]. */
  walksBySize: [number, number, number];
}

/**
 * Two-level data TLB: per-size L1 DTLBs in front of a unified STLB (as on Intel and AMD cores).
 * A hit in the STLB refills L1; a walk fills both (inclusive fill). No allocation per access.
 */
export class TlbHierarchy {
  readonly l1: (LruTlb | null)[];
  readonly stlb: LruTlb | null;
  /**
   * The hot path's view, as the C reference's: a dense array of structures (a size with no L1
   * points at a placeholder that is never used) and one bit per size code saying whether the L1
   * (l1Mask) or the STLB (stlbMask) holds that size. A bit test is cheaper in V8 than a null
   * check on a mixed array.
   */
  private readonly l1Dense: LruTlb[];
  private readonly l1Mask: number;
  private readonly stlbDense: LruTlb;
  private readonly stlbMask: number;
  l1Hits = 0;
  stlbHits = 0;
  walks = 0;
  readonly walksBySize: [number, number, number] = [0, 0, 0];

  constructor(readonly config: TlbHierarchyConfig) {
    this.l1 = PAGE_SIZES.map((s) => {
      const g = config.l1[s];
      return g ? new LruTlb(g, `l1.${s}`) : null;
    });
    this.stlb = config.stlb ? new LruTlb(config.stlb.geometry, "stlb") : null;
    if (this.l1.every((t) => t === null) && !this.stlb) {
      throw new ParameterError("tlb", "the hierarchy has no TLB at all", "give at least one L1 or an STLB");
    }
    const placeholder = new LruTlb({ entries: 1, ways: 1 }, "unused");
    this.l1Dense = this.l1.map((t) => t ?? placeholder);
    this.l1Mask = this.l1.reduce((m, t, c) => (t ? m | (1 << c) : m), 0);
    this.stlbDense = this.stlb ?? placeholder;
    this.stlbMask = this.stlb && config.stlb ? PAGE_SIZES.reduce((m, s, c) => (config.stlb!.sizes.includes(s) ? m | (1 << c) : m), 0) : 0;
  }

  /** Where the translation of 4K page `vpn` (size code `code`) is found: HIT_L1, HIT_STLB or PAGE_WALK. Fills on a miss; counts nothing here. */
  private translate(vpn: number, code: number): number {
    const pn = vpn >>> (9 * code); // PN_SHIFT[code]
    if (((this.l1Mask >> code) & 1) !== 0 && this.l1Dense[code].access(pn, code)) return HIT_L1;
    if (((this.stlbMask >> code) & 1) !== 0 && this.stlbDense.access(pn, code)) return HIT_STLB;
    return PAGE_WALK;
  }

  /** Translates 4K page number `vpn` mapped with size code `code`; returns HIT_L1, HIT_STLB or PAGE_WALK. */
  access(vpn: number, code: number): number {
    const r = this.translate(vpn, code);
    if (r === HIT_L1) this.l1Hits++;
    else if (r === HIT_STLB) this.stlbHits++;
    else {
      this.walks++;
      this.walksBySize[code]++;
    }
    return r;
  }

  /**
   * Replays a whole trace of 4K page numbers whose size codes come from `regionCode` (one per
   * 2M region). Same result as calling access() for each, with the counters kept in locals
   * (the hot loop of runTrace and the benchmark).
   */
  replay(trace: Uint32Array, regionCode: Uint8Array): void {
    const l1 = this.l1Dense, l1Mask = this.l1Mask;
    const stlb = this.stlbDense, stlbMask = this.stlbMask;
    const walks = new Float64Array(3); // indexed by size code: a branch on the code would mispredict
    let l1Hits = 0, stlbHits = 0;
    for (let i = 0; i < trace.length; i++) {
      const vpn = trace[i];
      const code = regionCode[vpn >>> 9];
      const pn = vpn >>> (9 * code); // PN_SHIFT[code]
      if (((l1Mask >> code) & 1) !== 0 && l1[code].access(pn, code)) l1Hits++;
      else if (((stlbMask >> code) & 1) !== 0 && stlb.access(pn, code)) stlbHits++;
      else walks[code]++;
    }
    this.l1Hits += l1Hits;
    this.stlbHits += stlbHits;
    for (let c = 0; c < 3; c++) {
      this.walks += walks[c];
      this.walksBySize[c] += walks[c];
    }
  }

  /** Every access ends in exactly one of the three outcomes, so it is not counted separately. */
  get accesses(): number {
    return this.l1Hits + this.stlbHits + this.walks;
  }

  counters(): TlbCounters {
    return {
      accesses: this.accesses,
      l1Hits: this.l1Hits,
      stlbHits: this.stlbHits,
      walks: this.walks,
      walksBySize: [this.walksBySize[0], this.walksBySize[1], this.walksBySize[2]],
    };
  }

  flush(): void {
    for (const t of this.l1) t?.flush();
    this.stlb?.flush();
  }

  resetCounters(): void {
    this.l1Hits = this.stlbHits = this.walks = 0;
    this.walksBySize.fill(0);
    for (const t of this.l1) t?.resetCounters();
    this.stlb?.resetCounters();
  }

  /** Entries × page size summed over what can be cached at once for one page size (TLB reach). */
  reachBytes(size: PageSize): number {
    const code = PAGE_SIZE_CODE[size];
    const l1 = this.l1[code]?.entries ?? 0;
    const l2 = ((this.stlbMask >> code) & 1) !== 0 ? this.stlbDense.entries : 0;
    // Inclusive fill: the STLB bounds reach when present; L1 adds nothing beyond it.
    return Math.max(l1, l2) * 2 ** (12 + 9 * code);
  }
}
