// Node only (notebooks, tests, CLI): renders the browser-safe chart builders with linkedom.
// Not exported from src/index.ts, so the site bundle never pulls linkedom in.
import { parseHTML } from "linkedom";
import type { ChartElement, ChartOptions } from "./charts.js";

let cached: unknown;

/** A linkedom document to pass as the builders' `document` option. */
export function nodeDocument(): unknown {
  if (!cached) cached = parseHTML("<!doctype html><html><head></head><body></body></html>").document;
  return cached;
}

/** Calls a chart builder with the linkedom document. */
export function render<D, O extends ChartOptions>(builder: (data: D, options?: O) => ChartElement, data: D, options?: O): ChartElement {
  return builder(data, { ...(options ?? {}), document: nodeDocument() } as O);
}

function addXmlns(el: ChartElement): void {
  // Neither linkedom nor jsdom adds xmlns on outerHTML; a standalone SVG needs it.
  const svgs = el.tagName.toLowerCase() === "svg" ? [el] : Array.from(el.querySelectorAll("svg"));
  for (const s of svgs) s.setAttribute("xmlns", "http://www.w3.org/2000/svg");
}

/** The chart as HTML: a <figure> (title, caption, legend) or a bare <svg>, with xmlns set. */
export function toHtml(el: ChartElement): string {
  addXmlns(el);
  return el.outerHTML;
}

/** The chart's plot <svg>: the element itself, or the one inside Plot's <figure> that carries the aria-label. */
export function plotSvg(el: ChartElement): ChartElement {
  if (el.tagName.toLowerCase() === "svg") return el;
  // Legend swatches are small <svg>s too; the plot is the one with a viewBox and an aria-label.
  const all = Array.from(el.querySelectorAll("svg"));
  const main = all.find((s) => s.getAttribute("aria-label") !== null) ?? all.find((s) => s.getAttribute("viewBox") !== null);
  if (!main) throw new Error("the chart has no plot <svg>");
  return main;
}

/** The chart's plot area as a standalone SVG document (title, caption and legend are HTML, so dropped). */
export function toSvg(el: ChartElement): string {
  addXmlns(el);
  return plotSvg(el).outerHTML;
}

/** Shows a chart (or any HTML string) inline in a tslab notebook. */
export function show(chart: ChartElement | string): void {
  const html = typeof chart === "string" ? chart : toHtml(chart);
  // Resolved at call time so this module loads outside a kernel (tests) too.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const tslab = require("tslab") as { display: { html(s: string): void } };
  tslab.display.html(html);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function cell(v: unknown): string {
  if (typeof v === "number") {
    if (Number.isInteger(v)) return v.toLocaleString("en-US");
    // Published rates such as 17,204.69 keep their two decimals; small values keep 4 significant digits.
    if (Math.abs(v) >= 100) return v.toLocaleString("en-US", { maximumFractionDigits: 2 });
    return String(Number(v.toPrecision(4)));
  }
  if (v === null || v === undefined) return "—";
  if (Array.isArray(v)) return v.map(cell).join(", ");
  return String(v);
}

/** An HTML table of plain records (numbers get thousands separators or 4 significant digits). */
export function htmlTable(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  if (rows.length === 0) return "<p>(no rows)</p>";
  const cols = columns ?? Object.keys(rows[0]);
  const head = cols.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = rows
    .map((r) => `<tr>${cols.map((c) => `<td style="text-align:${typeof r[c] === "number" ? "right" : "left"}">${escapeHtml(cell(r[c]))}</td>`).join("")}</tr>`)
    .join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Shows records as a table in a tslab notebook. */
export function showTable(rows: readonly Record<string, unknown>[], columns?: readonly string[]): void {
  show(htmlTable(rows, columns));
}
