import * as Plot from "@observablehq/plot";
import { ParameterError } from "../core/errors.js";
import { formatSize } from "../core/units.js";
import type { DispatchRow, PfnBand, ZapCostRow } from "../vfio/series.js";
import { resolveDocument, resolvePalette, type ChartElement, type ChartOptions, type ChartPalette } from "./charts.js";

/**
 * Chapter 5 chart builders (VFIO MMIO poison dispatch), on Observable Plot. Browser-safe like
 * charts.ts: they take series from src/vfio/series.ts and return Plot's element; pass `document`
 * (linkedom in Node, see node.ts) and optionally a palette.
 */

const doc = resolveDocument;
const palette = (options: ChartOptions): ChartPalette => resolvePalette(options.palette);

const hex = (n: number) => "0x" + n.toString(16);

/** Up to ~6 ticks at multiples of a power of two (bytes), so labels read "2G", "4G", "6G". */
function byteTicks(max: number): number[] {
  let step = 4096;
  while (max / step > 6) step *= 2;
  const out: number[] = [];
  for (let v = 0; v <= max; v += step) out.push(v);
  return out;
}

export interface PfnMapChartOptions extends ChartOptions {
  /** PFNs to mark (e.g. errors), with a short label each. */
  marks?: readonly { pfn: number; label: string }[];
}

/**
 * The physical PFN space as bands (not to scale: one equal slot per band): RAM with struct pages,
 * spaces registered in pfn_space_itree, and unregistered gaps; marked PFNs sit at their relative
 * position inside their band.
 */
export function pfnMapChart(bands: readonly PfnBand[], options: PfnMapChartOptions = {}): ChartElement {
  if (!Array.isArray(bands) || bands.length === 0) throw new ParameterError("bands", "no bands to draw", "pass pfnBands(system, upTo)");
  const pal = palette(options);
  const colour: Record<PfnBand["kind"], string> = { "RAM (struct page)": pal.healthy, registered: pal.model, unregistered: pal.neutral };
  const kinds = (["RAM (struct page)", "registered", "unregistered"] as const).filter((k) => bands.some((b) => b.kind === k));
  const rows = bands.map((b, i) => ({ ...b, x1: i + 0.03, x2: i + 0.97, mid: i + 0.5 }));
  const pts = (options.marks ?? []).map((m) => {
    const i = bands.findIndex((b) => b.start <= m.pfn && m.pfn <= b.last);
    if (i < 0) throw new ParameterError("marks", `PFN ${hex(m.pfn)} is outside the bands`);
    const b = bands[i];
    return { ...m, x: i + 0.03 + 0.94 * ((m.pfn - b.start + 0.5) / (b.last - b.start + 1)), band: b.label };
  });
  const title = options.title ?? "Who owns each PFN";
  return Plot.plot({
    document: doc(options) as never,
    width: options.width ?? 720,
    height: options.height ?? 170,
    marginLeft: 10,
    marginRight: 10,
    title,
    caption: options.caption ?? "Physical frames, one slot per band (not to scale). memory_failure() takes the struct-page path for RAM; above it memory_failure_pfn() looks the PFN up in pfn_space_itree: a registered band goes to its driver, a gap gives MF_MSG_PFN_MAP / MF_IGNORED.",
    ariaLabel: title,
    ariaDescription: `Bands: ${bands.map((b) => `${b.label} (${b.kind}) PFN ${hex(b.start)}–${hex(b.last)}`).join("; ")}. Marks: ${pts.map((p) => `${p.label} in ${p.band}`).join("; ") || "none"}.`,
    x: { axis: null, domain: [0, bands.length] },
    y: { axis: null, domain: [0, 1] },
    color: { domain: kinds, range: kinds.map((k) => colour[k]), legend: true },
    marks: [
      Plot.rectX(rows, { x1: "x1", x2: "x2", y1: 0.35, y2: 0.75, fill: "kind", fillOpacity: 0.8, title: (d: PfnBand) => `${d.label}: PFN ${hex(d.start)}–${hex(d.last)}` }),
      Plot.text(rows, { x: "mid", y: 0.85, text: "label", fontSize: 11 }),
      Plot.text(rows, { x: "mid", y: 0.22, text: (d: PfnBand) => `${hex(d.start)}–${hex(d.last)}`, fontSize: 9, fill: pal.neutral }),
      Plot.ruleX(pts, { x: "x", y1: 0.3, y2: 0.8, stroke: pal.poisoned, strokeWidth: 2 }),
      Plot.text(pts, { x: "x", y: 0.05, text: "label", fill: pal.poisoned, fontSize: 10 }),
    ],
  }) as unknown as ChartElement;
}

export interface DispatchChartOptions extends ChartOptions {
  /** The poisoned page's offset in the region, bytes (drawn as a rule). */
  poisonOffset: number;
}

/**
 * Each VMA of one device region as a bar over the region offsets it maps (one lane per VMA), the
 * poisoned offset as a rule, and where each signal's si_addr points as a dot (AR / AO) or a cross
 * at the lane's end (SIGKILL: vma_address() found no address).
 */
export function dispatchChart(rows: readonly DispatchRow[], options: DispatchChartOptions): ChartElement {
  if (!Array.isArray(rows) || rows.length === 0) throw new ParameterError("rows", "no VMAs to draw", "pass dispatchRows(vmas, result)");
  if (!options || typeof options.poisonOffset !== "number") throw new ParameterError("poisonOffset", "missing", "the poisoned page's offset in the region, in bytes");
  const pal = palette(options);
  const lanes = rows.map((r, i) => `pid ${r.pid} · VMA ${i + 1}`);
  const data = rows.map((r, i) => ({ ...r, lane: lanes[i] }));
  const signals = ["BUS_MCEERR_AR", "BUS_MCEERR_AO", "SIGKILL"];
  const sigColour: Record<string, string> = { BUS_MCEERR_AR: pal.poisoned, BUS_MCEERR_AO: pal.warning, SIGKILL: "currentColor" };
  const max = Math.max(options.poisonOffset, ...rows.map((r) => r.to), ...rows.map((r) => r.signalAt ?? 0));
  const dots = data.filter((r) => r.signalAt !== undefined);
  const kills = data.filter((r) => r.signal === "SIGKILL");
  const title = options.title ?? "Where each process is told the poison is";
  const desc = data.map((r) => `${r.lane} maps ${formatSize(r.from)}–${formatSize(r.to)}: ${r.signal ? `${r.signal}${r.signalAt !== undefined ? ` at ${formatSize(r.signalAt)}` : ""}` : "no signal"}`);
  return Plot.plot({
    document: doc(options) as never,
    width: options.width ?? 720,
    height: options.height ?? 70 + rows.length * 34,
    marginLeft: 120,
    title,
    caption: options.caption ?? `Bars: the part of the device region each VMA maps. Rule: the poisoned page at ${formatSize(options.poisonOffset)}. Dot: the region offset that si_addr names (on the rule = right). Cross: SIGKILL, vma_address() returned -EFAULT.`,
    ariaLabel: title,
    ariaDescription: desc.join(". ") + ".",
    x: { label: "offset in the device region", domain: [0, max * 1.05], ticks: byteTicks(max * 1.05), tickFormat: (v: number) => (v === 0 ? "0" : formatSize(v)) },
    y: { label: null, domain: lanes },
    color: { domain: signals, range: signals.map((s) => sigColour[s]), legend: true },
    marks: [
      Plot.barX(data, { x1: "from", x2: "to", y: "lane", fill: pal.neutral, fillOpacity: 0.35 }),
      Plot.ruleX([options.poisonOffset], { stroke: pal.poisoned, strokeDasharray: "4,3" }),
      Plot.dot(dots, { x: "signalAt", y: "lane", fill: "signal", r: 6, title: (d: DispatchRow & { lane: string }) => `${d.lane}: ${d.signal} at ${formatSize(d.signalAt ?? 0)}` }),
      Plot.dot(kills, { x: "to", y: "lane", symbol: "times", stroke: "signal", r: 7, strokeWidth: 2, title: (d: { lane: string }) => `${d.lane}: SIGKILL` }),
    ],
  }) as unknown as ChartElement;
}

export interface ZapCostChartOptions extends ChartOptions {
  metric?: "entries" | "stlbReachFraction";
}

/** Stage-2 entries (log scale) or STLB reach fraction per region size, kept huge pfnmap vs zapped to 4K. */
export function zapCostChart(rows: readonly ZapCostRow[], options: ZapCostChartOptions = {}): ChartElement {
  if (!Array.isArray(rows) || rows.length === 0) throw new ParameterError("rows", "no data to plot", "pass zapCostRows(sizes)");
  const metric = options.metric ?? "entries";
  const pal = palette(options);
  const mappings = ["kept (huge pfnmap)", "zapped (4K PTEs)"];
  const labels = [...new Set(rows.map((r) => r.label))];
  const title = options.title ?? (metric === "entries" ? "Stage-2 entries to map the device region" : "Share of the region the STLB can translate");
  const fmt = (v: number) => (metric === "entries" ? v.toLocaleString("en-US") : `${(100 * v).toPrecision(3)}%`);
  return Plot.plot({
    document: doc(options) as never,
    width: options.width ?? 640,
    height: options.height ?? 320,
    marginLeft: 70,
    title,
    caption: options.caption ?? (metric === "entries"
      ? "Leaf entries needed to map the whole region: kept at 1G (what memory_failure_pfn() leaves) vs broken into 4K PTEs (what a zap would do, per Ankit's v4 commit message). Log scale."
      : "STLB reach (entries × effective page size) over region size, capped at 100%. The effective size is min(guest page, stage-2 page). CPU preset and guest page size are assumptions (see zapCost().assumptions)."),
    ariaLabel: title,
    ariaDescription: rows.map((r) => `${r.label} ${r.mapping}: ${fmt(r[metric])}`).join("; ") + ".",
    x: { label: "device region", domain: labels },
    y: metric === "entries" ? { label: "stage-2 entries (count, log scale)", type: "log", grid: true } : { label: "STLB reach / region", grid: true, domain: [0, 1], tickFormat: (v: number) => `${Math.round(v * 100)}%` },
    color: { domain: mappings, range: [pal.pageSize["1G"], pal.pageSize["4K"]], legend: true },
    marks: [
      Plot.line(rows, { x: "label", y: metric, stroke: "mapping", strokeWidth: 2 }),
      Plot.dot(rows, { x: "label", y: metric, fill: "mapping", r: 4, title: (d: ZapCostRow) => `${d.label}, ${d.mapping}: ${fmt(d[metric])}; 2D walk ${d.walkRefs2D} refs` }),
    ],
  }) as unknown as ChartElement;
}
