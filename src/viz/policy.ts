import * as Plot from "@observablehq/plot";
import { ParameterError } from "../core/errors.js";
import { formatMetric, METRIC_IDS, METRICS, type MetricId } from "../policy/metrics.js";
import { OBJECTION_IDS, OBJECTIONS, type ObjectionVerdict } from "../policy/objections.js";
import type { Scorecard } from "../policy/scorecard.js";
import { resolveDocument, resolvePalette, type ChartElement, type ChartOptions } from "./charts.js";

/**
 * Chapter 6 chart builders (the scorecard), on Observable Plot. Browser-safe like charts.ts: they
 * take scorecards from src/policy/scorecard.ts and return Plot's element; pass `document` (linkedom
 * in Node, see node.ts) and optionally a palette.
 */

export interface ScorecardChartOptions extends ChartOptions {
  /** Which metrics to draw (default all eight), top to bottom. */
  metrics?: readonly MetricId[];
}

interface Bar {
  metric: string;
  policy: string;
  share: number;
  label: string;
}

/**
 * Every metric of a few policies, one row of bars per metric. Metrics have different units, so
 * each bar's length is its value over the largest value of that metric among the policies drawn
 * (the worst one reaches the end); the label carries the value itself.
 */
export function scorecardChart(cards: readonly Scorecard[], options: ScorecardChartOptions = {}): ChartElement {
  if (!Array.isArray(cards) || cards.length === 0) throw new ParameterError("cards", "no scorecards to draw", "pass scorePolicy() results");
  const metrics = options.metrics ?? METRIC_IDS;
  for (const m of metrics) if (!(m in METRICS)) throw new ParameterError("metrics", `"${String(m)}" is not a metric`, `use ${METRIC_IDS.join(", ")}`);
  const pal = resolvePalette(options.palette);
  const names = cards.map((c) => c.policy.name);
  const bars: Bar[] = [];
  for (const m of metrics) {
    const max = Math.max(...cards.map((c) => c.metrics[m].value));
    for (const c of cards) {
      const v = c.metrics[m].value;
      bars.push({ metric: METRICS[m].label, policy: c.policy.name, share: max > 0 ? v / max : 0, label: formatMetric(m, v) });
    }
  }
  const colours = [pal.model, pal.poisoned, pal.healthy, pal.warning, pal.neutral];
  const title = options.title ?? `Scorecard: ${names.join(" vs ")}`;
  const perRow = 14 * cards.length + 10;
  return Plot.plot({
    document: resolveDocument(options) as never,
    width: options.width ?? 680,
    height: options.height ?? 40 + metrics.length * perRow,
    marginLeft: 200,
    marginRight: 70,
    title,
    caption:
      options.caption ??
      "Each bar is the policy's value over the largest value of that metric among the policies shown (the worst reaches the end); its label is the value. Lower is better on every metric.",
    ariaLabel: title,
    ariaDescription: metrics.map((m) => `${METRICS[m].label}: ${cards.map((c) => `${c.policy.name} ${formatMetric(m, c.metrics[m].value)}`).join(", ")}`).join("; ") + ".",
    fy: { label: null, domain: metrics.map((m) => METRICS[m].label) },
    y: { axis: null, domain: names, paddingInner: 0.15 },
    x: { axis: null, domain: [0, 1.0] },
    color: { domain: names, range: names.map((_, i) => colours[i % colours.length]), legend: true },
    marks: [
      Plot.barX(bars, { fy: "metric", y: "policy", x: "share", fill: "policy", title: (d: Bar) => `${d.policy}, ${d.metric}: ${d.label}` }),
      Plot.text(bars, { fy: "metric", y: "policy", x: "share", text: "label", textAnchor: "start", dx: 4, fontSize: 10 }),
      Plot.ruleX([0]),
    ],
  }) as unknown as ChartElement;
}

interface Cell {
  policy: string;
  objection: string;
  verdict: "fails" | "passes";
  why: string;
}

/** The objections each policy fails (a grid: policy × objection). */
export function objectionChart(cards: readonly Scorecard[], options: ChartOptions = {}): ChartElement {
  if (!Array.isArray(cards) || cards.length === 0) throw new ParameterError("cards", "no scorecards to draw", "pass scorePolicy() results");
  const pal = resolvePalette(options.palette);
  const cells: Cell[] = cards.flatMap((c) => c.objections.map((v: ObjectionVerdict) => ({ policy: c.policy.name, objection: v.id, verdict: v.failed ? ("fails" as const) : ("passes" as const), why: v.why })));
  const title = options.title ?? "Which objection each policy fails";
  return Plot.plot({
    document: resolveDocument(options) as never,
    width: options.width ?? 680,
    height: options.height ?? 100 + 24 * cards.length,
    marginLeft: 150,
    marginTop: 80,
    marginBottom: 10,
    title,
    caption: options.caption ?? OBJECTION_IDS.map((o) => `${o}: ${OBJECTIONS[o].title} (${OBJECTIONS[o].who})`).join(". ") + ".",
    ariaLabel: title,
    ariaDescription: cards.map((c) => `${c.policy.name} fails ${c.objections.filter((v: ObjectionVerdict) => v.failed).map((v: ObjectionVerdict) => v.id).join(", ") || "none"}`).join("; ") + ".",
    x: { label: null, domain: [...OBJECTION_IDS], axis: "top", tickRotate: -30 },
    y: { label: null, domain: cards.map((c) => c.policy.name) },
    color: { domain: ["fails", "passes"], range: [pal.poisoned, pal.healthy], legend: true },
    marks: [
      Plot.cell(cells, { x: "objection", y: "policy", fill: "verdict", inset: 1, title: (d: Cell) => `${d.policy}, ${d.objection}: ${d.why}` }),
      Plot.text(cells, { x: "objection", y: "policy", text: (d: Cell) => (d.verdict === "fails" ? "✗" : "✓"), fill: "white", fontSize: 12 }),
    ],
  }) as unknown as ChartElement;
}
