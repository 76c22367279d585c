import { describe, expect, it } from "vitest";
import {
  DEFAULT_PALETTE, GOLDEN_COVE, ParameterError, dmaOutcomeChart, heldBackChart, heldBackOverVmLife, folioSplitChart, hitRateSweep, iotlbCliffChart, memcycleChart, memcycleSeries,
  nonUniformSplit, parseSize, powerOfTwoTicks, tlbReachChart, walkRefsChart, walkRefsRows,
  type ChartElement, type DmaOutcomeRow, type ThroughputPoint,
} from "../../src/index.js";
import { htmlTable, nodeDocument, plotSvg, render, toHtml, toSvg } from "../../src/viz/node.js";

function expectRendered(el: ChartElement, marks: RegExp): void {
  expect(el.tagName.toLowerCase(), "a chart with a title comes back as a <figure>").toBe("figure");
  const svg = plotSvg(el);
  expect(svg.getAttribute("aria-label"), "every chart carries an aria-label").toBeTruthy();
  expect(svg.getAttribute("aria-description"), "and a description of what it shows").toBeTruthy();
  const html = toHtml(el);
  expect(html).toMatch(/<h2>/); // the title
  expect(html).toMatch(/<figcaption>/);
  expect(html).toMatch(/xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  expect(html, "the chart draws its marks").toMatch(marks);
  const svgText = toSvg(el);
  expect(svgText.startsWith("<svg")).toBe(true);
}

const ws = ["1M", "8M", "64M", "4G"].map((s) => parseSize(s));

describe("chart builders render in linkedom", () => {
  it("TLB reach: hit-rate lines per page size with reach rules", () => {
    const rows = hitRateSweep({ config: GOLDEN_COVE, workingSets: ws, accesses: 4000, seed: 7 });
    expect(rows.length).toBe(ws.length * 3);
    const el = render(tlbReachChart, rows, { reach: { "4K": parseSize("8M"), "2M": parseSize("4G") }, tlbName: "test" });
    expectRendered(el, /aria-label="line"[\s\S]*<path/);
    expect(toHtml(el)).toMatch(/4K reach 8M/);
  });

  it("the engine sweep shows 2M pages keeping a high hit rate where 4K pages do not", () => {
    const rows = hitRateSweep({ config: GOLDEN_COVE, workingSets: [parseSize("256M")], accesses: 20000, seed: 3 });
    const at = (s: string) => rows.find((r) => r.pageSize === s)!.hitRate;
    expect(at("2M"), "256M is within 2M reach (4G)").toBeGreaterThan(0.95);
    expect(at("4K"), "256M is 32× the 4K reach (8M)").toBeLessThan(0.2);
  });

  it("walk references: one bar per walk with the 24-reference nested 4K/4K walk", () => {
    const rows = walkRefsRows();
    expect(rows.find((r) => r.label === "guest 4K / host 4K")!.refs).toBe(24);
    const el = render(walkRefsChart, rows);
    expectRendered(el, /aria-label="bar"[\s\S]*<rect/);
    expect(plotSvg(el).getAttribute("aria-description")).toMatch(/guest 4K \/ host 4K 24/);
  });

  it("MemCycle: model curve, published points and residual links", () => {
    const model = {
      predict: (f: number) => ({ fraction: f, throughputChangePercent: -20 * f }),
      residuals: () => [
        { fraction: 0.05, publishedPercent: -1.2, predictedPercent: -1.0, residualPp: -0.2 },
        { fraction: 0.25, publishedPercent: -5.06, predictedPercent: -5.0, residualPp: -0.06 },
      ],
    };
    const data = memcycleSeries(model, 0.3, 7);
    expect(data.curve.length).toBe(7);
    const el = render(memcycleChart, data);
    expectRendered(el, /aria-label="dot"[\s\S]*<circle/);
    expect(toHtml(el), "residual (model − published) labelled in percentage points").toMatch(/\+0\.20 pp/);
  });

  it("IOTLB cliff: 2M vs 4K lines", () => {
    const rows: ThroughputPoint[] = [];
    for (const w of ws) for (const s of ["4K", "2M"] as const) rows.push({ workingSetBytes: w, pageSize: s, relativeThroughput: s === "2M" || w < 2e6 ? 1 : 0.3 });
    const el = render(iotlbCliffChart, rows, { reach: { "4K": 256 * 4096, "2M": 256 * parseSize("2M") } });
    expectRendered(el, /aria-label="line"[\s\S]*<path/);
    expect(plotSvg(el).getAttribute("aria-description")).toMatch(/4K falls to 30%/);
  });

  it("folio split: one bar per resulting folio, the poisoned one marked", () => {
    const el = render(folioSplitChart, nonUniformSplit(9, 3).pieces);
    expectRendered(el, /aria-label="bar"[\s\S]*<rect/);
    expect(plotSvg(el).getAttribute("aria-description")).toMatch(/10 folios/);
    expect(plotSvg(el).getAttribute("aria-description")).toMatch(/4K \(poisoned\)/);
  });

  it("takes theme colours (CSS variables) from the palette", () => {
    const el = render(walkRefsChart, walkRefsRows(), { palette: { pageSize: { "2M": "var(--vp-c-brand-1)" } } });
    expect(toHtml(el)).toMatch(/var\(--vp-c-brand-1\)/);
  });

  it("draws the -EBUSY policy and offlined memory in the palette's warning colour, so a theme can restyle them", () => {
    const series = (["none", "ebusy", "revoke"] as const).map((policy) => heldBackOverVmLife({ policy, seed: 2, punchPoisoned: true }));
    const rows: DmaOutcomeRow[] = [{ policy: "none", outcome: "poison", count: 2 }, { policy: "ebusy", outcome: "offlined", count: 3 }];
    const themed = { palette: { warning: "var(--vp-c-warning-1)" } };
    for (const html of [toHtml(render(heldBackChart, series, themed)), toHtml(render(dmaOutcomeChart, rows, themed))]) {
      expect(html, "the warning slot reaches the chart").toContain("var(--vp-c-warning-1)");
      expect(html, "no hard-coded warning hue is left beside the theme's").not.toContain(DEFAULT_PALETTE.warning);
    }
    expect(toHtml(render(heldBackChart, series)), "without a palette the -EBUSY line takes the default warning hue").toContain(DEFAULT_PALETTE.warning);
  });

  it("powerOfTwoTicks thins to at most the asked number of ticks", () => {
    const t = powerOfTwoTicks(4096, 2 ** 40, 9);
    expect(t.length).toBeLessThanOrEqual(9);
    expect(t.every((x) => Number.isInteger(Math.log2(x)))).toBe(true);
  });
});

describe("htmlTable (notebook tables)", () => {
  it("escapes text, keeps published decimals and separates thousands", () => {
    const h = htmlTable([{ name: "<script>", rate: 17204.69, pages: 262144, small: 0.0012345 }]);
    expect(h).toMatch(/&lt;script&gt;/);
    expect(h, "a published rate keeps its two decimals").toMatch(/17,204\.69/);
    expect(h).toMatch(/262,144/);
    expect(h).toMatch(/0\.001234|0\.001235/);
  });
});

describe("chart builders reject bad input with ParameterError", () => {
  const document = nodeDocument();
  it("empty data", () => {
    expect(() => tlbReachChart([], { document })).toThrow(ParameterError);
    expect(() => walkRefsChart([], { document })).toThrow(/no data/);
    expect(() => iotlbCliffChart([], { document })).toThrow(ParameterError);
    expect(() => folioSplitChart([], { document })).toThrow(ParameterError);
    expect(() => memcycleChart({ curve: [], published: [] }, { document })).toThrow(/curve/);
  });
  it("values out of range", () => {
    expect(() => tlbReachChart([{ workingSetBytes: 4096, pageSize: "4K", hitRate: 1.5 }], { document })).toThrow(/hitRate/);
    expect(() => tlbReachChart([{ workingSetBytes: 4096, pageSize: "8K" as never, hitRate: 0.5 }], { document })).toThrow(/pageSize/);
    expect(() => iotlbCliffChart([{ workingSetBytes: NaN, pageSize: "4K", relativeThroughput: 1 }], { document })).toThrow(/workingSetBytes/);
    expect(() => memcycleChart({ curve: [{ fraction: 2, changePercent: 0 }], published: [{ fraction: 0.1, changePercent: -1 }] }, { document })).toThrow(/fraction/);
    expect(() => folioSplitChart([{ order: 0, start: 0, pages: 1, poisoned: false }], { document })).toThrow(/poisoned/);
  });
  it("no DOM in Node without a document", () => {
    expect(() => walkRefsChart(walkRefsRows())).toThrow(/document/);
  });
});
