import * as Plot from "@observablehq/plot";
import { ParameterError } from "../core/errors.js";
import type { ScenarioResult } from "../scenario/types.js";
import { resolveDocument, resolvePalette, type ChartElement, type ChartOptions } from "./charts.js";

/**
 * The event timeline of a scenario run (src/scenario): steps on the x axis, one lane per event
 * kind, signals labelled with their si_code and si_addr_lsb, memory_failure() results with
 * their MF_MSG type and outcome, invariant violations and failed checks in a warning colour.
 * Browser-safe, like src/viz/charts.ts: pass `document` (linkedom in Node, see node.ts).
 */

/** The lanes, top to bottom. alloc and free share the "allocator" lane. */
export const TIMELINE_LANES = ["memory_failure", "signal", "split", "unmap", "dissolve", "offline", "policy", "fault", "iommu", "allocator", "check", "invariant"] as const;
export type TimelineLane = (typeof TIMELINE_LANES)[number];

export interface TimelineChartOptions extends ChartOptions {
  /** Colour of invariant violations and failed checks (default: an orange-red). */
  warning?: string;
  /** Lanes to draw (default: every lane that has an event). */
  lanes?: readonly TimelineLane[];
  /** Leave out the setup entries (processes, memfds, mappings) and start at steps[0]. */
  stepsOnly?: boolean;
}

/** The part of a ScenarioResult the chart reads. */
export type TimelineData = Pick<ScenarioResult, "scenario" | "steps" | "events">;

interface Row {
  x: number;
  lane: TimelineLane;
  category: string;
  label: string;
  title: string;
}

const DEFAULT_WARNING = "#e8590c";

/** Short label of one lane's events in one step: "AR lsb 12", "HUGE → RECOVERED", "×512". */
function label(lane: TimelineLane, evs: TimelineData["events"]): string {
  const parts: string[] = [];
  for (const e of evs) {
    const ev = e.event;
    if (ev.kind === "signal") parts.push(ev.sig === "SIGKILL" ? "SIGKILL" : `${ev.code ? ev.code.replace("BUS_MCEERR_", "") : "BUS"} lsb ${ev.lsb}`);
    else if (ev.kind === "memory_failure") parts.push(`${ev.type.replace("MF_MSG_", "")} → ${ev.result.replace("MF_", "")}`);
    else if (ev.kind === "split") parts.push(ev.ok ? "split" : "no split");
    else if (ev.kind === "dissolve") parts.push(ev.ret === 0 ? "dissolved" : `dissolve ${ev.ret}`);
    else if (ev.kind === "invariant") parts.push(ev.name);
  }
  if (lane === "iommu") {
    // Count each kind of device-side event: "pin, map", "dma-to-poison", "io-page-fault ×2".
    const counts = new Map<string, number>();
    for (const e of evs) if (e.event.kind === "iommu") counts.set(e.event.what, (counts.get(e.event.what) ?? 0) + 1);
    return [...counts].map(([w, n]) => (n > 1 ? `${w} ×${n}` : w)).join(", ");
  }
  if (lane === "allocator" || parts.length === 0) return evs.length > 1 ? `×${evs.length}` : "";
  const uniq = [...new Set(parts)];
  return uniq.length === 1 && parts.length > 1 ? `${uniq[0]} ×${parts.length}` : uniq.join(", ");
}

/** DMA that reached poison or offlined memory is the point of Chapter 3: its own colour; IO page faults another. */
function iommuCategory(evs: TimelineData["events"]): string {
  const whats = new Set(evs.map((e) => (e.event.kind === "iommu" ? e.event.what : "")));
  if (whats.has("dma-to-poison") || whats.has("dma-to-offlined")) return "dma to poison";
  if (whats.has("io-page-fault")) return "io page fault";
  if (whats.has("revoke")) return "revoke";
  return "iommu";
}

function laneOf(kind: string): TimelineLane | null {
  if (kind === "alloc" || kind === "free") return "allocator";
  return (TIMELINE_LANES as readonly string[]).includes(kind) ? (kind as TimelineLane) : null;
}

/** Builds the rows (one per step and lane) the chart draws; exported for tests and tables. */
export function timelineRows(data: TimelineData, options: Pick<TimelineChartOptions, "lanes" | "stepsOnly"> = {}): Row[] {
  if (!data || !Array.isArray(data.steps) || !Array.isArray(data.events)) {
    throw new ParameterError("data", "not a scenario run", "pass runScenario()'s result");
  }
  const keep = new Set<string>(options.lanes ?? TIMELINE_LANES);
  const stepOk = new Map(data.steps.map((s) => [s.index, s]));
  const first = options.stepsOnly ? data.steps.find((s) => s.path.startsWith("steps["))?.index ?? 0 : 0;
  const groups = new Map<string, TimelineData["events"]>();
  for (const e of data.events) {
    if (e.step < first) continue;
    const lane = laneOf(e.kind);
    if (lane === null || !keep.has(lane)) continue;
    const k = `${e.step}|${lane}`;
    const g = groups.get(k);
    if (g) g.push(e);
    else groups.set(k, [e]);
  }
  const rows: Row[] = [];
  for (const [k, evs] of groups) {
    const lane = k.split("|")[1] as TimelineLane;
    const x = evs[0].step;
    rows.push({
      x, lane,
      category: lane === "invariant" ? "violation" : lane === "iommu" ? iommuCategory(evs) : lane,
      label: label(lane, evs),
      title: `${stepOk.get(x)?.path ?? x}: ${evs.slice(0, 8).map((e) => e.text).join("\n")}${evs.length > 8 ? `\n… ${evs.length - 8} more` : ""}`,
    });
  }
  if (keep.has("check")) {
    for (const s of data.steps) {
      if (!s.check || s.index < first) continue;
      rows.push({ x: s.index, lane: "check", category: s.check.ok ? "check" : "check failed", label: s.check.ok ? "ok" : "FAILED", title: `${s.path}: ${s.outcome}` });
    }
  }
  return rows;
}

/**
 * One colour per event category, so the legend tells every category apart: the model's and the
 * poison hues from the palette, the rest from Observable's categorical scheme (observable10) and
 * a few more. Invariant violations and failed checks keep warning hues, different from each other.
 */
export function timelineColours(palette: ReturnType<typeof resolvePalette>, warning: string = DEFAULT_WARNING): Record<string, string> {
  return {
    memory_failure: palette.model, signal: palette.poisoned, split: "#6cc5b0", unmap: "#9c6b4e",
    dissolve: "#a463f2", offline: "#9498a0", policy: "#ff8ab7", fault: "#efb118", iommu: "#97bbf5",
    "dma to poison": "#b3001b", "io page fault": "#17becf", revoke: "#3ca951",
    allocator: "#bcbd22", check: "#4d4d4d", "check failed": warning, violation: "#7b2d8e",
  };
}

/** Timeline chart of a scenario run. */
export function timelineChart(data: TimelineData, options: TimelineChartOptions = {}): ChartElement {
  const rows = timelineRows(data, options);
  const doc = resolveDocument(options);
  const palette = resolvePalette(options.palette);
  const warning = options.warning ?? DEFAULT_WARNING;
  const first = options.stepsOnly ? data.steps.find((s) => s.path.startsWith("steps["))?.index ?? 0 : 0;
  const steps = data.steps.filter((s) => s.index >= first);
  if (steps.length === 0) throw new ParameterError("data", "the run has no steps to draw");
  const lanes = TIMELINE_LANES.filter((l) => rows.some((r) => r.lane === l));
  const colour = timelineColours(palette, warning);
  const categories = Object.keys(colour).filter((c) => rows.some((r) => r.category === c));
  const short = (p: string) => p.replace(/^steps\[(\d+)\]$/, "$1").replace(/^processes\[(\d+)\]$/, "p$1").replace(/^memfds\[(\d+)\]$/, "f$1").replace(/^mappings\[(\d+)\]$/, "m$1");
  const pathOf = new Map(steps.map((s) => [s.index, short(s.path)]));
  const violations = rows.filter((r) => r.category === "violation").length;
  const signals = data.events.filter((e) => e.kind === "signal").length;
  const mfs = data.events.filter((e) => e.kind === "memory_failure").length;
  const title = options.title ?? `Scenario ${data.scenario}: event timeline`;
  const many = steps.length > 40;
  return Plot.plot({
    document: doc as never,
    width: options.width ?? Math.max(480, Math.min(1200, 120 + steps.length * 48)),
    height: options.height ?? 60 + lanes.length * 34,
    marginLeft: 110,
    marginBottom: 40,
    title,
    caption: options.caption ?? "Steps left to right (p = process, f = memfd, m = mapping setup; numbers are steps[i]); one lane per event kind. Hover a mark for the full events.",
    ariaLabel: title,
    ariaDescription: `Timeline of ${steps.length} steps: ${mfs} memory_failure() results, ${signals} signals, ${violations} invariant violations.`,
    x: {
      label: "step", type: "point", domain: steps.map((s) => s.index), padding: 0.6,
      tickFormat: (i: number) => pathOf.get(i) ?? String(i),
      ticks: many ? steps.filter((_, i) => i % Math.ceil(steps.length / 40) === 0).map((s) => s.index) : undefined,
    },
    y: { label: null, domain: lanes, type: "band", padding: 0.1 },
    color: { domain: categories, range: categories.map((c) => colour[c]), legend: true },
    marks: [
      Plot.gridY({ stroke: palette.neutral, strokeOpacity: 0.15 }),
      Plot.dot(rows, { x: "x", y: "lane", fill: "category", r: 5, title: "title", symbol: (d: Row) => (d.category === "violation" || d.category === "check failed" ? "diamond" : "circle") }),
      many ? null : Plot.text(rows.filter((r) => r.label !== ""), { x: "x", y: "lane", text: "label", dy: -11, fontSize: 9, fill: (d: Row) => (d.category === "violation" || d.category === "check failed" ? warning : "currentColor") }),
    ],
  }) as unknown as ChartElement;
}
