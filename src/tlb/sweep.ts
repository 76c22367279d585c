import { checkInt, ParameterError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { PAGE_SIZES, pageSizeBytes, type PageSize } from "../core/units.js";
import { AddressSpace } from "../mm/address-space.js";
import { runTrace } from "../workload/run.js";
import { uniformTrace } from "../workload/trace.js";
import { TlbHierarchy, type TlbHierarchyConfig } from "./hierarchy.js";

/** One point of a hit-rate sweep: a working set mapped at one page size. */
export interface HitRatePoint {
  workingSetBytes: number;
  pageSize: PageSize;
  hitRate: number;
  /** Page walks among the measured accesses (absent in hand-made chart data). */
  walks?: number;
}

export interface HitRateSweepOptions {
  config: TlbHierarchyConfig;
  workingSets: readonly number[];
  pageSizes?: readonly PageSize[];
  /** Measured accesses per point, after as many warm-up accesses. */
  accesses?: number;
  seed?: number;
}

/**
 * Engine sweep: uniform random accesses over each working set, mapped entirely at one page
 * size; hit rate = (L1 + STLB hits) / accesses after a warm-up of the same length.
 */
export function hitRateSweep(o: HitRateSweepOptions): HitRatePoint[] {
  const sizes = o.pageSizes ?? PAGE_SIZES;
  const accesses = o.accesses ?? 100_000;
  checkInt("accesses", accesses, 1, 1 << 24);
  const seed = o.seed ?? 1;
  if (!Array.isArray(o.workingSets) || o.workingSets.length === 0) {
    throw new ParameterError("workingSets", "no working sets to sweep", "pass sizes in bytes, e.g. [parseSize('4M'), parseSize('1G')]");
  }
  const out: HitRatePoint[] = [];
  for (const size of sizes) {
    const unit = pageSizeBytes(size);
    for (const ws of o.workingSets) {
      checkInt("working set", ws, 4096, 2 ** 41);
      const pages = Math.ceil(ws / 4096);
      const space = new AddressSpace(Math.ceil(ws / unit) * unit, size);
      const tlb = new TlbHierarchy(o.config);
      const trace = uniformTrace(pages, 2 * accesses, new Rng(seed));
      runTrace(tlb, space, trace.subarray(0, accesses));
      tlb.resetCounters();
      const c = runTrace(tlb, space, trace.subarray(accesses));
      out.push({ workingSetBytes: ws, pageSize: size, hitRate: (c.l1Hits + c.stlbHits) / c.accesses, walks: c.walks });
    }
  }
  return out;
}

