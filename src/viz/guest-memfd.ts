import * as Plot from "@observablehq/plot";
import { ParameterError } from "../core/errors.js";
import { formatSize } from "../core/units.js";
import type { GfnRun, GmemOutcomeRow, GmemStripLane, GmemZapRow } from "../guest_memfd/series.js";
import { resolveDocument, resolvePalette, type ChartElement, type ChartOptions, type ChartPalette } from "./charts.js";

/**
 * Chapter 4 chart builders (guest_memfd and the secure world), on Observable Plot. Browser-safe
 * like charts.ts: they take series from src/guest_memfd/series.ts and return Plot's element; pass
 * `document` (linkedom in Node, see node.ts) and optionally a palette.
 */

const doc = resolveDocument;
const palette = (options: ChartOptions): ChartPalette => resolvePalette(options.palette);

const fmt = (n: number) => n.toLocaleString("en-US");

export type GmemZapMetric = "zappedGfns" | "healthyGfnsLost" | "stage2Leaves";
export interface GmemZapChartOptions extends ChartOptions {
  metric?: GmemZapMetric;
}

const ZAP_LABEL: Record<GmemZapMetric, string> = {
  zappedGfns: "GFNs zapped from stage-2 (count)",
  healthyGfnsLost: "healthy GFNs lost (count)",
  stage2Leaves: "stage-2 leaves for the folio (count)",
};

/**
 * What one error costs, per folio size (groups) and policy (bars): GFNs zapped, healthy GFNs the
 * guest cannot fault back, or the stage-2 leaves left for the folio. Symlog axis (zero stays zero);
 * each bar carries its number.
 */
export function gmemZapChart(rows: readonly GmemZapRow[], options: GmemZapChartOptions = {}): ChartElement {
  if (!Array.isArray(rows) || rows.length === 0) throw new ParameterError("rows", "no data to plot", "pass gmemZapRows()");
  const metric = options.metric ?? "zappedGfns";
  if (!(metric in ZAP_LABEL)) throw new ParameterError("metric", `"${String(metric)}" is not a metric`, `use ${Object.keys(ZAP_LABEL).join(", ")}`);
  const pal = palette(options);
  const policies = [...new Set(rows.map((r) => r.policy))];
  const sizes = [...new Set(rows.map((r) => r.folioSize))];
  const colours = [pal.poisoned, pal.healthy, pal.model];
  const max = Math.max(1, ...rows.map((r) => r[metric]));
  const title = options.title ?? `One memory error: ${ZAP_LABEL[metric]}`;
  return Plot.plot({
    document: doc(options) as never,
    width: options.width ?? 680,
    height: options.height ?? 320,
    marginLeft: 70,
    title,
    caption: options.caption ?? "One error in the middle of a folio, per folio size. zap-folio is mainline kvm_gmem_error_folio(); keep-mapped and split-then-zap are proposals. 2M and 1G folios are the 1G RFC's, not mainline's. Symlog scale.",
    ariaLabel: title,
    ariaDescription: rows.map((r) => `${r.folioSize} ${r.policy}: ${fmt(r[metric])}`).join("; ") + ".",
    fx: { label: "guest_memfd folio size", domain: sizes },
    x: { axis: null, domain: policies },
    y: { type: "symlog", label: ZAP_LABEL[metric], grid: true, domain: [0, max * 2], ticks: [0, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000].filter((t) => t <= max * 2), tickFormat: (v: number) => fmt(v) },
    color: { domain: policies, range: policies.map((_, i) => colours[i % colours.length]), legend: true },
    marks: [
      Plot.barY(rows, { fx: "folioSize", x: "policy", y: metric, fill: "policy", title: (d: GmemZapRow) => `${d.folioSize}, ${d.policy}: ${fmt(d[metric])}` }),
      Plot.text(rows, { fx: "folioSize", x: "policy", y: metric, text: (d: GmemZapRow) => fmt(d[metric]), dy: -7, fontSize: 10 }),
      Plot.ruleY([0]),
    ],
  }) as unknown as ChartElement;
}

/**
 * The GFNs of a small VM after one error, one lane per policy: which GFNs stage-2 still maps, which
 * were zapped, and where the poisoned page is (a red tick, since 4K is invisible next to 1G).
 */
export function gmemGfnStripChart(lanes: readonly GmemStripLane[], options: ChartOptions = {}): ChartElement {
  if (!Array.isArray(lanes) || lanes.length === 0) throw new ParameterError("lanes", "no lanes to draw", "pass gmemStripLanes({ folioSize })");
  const pal = palette(options);
  const states = ["mapped", "zapped", "poisoned, mapped", "poisoned, zapped"];
  const colour = [pal.healthy, pal.neutral, pal.warning, pal.poisoned];
  const from = Math.min(...lanes.map((l) => l.from));
  const to = Math.max(...lanes.map((l) => l.to));
  const rows = lanes.flatMap((l) => l.runs.map((r: GfnRun) => ({ lane: l.label, state: r.state, x1: (r.start - from) * 4096, x2: (r.end - from) * 4096, gfns: r.end - r.start })));
  const ticks = lanes.map((l) => ({ lane: l.label, x: (l.poisonedGfn - from + 0.5) * 4096 }));
  const span = (to - from) * 4096;
  const title = options.title ?? `GFNs after one error (${formatSize(span / 3)} folios)`;
  const desc = lanes.map((l) => `${l.label}: ${l.runs.map((r: GfnRun) => `${fmt(r.end - r.start)} ${r.state}`).join(", ")}`);
  return Plot.plot({
    document: doc(options) as never,
    width: options.width ?? 720,
    height: options.height ?? 60 + lanes.length * 40,
    marginLeft: 110,
    title,
    caption: options.caption ?? "Three folios of private memory; the error is in the middle one. Green: mapped in stage-2. Grey: zapped (a vCPU access exits to the VMM or faults back in). Red tick: the poisoned 4K page.",
    ariaLabel: title,
    ariaDescription: desc.join(". ") + ".",
    x: { label: "guest physical offset", domain: [0, span], ticks: [0, span / 3, (2 * span) / 3, span], tickFormat: (v: number) => (v === 0 ? "0" : formatSize(v)) },
    y: { label: null, domain: lanes.map((l) => l.label) },
    color: { domain: states, range: colour, legend: true },
    marks: [
      Plot.barX(rows, { x1: "x1", x2: "x2", y: "lane", fill: "state", title: (d: { state: string; gfns: number }) => `${fmt(d.gfns)} GFNs ${d.state}` }),
      Plot.tickX(ticks, { x: "x", y: "lane", stroke: pal.poisoned, strokeWidth: 3 }),
    ],
  }) as unknown as ChartElement;
}

export type GmemOutcomeMetric = "healthyGfnsLost" | "exits" | "dmaFaults" | "consumptions" | "stage2Leaves";
export interface GmemOutcomeChartOptions extends ChartOptions {
  metric?: GmemOutcomeMetric;
}

const OUTCOME_LABEL: Record<GmemOutcomeMetric, string> = {
  healthyGfnsLost: "healthy GFNs lost",
  exits: "KVM_EXIT_MEMORY_FAULT exits",
  dmaFaults: "device DMA faults",
  consumptions: "poison consumed again",
  stage2Leaves: "stage-2 leaves",
};

/** A policy × CoCo design grid for one metric of a seeded run (gmemOutcomeRows()); darker = more. */
export function gmemOutcomeChart(rows: readonly GmemOutcomeRow[], options: GmemOutcomeChartOptions = {}): ChartElement {
  if (!Array.isArray(rows) || rows.length === 0) throw new ParameterError("rows", "no data to plot", "pass gmemOutcomeRows(run)");
  const metric = options.metric ?? "exits";
  if (!(metric in OUTCOME_LABEL)) throw new ParameterError("metric", `"${String(metric)}" is not a metric`, `use ${Object.keys(OUTCOME_LABEL).join(", ")}`);
  const pal = palette(options);
  const policies = [...new Set(rows.map((r) => r.policy))];
  const designs = [...new Set(rows.map((r) => r.designName))];
  const max = Math.max(...rows.map((r) => r[metric]));
  const title = options.title ?? `${OUTCOME_LABEL[metric]}, per policy and CoCo design`;
  return Plot.plot({
    document: doc(options) as never,
    width: options.width ?? 680,
    height: options.height ?? 70 + designs.length * 44,
    marginLeft: 190,
    title,
    caption: options.caption ?? "One seeded run per cell: the same errors, vCPU accesses and DMAs. Designs marked * give the device its own IOMMU tables; unmarked ones share the CPU's stage-2. Design records that are assumptions are listed with the run.",
    ariaLabel: title,
    ariaDescription: rows.map((r) => `${r.designName}, ${r.policy}: ${fmt(r[metric])}`).join("; ") + ".",
    x: { label: null, domain: policies, axis: "top" },
    y: { label: null, domain: designs, tickFormat: (d: string) => {
      const r = rows.find((x) => x.designName === d);
      return r && r.hasDevice && !r.iommuSharesStage2 ? `${d} *` : d;
    } },
    color: { type: "linear", domain: [0, Math.max(1, max)], range: ["#f4f4f5", metric === "stage2Leaves" ? pal.model : pal.poisoned], legend: false },
    marks: [
      Plot.cell(rows, { x: "policy", y: "designName", fill: metric, inset: 1 }),
      Plot.text(rows, { x: "policy", y: "designName", text: (d: GmemOutcomeRow) => fmt(d[metric]), fontSize: 12 }),
    ],
  }) as unknown as ChartElement;
}
