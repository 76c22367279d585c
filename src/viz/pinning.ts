import * as Plot from "@observablehq/plot";
import { ParameterError } from "../core/errors.js";
import { formatSize } from "../core/units.js";
import type { DmaOutcomeRow, PinLifetime, VmLifePoint, VmLifeSeries } from "../iommufd/vm-life.js";
import { resolveDocument, resolvePalette, type ChartElement, type ChartOptions, type ChartPalette } from "./charts.js";

/**
 * Chapter 3 chart builders (iommufd pinning), on Observable Plot. Browser-safe like charts.ts:
 * they take series computed by src/iommufd/vm-life.ts and return Plot's element; pass `document`
 * (linkedom in Node, see node.ts) and optionally a palette.
 */

/** The metrics of a VmLifePoint a held-back chart can draw (bytes). */
export type VmLifeMetric = "heldBackBytes" | "pinnedBytes" | "pendingBytes" | "leakedBytes" | "offlinedBytes";

export interface HeldBackChartOptions extends ChartOptions {
  /** Which metrics to draw (default heldBackBytes and leakedBytes); one line style per metric. */
  metrics?: readonly VmLifeMetric[];
}

const METRIC_LABEL: Record<VmLifeMetric, string> = {
  heldBackBytes: "held back (pinned, MF wants it gone)",
  pinnedBytes: "pinned",
  pendingBytes: "pending (removed from the memfd, still pinned)",
  leakedBytes: "leaked (nobody can use or free it)",
  offlinedBytes: "offlined (raw poisoned pages kept off)",
};
const DASH: Record<VmLifeMetric, string> = { heldBackBytes: "none", pinnedBytes: "1,3", pendingBytes: "6,3", leakedBytes: "2,2", offlinedBytes: "8,2,2,2" };
const DASH_NAME: Record<VmLifeMetric, string> = { heldBackBytes: "solid", pinnedBytes: "dotted", pendingBytes: "long dashes", leakedBytes: "short dashes", offlinedBytes: "dash-dot" };

/** Colour per policy; the palette's poisoned / warning / model hues. */
function policyColours(p: ChartPalette): Record<string, string> {
  return { none: p.poisoned, ebusy: p.warning, revoke: p.model };
}

const doc = resolveDocument;
const palette = (options: ChartOptions): ChartPalette => resolvePalette(options.palette);

/** Up to ~5 ticks at multiples of a power of two (bytes), so labels read "512M", "1G", "2G". */
function byteTicks(max: number): number[] {
  let step = 4096;
  while (max / step > 5) step *= 2;
  const out: number[] = [];
  for (let v = 0; v <= max; v += step) out.push(v);
  return out;
}

/** Bytes as "1G", "512M", "0". */
function bytesTick(v: number): string {
  return v === 0 ? "0" : formatSize(v);
}

interface HeldRow { t: number; policy: string; metric: VmLifeMetric; key: string; bytes: number; phase: VmLifePoint["phase"]; event: string }

/**
 * Memory held back over a VM's life: one colour per policy (none / ebusy / revoke), one line
 * style per metric, day on the x axis (the last points are the teardown steps), bytes on y.
 */
export function heldBackChart(series: readonly VmLifeSeries[], options: HeldBackChartOptions = {}): ChartElement {
  if (!Array.isArray(series) || series.length === 0) throw new ParameterError("series", "no data to plot", "pass heldBackOverVmLife() results, one per policy");
  const metrics = options.metrics ?? (["heldBackBytes", "leakedBytes"] as const);
  for (const k of metrics) if (!(k in METRIC_LABEL)) throw new ParameterError("metrics", `"${String(k)}" is not a metric`, `use ${Object.keys(METRIC_LABEL).join(", ")}`);
  const rows: HeldRow[] = [];
  for (const s of series) {
    if (!s || !Array.isArray(s.points) || s.points.length === 0) throw new ParameterError("series", "a series has no points", "pass heldBackOverVmLife() results");
    for (const p of s.points) for (const k of metrics) rows.push({ t: p.t, policy: s.policy, metric: k, key: `${s.policy} · ${k}`, bytes: p[k], phase: p.phase, event: p.event });
  }
  const pal = palette(options);
  const colours = policyColours(pal);
  const policies = [...new Set(series.map((s) => s.policy))];
  const maxBytes = Math.max(1, ...rows.map((r) => r.bytes));
  const days = series[0].options.days;
  const title = options.title ?? "Memory held back over a VM's life";
  const teardown = rows.filter((r) => r.phase !== "running" && r.phase !== "boot");
  const lastOf = (pol: string, k: VmLifeMetric) => rows.filter((r) => r.policy === pol && r.metric === k).reduce((a, b) => (b.t > a.t ? b : a));
  const peak = (pol: string) => Math.max(0, ...rows.filter((r) => r.policy === pol && r.metric === metrics[0] && r.phase === "running").map((r) => r.bytes));
  const desc = policies.map((p) => `${p}: peak ${METRIC_LABEL[metrics[0]].split(" (")[0]} ${bytesTick(peak(p))}, after teardown ${metrics.map((k) => `${k.replace("Bytes", "")} ${bytesTick(lastOf(p, k).bytes)}`).join(", ")}`);
  return Plot.plot({
    document: doc(options) as never,
    width: options.width ?? 680,
    height: options.height ?? 60 + policies.length * 110,
    marginRight: 60,
    title,
    caption: options.caption ?? `Day 0: guest RAM pinned for the device. Errors fall on random days; after day ${days} the VMM tears the VM down. Colour: policy; line style: ${metrics.map((k) => `${DASH_NAME[k]} = ${METRIC_LABEL[k]}`).join("; ")}. Measured on the model (pinRegistry metrics).`,
    ariaLabel: title,
    ariaDescription: `Step lines per policy and metric. ${desc.join(". ")}.`,
    x: { label: "day of the VM's life", grid: false },
    y: { label: "bytes", grid: true, domain: [0, maxBytes * 1.1], tickFormat: bytesTick, ticks: byteTicks(maxBytes) },
    fy: { label: null, domain: policies },
    color: { domain: policies, range: policies.map((p) => colours[p] ?? pal.neutral), legend: true },
    marks: [
      Plot.ruleX([days + 0.5], { stroke: pal.neutral, strokeDasharray: "3,3" }),
      Plot.text(policies.slice(0, 1), { x: () => days + 0.5, fy: (d: string) => d, frameAnchor: "top", dy: 2, dx: 3, textAnchor: "start", text: () => "teardown", fill: pal.neutral, fontSize: 10 }),
      ...metrics.map((k) => Plot.line(rows.filter((r) => r.metric === k), { x: "t", y: "bytes", z: "key", fy: "policy", stroke: "policy", strokeDasharray: DASH[k], curve: "step-after", strokeWidth: 2 })),
      Plot.dot(rows.filter((r) => r.event !== "" && r.phase === "running" && r.metric === metrics[0]), { x: "t", y: "bytes", fy: "policy", fill: "policy", r: 3, title: (d: HeldRow) => `${d.policy}, day ${d.t}: ${d.event}` }),
      Plot.dot(teardown, { x: "t", y: "bytes", fy: "policy", stroke: "policy", r: 3, title: (d: HeldRow) => `${d.policy}: ${d.event} → ${METRIC_LABEL[d.metric]} ${bytesTick(d.bytes)}` }),
    ],
  }) as unknown as ChartElement;
}

/** Device DMA outcomes per policy as grouped bars: ok, reached poison, reached offlined memory, IO page fault. */
export function dmaOutcomeChart(rows: readonly DmaOutcomeRow[], options: ChartOptions & { hideOk?: boolean } = {}): ChartElement {
  if (!Array.isArray(rows) || rows.length === 0) throw new ParameterError("rows", "no data to plot", "pass dmaOutcomeRows(series)");
  for (const r of rows) {
    if (!Number.isInteger(r.count) || r.count < 0) throw new ParameterError("count", `${String(r.count)} is not a count`);
    if (!["ok", "poison", "offlined", "io-page-fault"].includes(r.outcome)) throw new ParameterError("outcome", `"${String(r.outcome)}" is not a DMA outcome`);
  }
  const shown = options.hideOk ? rows.filter((r) => r.outcome !== "ok") : [...rows];
  const pal = palette(options);
  const outcomes = ["ok", "poison", "offlined", "io-page-fault"].filter((o) => shown.some((r) => r.outcome === o));
  const colour: Record<string, string> = { ok: pal.healthy, poison: pal.poisoned, offlined: pal.warning, "io-page-fault": pal.model };
  const policies = [...new Set(shown.map((r) => r.policy))];
  const title = options.title ?? "Where the device's DMAs went";
  const desc = policies.map((p) => `${p}: ${shown.filter((r) => r.policy === p).map((r) => `${r.outcome} ${r.count}`).join(", ")}`);
  return Plot.plot({
    document: doc(options) as never,
    width: options.width ?? 560,
    height: options.height ?? 60 + policies.length * 70,
    marginLeft: 70,
    title,
    caption: options.caption ?? "Counts over the VM's life. poison: the DMA reached a frame with an uncorrected error; offlined: memory the CPU side already gave up; io-page-fault: no IOPTE (revoked or unmapped).",
    ariaLabel: title,
    ariaDescription: `Grouped bars. ${desc.join(". ")}.`,
    x: { label: "DMAs (count)", grid: true },
    y: { label: null, domain: policies },
    color: { domain: outcomes, range: outcomes.map((o) => colour[o]), legend: true },
    marks: [
      Plot.barX(shown, Plot.stackX({ x: "count", y: "policy", fill: "outcome", title: (d: DmaOutcomeRow) => `${d.policy}: ${d.count} × ${d.outcome}`, order: outcomes })),
      Plot.ruleX([0]),
    ],
  }) as unknown as ChartElement;
}

/**
 * The lifetime of a pin against the lifetime of the memfd it pins (pinVsMemfdLifetime()): one
 * lane per state, bars over the steps in which it held; step labels on the x axis.
 */
export function pinLifetimeChart(data: PinLifetime, options: ChartOptions = {}): ChartElement {
  if (!data || !Array.isArray(data.steps) || !Array.isArray(data.bars) || data.steps.length === 0) throw new ParameterError("data", "not a pin lifetime", "pass pinVsMemfdLifetime()'s result");
  const pal = palette(options);
  const title = options.title ?? "The pin outlives the memfd";
  const colour = (lane: string) => (lane.startsWith("pinned") ? pal.model : lane.startsWith("poisoned") ? pal.poisoned : lane.startsWith("folio") ? pal.published : pal.healthy);
  const rows = data.bars.map((b) => ({ ...b, x1: b.from - 0.45, x2: b.to - 0.55, colour: colour(b.lane) }));
  const desc = data.lanes.map((l) => {
    const bs = data.bars.filter((b) => b.lane === l);
    return bs.length ? `${l}: ${bs.map((b) => `steps ${b.from}–${b.to - 1}`).join(", ")}` : `${l}: never`;
  });
  return Plot.plot({
    document: doc(options) as never,
    width: options.width ?? 720,
    height: options.height ?? 80 + data.lanes.length * 30,
    marginLeft: 190,
    marginBottom: 70,
    title,
    caption: options.caption ?? `One ${bytesTick(data.folioBytes)} hugetlb folio of guest RAM, sampled from the model after each step. Steps: ${data.steps.map((s, i) => `${i} ${s}`).join("; ")}.`,
    ariaLabel: title,
    ariaDescription: `Gantt chart. ${desc.join(". ")}.`,
    x: { label: "step", domain: [-0.6, data.steps.length - 0.4], ticks: data.steps.map((_, i) => i), tickFormat: (i: number) => String(i) },
    y: { label: null, domain: data.lanes },
    marks: [
      Plot.barX(rows, { x1: "x1", x2: "x2", y: "lane", fill: (d: { colour: string }) => d.colour, title: (d: { lane: string; from: number; to: number }) => `${d.lane}: ${data.steps[d.from]} → ${data.steps[d.to - 1]}` }),
      Plot.gridX(data.steps.map((_, i) => i), { stroke: pal.neutral, strokeOpacity: 0.15 }),
    ],
  }) as unknown as ChartElement;
}
