// Shared by the charts that call Observable Plot directly (Chapters 1 and 2): the lazy import and
// the site's frame. The chart's role="img" box carries the description, so the svg is hidden from
// assistive technology.
import type { PlotOptions } from "@observablehq/plot";

export type PlotModule = typeof import("@observablehq/plot");

/** Loads Plot in the browser only (it is ESM-only and never drawn during SSR). */
export const loadPlot = (): Promise<PlotModule> => import("@observablehq/plot");

/** Plot.plot with the site's margins and theme text colour on a transparent background. */
export function sitePlot(P: PlotModule, options: PlotOptions): SVGSVGElement | HTMLElement {
  const svg = P.plot({
    // The browser's document, or linkedom's while the page is built (see useLiveChart).
    document: (globalThis as { document?: Document }).document,
    marginLeft: 56,
    marginTop: 24,
    style: { color: "var(--vp-c-text-1)", background: "transparent", fontSize: "12px" },
    ...options,
  });
  svg.setAttribute("aria-hidden", "true");
  return svg;
}
