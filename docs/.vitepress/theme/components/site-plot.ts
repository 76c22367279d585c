// Shared by the charts that call Observable Plot directly (Chapters 1 and 2): the lazy import and
// the site's frame. The chart's role="img" box carries the description, so the svg is hidden from
// assistive technology.
import type { PlotOptions } from "@observablehq/plot";

export type PlotModule = typeof import("@observablehq/plot");

/** Loads Plot in the browser only (it is ESM-only and never drawn during SSR). */
export const loadPlot = (): Promise<PlotModule> => import("@observablehq/plot");

/**
 * Where to put a label next to a point at `fraction` (0–1) of the x axis: centred, but pulled in at
 * either end so a label at the slider's extreme is not cut off by the plot's edge.
 */
export function edgeLabel(fraction: number, dx = 8): { textAnchor: "start" | "middle" | "end"; dx: number } {
  if (fraction <= 0.12) return { textAnchor: "start", dx };
  if (fraction >= 0.88) return { textAnchor: "end", dx: -dx };
  return { textAnchor: "middle", dx: 0 };
}

/** Plot.plot with the site's margins and theme text colour on a transparent background. */
export function sitePlot(P: PlotModule, options: PlotOptions): SVGSVGElement | HTMLElement {
  // The x axis's label goes below its tick labels (Plot's default puts it beside the last ones).
  const x = options.x && options.x.label !== null && options.x.axis !== null ? { labelOffset: 36, ...options.x } : options.x;
  const svg = P.plot({
    // The browser's document, or linkedom's while the page is built (see useLiveChart).
    document: (globalThis as { document?: Document }).document,
    marginLeft: 56,
    marginTop: 24,
    marginBottom: x?.labelOffset ? 44 : undefined,
    style: { color: "var(--vp-c-text-1)", background: "transparent", fontSize: "12px" },
    ...options,
    x,
  });
  svg.setAttribute("aria-hidden", "true");
  return svg;
}
