import { checkInt, ParameterError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { PAGE_SIZES, pageSizeBytes, type PageSize } from "../core/units.js";
import { AddressSpace } from "../mm/address-space.js";
import { effectivePageSize, nestedWalkRefs, walkLevels, walkRefs1D } from "../pgtable/walk.js";
import { TlbHierarchy, type TlbHierarchyConfig } from "../tlb/hierarchy.js";
import { runTrace } from "../workload/run.js";
import { uniformTrace } from "../workload/trace.js";
import type { HitRatePoint, MemcycleChartData, WalkRefsRow } from "./charts.js";

/**
 * Data series for the charts, computed with the library (never retyped numbers), shared by the
 * notebook and the site.
 */

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
export function hitRateSweep(o: HitRateSweepOptions): (HitRatePoint & { walks: number })[] {
  const sizes = o.pageSizes ?? PAGE_SIZES;
  const accesses = o.accesses ?? 100_000;
  checkInt("accesses", accesses, 1, 1 << 24);
  const seed = o.seed ?? 1;
  if (!Array.isArray(o.workingSets) || o.workingSets.length === 0) {
    throw new ParameterError("workingSets", "no working sets to sweep", "pass sizes in bytes, e.g. [parseSize('4M'), parseSize('1G')]");
  }
  const out: (HitRatePoint & { walks: number })[] = [];
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

/** Walk references for native and nested leaf-size pairs (x86-64, 4- or 5-level paging). */
export function walkRefsRows(pagingLevels: 4 | 5 = 4): (WalkRefsRow & { effectivePageSize: PageSize })[] {
  const native = PAGE_SIZES.map((s) => ({
    label: `native ${s}`, refs: walkRefs1D(walkLevels(s, pagingLevels)), kind: "native (1D)" as const, effectivePageSize: s,
  }));
  const pairs: [PageSize, PageSize][] = [["4K", "4K"], ["2M", "2M"], ["2M", "4K"], ["1G", "1G"], ["1G", "4K"]];
  const nested = pairs.map(([g, h]) => ({
    label: `guest ${g} / host ${h}`, refs: nestedWalkRefs(g, h, pagingLevels), kind: "nested (2D)" as const, effectivePageSize: effectivePageSize(g, h),
  }));
  return [...native, ...nested];
}

/** What the MemCycle chart needs from a model (structurally, so viz does not depend on src/thp). */
export interface MemcycleModelLike {
  predict(fraction: number): { fraction: number; throughputChangePercent: number };
  residuals(): { fraction: number; publishedPercent: number; predictedPercent: number; residualPp: number }[];
}

/** The model's curve from 0 to `maxFraction`, the published points and the predictions at them. */
export function memcycleSeries(model: MemcycleModelLike, maxFraction = 0.3, steps = 31): MemcycleChartData {
  checkInt("steps", steps, 2, 10_000);
  if (!(maxFraction > 0 && maxFraction <= 1)) throw new ParameterError("maxFraction", `${maxFraction} is not in (0, 1]`);
  const curve = [];
  for (let i = 0; i < steps; i++) {
    const f = (maxFraction * i) / (steps - 1);
    curve.push({ fraction: f, changePercent: model.predict(f).throughputChangePercent });
  }
  const res = model.residuals();
  return {
    curve,
    published: res.map((r) => ({ fraction: r.fraction, changePercent: r.publishedPercent })),
    predicted: res.map((r) => ({ fraction: r.fraction, changePercent: r.predictedPercent })),
  };
}
