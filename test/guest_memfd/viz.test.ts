// Chapter 4 series and charts: the data builders compute from the model, the charts render in
// linkedom with an aria description that follows the data.
import { describe, expect, it } from "vitest";
import {
  gmemGfnRuns, gmemGfnStripChart, gmemOutcomeChart, gmemOutcomeRows, gmemStripLanes, gmemZapChart, gmemZapRows, GuestMemfdVm,
} from "../../src/index.js";
import { plotSvg, render, toHtml } from "../../src/viz/node.js";

describe("series", () => {
  it("gmemZapRows: one row per folio size × policy; zap-folio's cost grows with the folio, split-then-zap's does not", () => {
    const rows = gmemZapRows();
    expect(rows.length).toBe(9);
    const zap = rows.filter((r) => r.policy === "zap-folio").map((r) => r.zappedGfns);
    expect(zap, "kvm_gmem_error_folio zaps the whole folio").toEqual([1, 512, 262_144]);
    expect(rows.filter((r) => r.policy === "split-then-zap").map((r) => r.zappedGfns)).toEqual([1, 1, 1]);
    expect(rows.filter((r) => r.policy === "keep-mapped").every((r) => r.zappedGfns === 0 && r.healthyGfnsLost === 0)).toBe(true);
  });

  it("gmemGfnRuns tiles the window; gmemStripLanes puts the error in the middle folio", () => {
    const vm = new GuestMemfdVm({ memory: "6M", folioSize: "2M" });
    vm.poison(600);
    const runs = gmemGfnRuns(vm, 0, vm.privateGfns);
    expect(runs.map((r) => [r.start, r.end, r.state])).toEqual([[0, 512, "mapped"], [512, 600, "zapped"], [600, 601, "poisoned, zapped"], [601, 1024, "zapped"], [1024, 1536, "mapped"]]);
    const lanes = gmemStripLanes({ folioSize: "2M" });
    expect(lanes.map((l) => l.policy)).toEqual(["zap-folio", "keep-mapped", "split-then-zap"]);
    for (const l of lanes) {
      expect(l.runs[0].start).toBe(l.from);
      expect(l.runs[l.runs.length - 1].end).toBe(l.to);
      expect(l.poisonedGfn).toBe(512 + 256);
    }
    expect(lanes[1].runs.map((r) => r.state)).toEqual(["mapped", "poisoned, mapped", "mapped"]);
  });

  it("gmemOutcomeRows: policies × designs; only a shared stage-2 turns the zap into DMA faults", () => {
    const rows = gmemOutcomeRows({ memory: "16G", folioSize: "1G", errors: 2, accesses: 500, dmas: 500, seed: 5 });
    expect(rows.length).toBe(15);
    for (const r of rows) {
      if (!r.iommuSharesStage2 || r.policy !== "zap-folio") expect(r.dmaFaults, `${r.designName} ${r.policy}`).toBe(0);
    }
    expect(rows.find((r) => r.design === "tdx-connect" && r.policy === "zap-folio")!.dmaFaults).toBeGreaterThan(0);
  });
});

describe("charts render in linkedom", () => {
  it("gmemZapChart draws each metric and refuses empty data", () => {
    const rows = gmemZapRows();
    expect(plotSvg(render(gmemZapChart, rows)).getAttribute("aria-description")).toMatch(/1G zap-folio: 262,144/);
    expect(plotSvg(render(gmemZapChart, rows, { metric: "healthyGfnsLost" })).getAttribute("aria-description")).toMatch(/2M zap-folio: 511/);
    expect(plotSvg(render(gmemZapChart, rows, { metric: "stage2Leaves" })).getAttribute("aria-description")).toMatch(/1G split-then-zap: 1,022/);
    expect(() => render(gmemZapChart, [])).toThrow(/no data/);
    expect(() => render(gmemZapChart, rows, { metric: "x" as never })).toThrow(/not a metric/);
  });

  it("gmemGfnStripChart describes every lane", () => {
    const el = render(gmemGfnStripChart, gmemStripLanes({ folioSize: "1G" }));
    const d = plotSvg(el).getAttribute("aria-description")!;
    expect(d).toMatch(/zap-folio: 262,144 mapped, 131,072 zapped, 1 poisoned, zapped, 131,071 zapped, 262,144 mapped/);
    expect(d).toMatch(/keep-mapped: .*1 poisoned, mapped/);
    expect(toHtml(el)).toMatch(/<figcaption>/);
    expect(() => render(gmemGfnStripChart, [])).toThrow(/no lanes/);
  });

  it("gmemOutcomeChart's description follows the metric", () => {
    const rows = gmemOutcomeRows({ memory: "16G", folioSize: "1G", errors: 2, accesses: 500, dmas: 500, seed: 5 });
    const tdxZap = rows.find((r) => r.design === "tdx-connect" && r.policy === "zap-folio")!;
    expect(plotSvg(render(gmemOutcomeChart, rows, { metric: "dmaFaults" })).getAttribute("aria-description")).toContain(`Intel TDX Connect (TEE-IO), zap-folio: ${tdxZap.dmaFaults.toLocaleString("en-US")}`);
    expect(plotSvg(render(gmemOutcomeChart, rows)).getAttribute("aria-description")).toContain(`zap-folio: ${tdxZap.exits.toLocaleString("en-US")}`);
    expect(() => render(gmemOutcomeChart, [])).toThrow(/no data/);
  });
});
