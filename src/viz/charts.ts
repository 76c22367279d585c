import * as Plot from "@observablehq/plot";
import { ParameterError } from "../core/errors.js";
import { PAGE_SIZES, formatSize, type PageSize } from "../core/units.js";
import type { HitRatePoint } from "../tlb/sweep.js";

/**
 * Chart builders for Chapter 1, on Observable Plot. Browser-safe: they take data that the
 * library computed and return Plot's element. The caller passes `document` (a real DOM in the
 * browser, linkedom in Node: see src/viz/node.ts) and may pass a palette of CSS colours, e.g.
 * theme variables such as "var(--vp-c-brand-1)" on the site.
 */

/** Colours a chart may use. Any CSS colour, including var(--…), works. */
export interface ChartPalette {
  /** One series colour per translation size. */
  pageSize: Record<PageSize, string>;
  /** The model's curve. */
  model: string;
  /** Published (measured) numbers. */
  published: string;
  /** Bars and marks that need no category colour; reference lines. */
  neutral: string;
  /** Healthy and poisoned pieces of a folio. */
  healthy: string;
  poisoned: string;
  /** A caution hue: a policy that refuses (-EBUSY), memory taken offline. */
  warning: string;
}

/** Default palette for notebooks (Observable's "observable10" hues, readable on white). */
export const DEFAULT_PALETTE: ChartPalette = {
  pageSize: { "4K": "#ff725c", "2M": "#4269d0", "1G": "#3ca951" },
  model: "#4269d0",
  published: "#ff725c",
  neutral: "#6b7280",
  healthy: "#3ca951",
  poisoned: "#ff725c",
  warning: "#efb118",
};

export interface ChartOptions {
  /** Plot's `document` option; defaults to the global document when there is one. */
  document?: unknown;
  palette?: Partial<Omit<ChartPalette, "pageSize">> & { pageSize?: Partial<Record<PageSize, string>> };
  width?: number;
  height?: number;
  /** Replace the default title or caption. */
  title?: string;
  caption?: string;
}

/**
 * The element Plot returns: an <svg>, or a <figure> wrapping it when there is a title, caption
 * or legend. Typed structurally so the library compiles without DOM types.
 */
export interface ChartElement {
  readonly tagName: string;
  readonly outerHTML: string;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  querySelector(selector: string): ChartElement | null;
  querySelectorAll(selector: string): ArrayLike<ChartElement>;
}

// ---- data shapes -------------------------------------------------------------------------

export interface WalkRefsRow { label: string; refs: number; kind: "native (1D)" | "nested (2D)" }
export interface PercentPoint { fraction: number; changePercent: number }
export interface MemcycleChartData {
  /** The model's prediction over a range of split fractions. */
  curve: PercentPoint[];
  /** The published measurements. */
  published: PercentPoint[];
  /** The model at the published fractions (drawn with residual links). */
  predicted?: PercentPoint[];
}
export interface ThroughputPoint { workingSetBytes: number; pageSize: PageSize; relativeThroughput: number }
export interface FolioPiece { order: number; start: number; pages: number; poisoned: boolean }

// ---- shared checks and helpers -------------------------------------------------------------

/** The default palette with a chart's overrides (used by every chart module). */
export function resolvePalette(p: ChartOptions["palette"]): ChartPalette {
  return { ...DEFAULT_PALETTE, ...(p ?? {}), pageSize: { ...DEFAULT_PALETTE.pageSize, ...(p?.pageSize ?? {}) } };
}

/** The DOM to draw into: options.document, else the browser's; a clear error in Node without one. */
export function resolveDocument(options: ChartOptions): unknown {
  const doc = options.document ?? (globalThis as { document?: unknown }).document;
  if (!doc) {
    throw new ParameterError("document", "there is no DOM to draw into", 'in Node pass { document: nodeDocument() } from src/viz/node.ts, or use its render()');
  }
  return doc;
}

function checkRows<T>(name: string, rows: readonly T[] | undefined): readonly T[] {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new ParameterError(name, "no data to plot", "pass a non-empty array of points");
  }
  return rows;
}

function checkNumber(name: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
    throw new ParameterError(name, `${String(v)} is not a number in [${min}, ${max}]`);
  }
  return v;
}

function checkPageSize(name: string, v: unknown): PageSize {
  if (v !== "4K" && v !== "2M" && v !== "1G") throw new ParameterError(name, `"${String(v)}" is not a page size`, "use 4K, 2M or 1G");
  return v;
}

function sizesIn(rows: readonly { pageSize: PageSize }[]): PageSize[] {
  return PAGE_SIZES.filter((s) => rows.some((r) => r.pageSize === s));
}

/** Powers of two between lo and hi, thinned to at most `max` ticks (log axes in bytes). */
export function powerOfTwoTicks(lo: number, hi: number, max = 9): number[] {
  const a = Math.ceil(Math.log2(lo));
  const b = Math.floor(Math.log2(hi));
  const step = Math.max(1, Math.ceil((b - a + 1) / max));
  const out: number[] = [];
  for (let e = a; e <= b; e += step) out.push(2 ** e);
  return out;
}

const pct = (d: number): string => `${Math.round(d * 100)}%`;

function finish(el: unknown): ChartElement {
  return el as ChartElement;
}

function reachMarks(reach: Partial<Record<PageSize, number>> | undefined, sizes: PageSize[], palette: ChartPalette, what: string, lo: number, hi: number): Plot.Markish[] {
  if (!reach) return [];
  // A reach outside the plotted working sets would stretch the axis: leave it out.
  const rows = sizes
    .filter((s) => reach[s] !== undefined)
    .map((s) => ({ s, bytes: checkNumber(`reach.${s}`, reach[s], 1) }))
    .filter((r) => r.bytes >= lo && r.bytes <= hi);
  return [
    Plot.ruleX(rows, { x: "bytes", stroke: (d: { s: PageSize }) => palette.pageSize[d.s], strokeDasharray: "4,3" }),
    Plot.text(rows, {
      x: "bytes", frameAnchor: "top", dy: 4, dx: 3, textAnchor: "start",
      text: (d: { s: PageSize; bytes: number }) => `${d.s} ${what} ${formatSize(d.bytes)}`,
      fill: (d: { s: PageSize }) => palette.pageSize[d.s],
    }),
  ];
}

// ---- charts --------------------------------------------------------------------------------

/**
 * A log-x line chart of one value per page size against the working set, with the reach of
 * each page size drawn as dashed rules: the shape shared by the TLB-reach and IOTLB-cliff charts.
 */
function workingSetChart<R extends { workingSetBytes: number; pageSize: PageSize }>(
  rows: readonly R[],
  y: keyof R & string,
  yRange: [number, number],
  spec: { title: string; caption: string; describe: (sizes: PageSize[]) => string; xLabel: string; yLabel: string; yMax: number; reachLabel: string },
  options: ChartOptions & { reach?: Partial<Record<PageSize, number>> },
): ChartElement {
  checkRows("rows", rows);
  for (const r of rows) {
    checkNumber("workingSetBytes", r.workingSetBytes, 1);
    checkNumber(y, r[y] as unknown as number, yRange[0], yRange[1]);
    checkPageSize("pageSize", r.pageSize);
  }
  const document = resolveDocument(options);
  const palette = resolvePalette(options.palette);
  const sizes = sizesIn(rows);
  const ws = rows.map((r) => r.workingSetBytes);
  const lo = Math.min(...ws), hi = Math.max(...ws);
  const title = options.title ?? spec.title;
  return finish(Plot.plot({
    document: document as never,
    width: options.width ?? 640,
    height: options.height ?? 360,
    title,
    caption: options.caption ?? spec.caption,
    ariaLabel: title,
    ariaDescription: `Line chart, log x axis from ${formatSize(lo)} to ${formatSize(hi)}; ${spec.describe(sizes)}.`,
    x: { type: "log", label: spec.xLabel, ticks: powerOfTwoTicks(lo, hi), tickFormat: formatSize },
    y: { label: spec.yLabel, domain: [0, spec.yMax], tickFormat: pct, grid: true },
    color: { domain: sizes, range: sizes.map((s) => palette.pageSize[s]), legend: true },
    marks: [
      ...reachMarks(options.reach, sizes, palette, spec.reachLabel, lo, hi),
      Plot.lineY(rows as R[], { x: "workingSetBytes", y, stroke: "pageSize", z: "pageSize" }),
      Plot.dot(rows as R[], { x: "workingSetBytes", y, fill: "pageSize", r: 2.5 }),
    ],
  }));
}

/**
 * Hit rate of a TLB as the working set grows, one line per translation size, with the TLB
 * reach (entries × page size) of each size as a dashed rule: past it, the hit rate falls.
 */
export function tlbReachChart(
  rows: readonly HitRatePoint[],
  options: ChartOptions & { reach?: Partial<Record<PageSize, number>>; tlbName?: string } = {},
): ChartElement {
  return workingSetChart(rows, "hitRate", [0, 1], {
    title: `TLB hit rate vs working set${options.tlbName ? ` (${options.tlbName})` : ""}`,
    caption: "Uniform random accesses over the working set. Dashed: TLB reach per page size. Simulated with the course's LRU TLB engine.",
    describe: (sizes) => `hit rate at the largest working set: ${sizes.map((s) => {
      const last = rows.filter((r) => r.pageSize === s).reduce((a, b) => (b.workingSetBytes > a.workingSetBytes ? b : a));
      return `${s}: ${pct(last.hitRate)} at ${formatSize(last.workingSetBytes)}`;
    }).join("; ")}`,
    xLabel: "working set",
    yLabel: "TLB hit rate",
    yMax: 1,
    reachLabel: "reach",
  }, options);
}

/** Memory references per TLB miss: native walks vs nested (2D) walks, as horizontal bars. */
export function walkRefsChart(rows: readonly WalkRefsRow[], options: ChartOptions = {}): ChartElement {
  checkRows("rows", rows);
  for (const r of rows) {
    checkNumber("refs", r.refs, 0);
    if (typeof r.label !== "string" || r.label === "") throw new ParameterError("label", "every bar needs a label");
    if (r.kind !== "native (1D)" && r.kind !== "nested (2D)") throw new ParameterError("kind", `"${String(r.kind)}" is not a walk kind`, 'use "native (1D)" or "nested (2D)"');
  }
  const document = resolveDocument(options);
  const palette = resolvePalette(options.palette);
  const title = options.title ?? "Page-table references per TLB miss";
  return finish(Plot.plot({
    document: document as never,
    width: options.width ?? 640,
    height: options.height ?? Math.max(160, 34 * rows.length + 70),
    marginLeft: 190,
    title,
    caption: options.caption ?? "Native walk: one reference per level. Nested walk: (n+1)(m+1) − 1 for n guest and m host levels (Bhargava et al., ASPLOS 2008). No page-walk caches.",
    ariaLabel: title,
    ariaDescription: `Bar chart: ${rows.map((r) => `${r.label} ${r.refs}`).join("; ")}.`,
    x: { label: "memory references per walk", grid: true },
    y: { label: null, domain: rows.map((r) => r.label) },
    color: { domain: ["native (1D)", "nested (2D)"], range: [palette.pageSize["2M"], palette.pageSize["4K"]], legend: true },
    marks: [
      Plot.barX(rows as WalkRefsRow[], { y: "label", x: "refs", fill: "kind" }),
      Plot.text(rows as WalkRefsRow[], { y: "label", x: "refs", text: (d: WalkRefsRow) => String(d.refs), dx: 4, textAnchor: "start" }),
      Plot.ruleX([0], { stroke: palette.neutral }),
    ],
  }));
}

/**
 * The MemCycle model's throughput change vs the fraction of memory split to 4K, the two
 * published points, and the residual between model and measurement at each.
 */
export function memcycleChart(data: MemcycleChartData, options: ChartOptions = {}): ChartElement {
  if (!data || typeof data !== "object") throw new ParameterError("data", "expected { curve, published }");
  checkRows("curve", data.curve);
  checkRows("published", data.published);
  const all = [...data.curve, ...data.published, ...(data.predicted ?? [])];
  for (const p of all) {
    checkNumber("fraction", p.fraction, 0, 1);
    checkNumber("changePercent", p.changePercent, -100, 100);
  }
  const predicted = data.predicted ?? [];
  if (predicted.length > 0 && predicted.length !== data.published.length) {
    throw new ParameterError("predicted", `${predicted.length} predictions for ${data.published.length} published points`, "give one prediction per published point, in the same order");
  }
  const document = resolveDocument(options);
  const palette = resolvePalette(options.palette);
  const links = predicted.map((q, i) => ({ fraction: data.published[i].fraction, pred: q.changePercent, pub: data.published[i].changePercent }));
  const title = options.title ?? "MemCycle: model vs published throughput change";
  return finish(Plot.plot({
    document: document as never,
    width: options.width ?? 640,
    height: options.height ?? 360,
    title,
    caption: options.caption ?? "Line: the model. Dots: published points (Jiaqi Yan, RFC v1 cover letter, 18 Jan 2025). Grey links: residuals (model − published), in percentage points.",
    ariaLabel: title,
    ariaDescription: `Line chart of the model from ${pct(Math.min(...data.curve.map((c) => c.fraction)))} to ${pct(Math.max(...data.curve.map((c) => c.fraction)))} split; published: ${data.published.map((p) => `${pct(p.fraction)} → ${p.changePercent.toFixed(2)}%`).join(", ")}${links.length ? `; residuals (model − published): ${links.map((l) => `${(l.pred - l.pub).toFixed(2)} pp`).join(", ")}` : ""}.`,
    x: { label: "fraction of memory split to 4K", tickFormat: pct, grid: true },
    y: { label: "throughput change (%)", grid: true },
    color: { domain: ["model", "published"], range: [palette.model, palette.published], legend: true },
    marks: [
      Plot.ruleY([0], { stroke: palette.neutral }),
      Plot.lineY(data.curve as PercentPoint[], { x: "fraction", y: "changePercent", stroke: () => "model" }),
      Plot.link(links, { x1: "fraction", x2: "fraction", y1: "pred", y2: "pub", stroke: palette.neutral, strokeWidth: 2 }),
      Plot.text(links, { x: "fraction", y: (d: { pub: number }) => d.pub, text: (d: { pub: number; pred: number }) => `${(d.pred - d.pub >= 0 ? "+" : "")}${(d.pred - d.pub).toFixed(2)} pp`, dx: 10, dy: 10, textAnchor: "start", fill: palette.neutral }),
      Plot.dot(predicted as PercentPoint[], { x: "fraction", y: "changePercent", stroke: () => "model", r: 4 }),
      Plot.dot(data.published as PercentPoint[], { x: "fraction", y: "changePercent", fill: () => "published", r: 4.5 }),
    ],
  }));
}

/**
 * The IOTLB cliff: relative IO throughput vs IO working set for 2M and 4K mappings, with the
 * IOTLB reach of each as a dashed rule.
 */
export function iotlbCliffChart(
  rows: readonly ThroughputPoint[],
  options: ChartOptions & { reach?: Partial<Record<PageSize, number>> } = {},
): ChartElement {
  return workingSetChart(rows, "relativeThroughput", [0, 1.5], {
    title: "IOTLB cliff: relative IO throughput vs IO working set",
    caption: "Simulated IOTLB (assumed size, see the model's assumptions). Dashed: IOTLB reach per page size. Throughput relative to all-hits.",
    describe: (sizes) => sizes.map((s) => {
      const min = rows.filter((r) => r.pageSize === s).reduce((a, b) => (b.relativeThroughput < a.relativeThroughput ? b : a));
      return `${s} falls to ${pct(min.relativeThroughput)} at ${formatSize(min.workingSetBytes)}`;
    }).join("; "),
    xLabel: "IO working set",
    yLabel: "relative throughput",
    yMax: Math.max(1, ...rows.map((r) => r.relativeThroughput)),
    reachLabel: "IOTLB reach",
  }, options);
}

/**
 * The folios left after a split, one bar per folio in address order, height = size on a log
 * axis; the poisoned piece is marked.
 */
export function folioSplitChart(pieces: readonly FolioPiece[], options: ChartOptions = {}): ChartElement {
  checkRows("pieces", pieces);
  for (const p of pieces) {
    checkNumber("order", p.order, 0, 30);
    checkNumber("start", p.start, 0);
    checkNumber("pages", p.pages, 1);
  }
  const poisoned = pieces.filter((p) => p.poisoned).length;
  if (poisoned !== 1) throw new ParameterError("pieces", `${poisoned} poisoned pieces`, "a split after one error has exactly one poisoned piece");
  const document = resolveDocument(options);
  const palette = resolvePalette(options.palette);
  const rows = pieces.map((p, i) => ({ ...p, key: `${i + 1}. ${formatSize(p.pages * 4096)}${p.poisoned ? " ✗" : ""}`, bytes: p.pages * 4096, state: p.poisoned ? "poisoned" : "healthy" }));
  const total = rows.reduce((s, r) => s + r.bytes, 0);
  const title = options.title ?? `Split of a ${formatSize(total)} folio after one poisoned 4K page`;
  return finish(Plot.plot({
    document: document as never,
    width: options.width ?? 640,
    height: options.height ?? 300,
    marginBottom: 60,
    title,
    caption: options.caption ?? "One bar per resulting folio, in address order; log scale.",
    ariaLabel: title,
    ariaDescription: `Bar chart of ${rows.length} folios: ${rows.map((r) => `${formatSize(r.bytes)}${r.poisoned ? " (poisoned)" : ""}`).join(", ")}.`,
    x: { label: null, domain: rows.map((r) => r.key), tickRotate: -35 },
    y: { type: "log", label: "folio size", ticks: powerOfTwoTicks(4096, Math.max(...rows.map((r) => r.bytes)), 6), tickFormat: formatSize, grid: true },
    color: { domain: ["healthy", "poisoned"], range: [palette.healthy, palette.poisoned], legend: true },
    marks: [
      Plot.barY(rows, { x: "key", y1: 2048, y2: "bytes", fill: "state" }),
    ],
  }));
}
