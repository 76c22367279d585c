// The scenario timeline chart renders in linkedom with lanes, signal labels and violations.
import { describe, expect, it } from "vitest";
import { ParameterError, timelineChart, timelineRows } from "../../src/index.js";
import { timelineColours } from "../../src/viz/timeline.js";
import { resolvePalette } from "../../src/viz/charts.js";
import { plotSvg, render, toHtml } from "../../src/viz/node.js";
import { runExample } from "./helpers.js";

describe("timelineChart", () => {
  it("renders a run: title, aria-label, one lane per event kind, signals marked with code and lsb", () => {
    const r = runExample("hugetlb-1g-keep-ue-mapped");
    const el = render(timelineChart, r);
    expect(el.tagName.toLowerCase(), "a chart with a title comes back as a <figure>").toBe("figure");
    const svg = plotSvg(el);
    expect(svg.getAttribute("aria-label")).toBe("Scenario hugetlb-1g-keep-ue-mapped: event timeline");
    expect(svg.getAttribute("aria-description")).toMatch(/2 memory_failure\(\) results, 2 signals, 0 invariant violations/);
    const html = toHtml(el);
    expect(html).toMatch(/<h2>/);
    expect(html).toMatch(/<figcaption>/);
    expect(html).toMatch(/AR lsb 12/);
    expect(html).toMatch(/HUGE → RECOVERED/);
    for (const lane of ["memory_failure", "signal", "dissolve", "check"]) expect(html, `lane ${lane}`).toContain(`>${lane}<`);
  });

  it("draws violations in the warning colour", () => {
    const r = runExample("v1-buggy-reuse");
    const rows = timelineRows(r);
    const v = rows.filter((x) => x.category === "violation");
    expect(v.map((x) => x.label)).toEqual(["poisoned-frame-free", "poisoned-frame-allocated ×2"]);
    const html = toHtml(render(timelineChart, r, { warning: "#ff00aa" }));
    expect(html).toMatch(/fill="#ff00aa"/);
    expect(html).toMatch(/poisoned-frame-allocated/);
  });

  it("labels the iommu lane by event kind and colours DMA that reached poison apart from IO page faults", () => {
    const none = timelineRows(runExample("iommufd-1g-ue-none"), { lanes: ["iommu"] });
    expect(none.map((x) => x.label)).toContain("dma-to-poison");
    expect(none.find((x) => x.label === "dma-to-poison")!.category).toBe("dma to poison");
    expect(none.map((x) => x.label)).toContain("iotlb-invalidate, unmap, unpin");
    const revoke = timelineRows(runExample("iommufd-1g-ue-revoke"), { lanes: ["iommu"] });
    expect(revoke.filter((x) => x.category === "io page fault").length).toBe(2);
    expect(revoke.some((x) => x.category === "dma to poison")).toBe(false);
  });

  it("gives every event category its own colour, and the legend shows each once", () => {
    const colours = Object.values(timelineColours(resolvePalette(undefined)));
    expect(new Set(colours).size, "no two categories share a colour").toBe(colours.length);
    // A run with many categories: its legend's swatches are all different.
    for (const name of ["iommufd-1g-ue-revoke", "v1-buggy-reuse", "hugetlb-1g-keep-ue-mapped"]) {
      const html = toHtml(render(timelineChart, runExample(name)));
      const swatches = [...html.matchAll(/<svg[^>]*fill="([^"]+)"[^>]*>\s*<rect/g)].map((m) => m[1]);
      const legend = swatches.length > 0 ? swatches : [...html.matchAll(/class="[^"]*-swatch[^"]*"[\s\S]*?fill="([^"]+)"/g)].map((m) => m[1]);
      expect(legend.length, `${name}: a legend`).toBeGreaterThan(2);
      expect(new Set(legend).size, `${name}: one colour per category in the legend`).toBe(legend.length);
    }
  });

  it("stepsOnly drops the setup entries; lanes selects lanes", () => {
    const r = runExample("hugetlb-1g-keep-ue-mapped");
    const first = r.steps.find((s) => s.path === "steps[0]")!.index;
    expect(timelineRows(r, { stepsOnly: true }).every((x) => x.x >= first)).toBe(true);
    expect(new Set(timelineRows(r, { lanes: ["signal"] }).map((x) => x.lane))).toEqual(new Set(["signal"]));
  });

  it("rejects data that is not a run, and a missing document", () => {
    expect(() => timelineRows({} as never)).toThrow(ParameterError);
    expect(() => timelineChart(runExample("anon-4k-madvise"))).toThrow(/no DOM/);
  });
});
