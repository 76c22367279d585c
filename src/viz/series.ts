import { checkInt, ParameterError } from "../core/errors.js";
import { PAGE_SIZES, type PageSize } from "../core/units.js";
import { effectivePageSize, nestedWalkRefs, walkLevels, walkRefs1D } from "../pgtable/walk.js";
import type { MemcycleChartData, WalkRefsRow } from "./charts.js";

/**
 * Data series for the charts, computed with the library (never retyped numbers), shared by the
 * notebook and the site.
 */

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
