// Chapter 5 series and charts: the data builders compute from the model, the charts render in
// linkedom with an aria description that follows the data.
import { describe, expect, it } from "vitest";
import {
  GiB, NvgraceGpuDevice, PfnSpaceTree, USEMEM_REGION_INDEX, dispatchChart, dispatchRows, memoryFailurePfn,
  pfnBands, pfnMapChart, zapCostChart, zapCostRows, type PfnSystem,
} from "../../src/index.js";
import { plotSvg, render, toHtml } from "../../src/viz/node.js";

function setup() {
  const tree = new PfnSpaceTree();
  const dev = new NvgraceGpuDevice("gpu0", { usemem: { index: 4, memphys: 0x4000_0000_0000, memlength: 16 * GiB } });
  dev.open(tree);
  dev.mmap(10, USEMEM_REGION_INDEX, 0, 4 * GiB, 0x7f00_0000_0000);
  dev.mmap(20, USEMEM_REGION_INDEX, 2 * GiB, 4 * GiB, 0x7e00_0000_0000);
  const sys: PfnSystem = { tree, vmas: dev.vmas, pids: [10, 20], ramFrames: (64 * GiB) / 4096, earlyKill: [20] };
  return { tree, dev, sys };
}

describe("series", () => {
  it("pfnBands: RAM, a gap, the registered usemem, a gap after it", () => {
    const { sys, dev } = setup();
    const bands = pfnBands(sys, dev.usememSpace.last + 10);
    expect(bands.map((b) => b.kind)).toEqual(["RAM (struct page)", "unregistered", "registered", "unregistered"]);
    expect(bands[2]).toMatchObject({ label: "gpu0 usemem", start: dev.usememSpace.start, last: dev.usememSpace.last });
    for (let i = 1; i < bands.length; i++) expect(bands[i].start, "bands tile the PFN space").toBe(bands[i - 1].last + 1);
  });

  it("dispatchRows: a correct dispatch puts every signal on the poisoned offset; v4 puts none there", () => {
    const { sys, dev } = setup();
    const off = 3 * GiB;
    const fixed = dispatchRows(dev.vmas, memoryFailurePfn(sys, dev.pfnAt(4, off), { current: 10 }));
    expect(fixed.map((r) => [r.pid, r.signal, r.signalAt])).toEqual([[10, "BUS_MCEERR_AR", off], [20, "BUS_MCEERR_AO", off]]);
    const v4 = dispatchRows(dev.vmas, memoryFailurePfn({ ...sys, pgoffFromPfn: true }, dev.pfnAt(4, off), { current: 10 }));
    expect(v4.every((r) => r.signal === undefined), "v4 finds no VMA at pgoff = pfn").toBe(true);
  });

  it("dispatchRows marks a SIGKILL for a VMA that ends before the poisoned page", () => {
    const { sys, dev } = setup();
    const rows = dispatchRows(dev.vmas, memoryFailurePfn(sys, dev.pfnAt(4, 5 * GiB), { current: 10 }));
    expect(rows.map((r) => r.signal)).toEqual(["SIGKILL", "BUS_MCEERR_AO"]);
  });

  it("zapCostRows: two rows per size, zapped always needs more entries", () => {
    const rows = zapCostRows([GiB, 8 * GiB]);
    expect(rows.length).toBe(4);
    expect(rows[1].entries / rows[0].entries).toBe(262_144);
  });
});

describe("charts render in linkedom", () => {
  it("pfnMapChart shows the bands and the marked PFN", () => {
    const { sys, dev } = setup();
    const el = render(pfnMapChart, pfnBands(sys, dev.usememSpace.last + 10), { marks: [{ pfn: dev.pfnAt(4, 0), label: "UE" }] });
    expect(plotSvg(el).getAttribute("aria-description")).toMatch(/UE in gpu0 usemem/);
    expect(toHtml(el)).toMatch(/<figcaption>/);
  });

  it("dispatchChart's description follows the result (fixed vs v4)", () => {
    const { sys, dev } = setup();
    const pfn = dev.pfnAt(4, 3 * GiB);
    const a = render(dispatchChart, dispatchRows(dev.vmas, memoryFailurePfn(sys, pfn, { current: 10 })), { poisonOffset: 3 * GiB });
    const b = render(dispatchChart, dispatchRows(dev.vmas, memoryFailurePfn({ ...sys, pgoffFromPfn: true }, pfn, { current: 10 })), { poisonOffset: 3 * GiB });
    expect(plotSvg(a).getAttribute("aria-description")).toMatch(/BUS_MCEERR_AR at 3G/);
    expect(plotSvg(b).getAttribute("aria-description")).toMatch(/no signal/);
  });

  it("zapCostChart draws both metrics and refuses empty data", () => {
    const rows = zapCostRows([GiB, 16 * GiB]);
    expect(plotSvg(render(zapCostChart, rows)).getAttribute("aria-description")).toMatch(/16G zapped \(4K PTEs\): 4,194,304/);
    expect(plotSvg(render(zapCostChart, rows, { metric: "stlbReachFraction" })).getAttribute("aria-description")).toMatch(/%/);
    expect(() => render(zapCostChart, [])).toThrow(/no data/);
  });
});
