// Builds the course site, serves it, and drives Chapters 1, 2, 3, 4 and 5 in headless Chromium: the
// charts must render, respond to their sliders with what the library computes, and log no errors.
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { fmt, pct } from "../../docs/.vitepress/format.js";
import { libValues } from "../../docs/.vitepress/lib-values.js";
import { memcycleModel } from "../../src/thp/memcycle.js";
import { formatSize } from "../../src/core/units.js";
import { memoryLostByPolicy } from "../../src/mfr/policy/memory-lost.js";
import { dmaOutcomeRows, heldBackOverVmLife } from "../../src/iommufd/vm-life.js";
import { CH3_EXAMPLE } from "../../docs/.vitepress/ch3-example.js";
import { CH5_EXAMPLE, ch5Dispatch } from "../../docs/.vitepress/ch5-example.js";
import { zapCost } from "../../src/vfio/zap-cost.js";
import { CH4_EXAMPLE, ch4Outcomes } from "../../docs/.vitepress/ch4-example.js";
import { MEMORY_LOST_ASSUMPTIONS } from "../../src/mfr/policy/memory-lost.js";
import { VM_LIFE_ASSUMPTIONS } from "../../src/iommufd/vm-life.js";
import { GMEM_ASSUMPTIONS } from "../../src/guest_memfd/outcome.js";
import { openWatched, useSiteInBrowser } from "./site-build.js";

const CHAPTER = "/chapters/01-thp-splitting-cost.html";

describe("course site: Chapter 1 in a browser", { timeout: 1_200_000 }, () => {
  const site = useSiteInBrowser();
  let base = "";
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    base = site.url;
    page = await openWatched(site, CHAPTER, problems);
  }, 120_000);

  async function renders(testid: string): Promise<number> {
    return Number(await page.getAttribute(`[data-testid="${testid}"]`, "data-renders"));
  }
  async function waitForRender(testid: string, after: number): Promise<void> {
    await page.waitForFunction(
      ([id, n]) => Number(document.querySelector(`[data-testid="${id}"]`)?.getAttribute("data-renders")) > Number(n),
      [testid, after] as const,
      { timeout: 15_000 },
    );
  }
  /** Moves a slider through `values`, waiting for each redraw; medians of the chart's own timings. */
  async function measure(testid: string, slider: string, values: string[]): Promise<{ compute: number; total: number; max: number }> {
    const compute: number[] = [];
    const total: number[] = [];
    for (const v of values) {
      const n = await renders(testid);
      await page.locator(`[data-testid="${slider}"]`).fill(v);
      await waitForRender(testid, n);
      compute.push(Number(await page.getAttribute(`[data-testid="${testid}"]`, "data-compute-ms")));
      total.push(Number(await page.getAttribute(`[data-testid="${testid}"]`, "data-render-ms")));
    }
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    return { compute: med(compute), total: med(total), max: Math.max(...total) };
  }
  async function svgOf(testid: string): Promise<string> {
    return page.$eval(`[data-testid="${testid}"] svg`, (s) => s.outerHTML);
  }

  it("prints the library's numbers in the text (fitted value, residuals, walk references)", async () => {
    const shown = await page.$$eval("[data-lib]", (els) => els.map((e) => [e.getAttribute("data-lib") ?? "", e.textContent ?? ""] as [string, string]));
    expect(shown.length, "the chapter should show library-computed values").toBeGreaterThan(50);
    const values = libValues();
    for (const [name, text] of shown) expect(text, `value ${name} on the page`).toBe(String(values[name]));
    const byName = new Map(shown);
    const model = memcycleModel();
    for (const r of model.residuals()) {
      expect(byName.get(`memcycle.predicted.${Math.round(r.fraction * 100)}`), `predicted change at ${r.fraction * 100} % split`).toBe(pct(r.predictedPercent));
    }
    expect(byName.get("walk.2d.4x4"), "2D walk of 4 guest × 4 host levels").toBe("24");
  });

  it("draws the split-cost chart with the curve and the two published points", async () => {
    await page.waitForSelector('[data-testid="split-chart"] svg', { timeout: 20_000 });
    const marks = await page.$$eval('[data-testid="split-chart"] svg', (s) => ({
      paths: s[0].querySelectorAll("path").length,
      circles: s[0].querySelectorAll("circle").length,
    }));
    expect(marks.paths, "the predicted curve is a path").toBeGreaterThan(0);
    expect(marks.circles, "two published points and the current point").toBeGreaterThanOrEqual(3);
    const fig = page.locator('[data-testid="split-chart"]');
    expect(await fig.getAttribute("role")).toBe("img");
    expect(await fig.getAttribute("aria-label")).toMatch(/throughput change/);
    expect(await page.getAttribute('[data-testid="split-slider"]', "aria-label")).toMatch(/split/);
  });

  it("moves the split slider and shows the model's prediction for the new fraction", async () => {
    const before = await svgOf("split-chart");
    const n = await renders("split-chart");
    await page.locator('[data-testid="split-slider"]').fill("60");
    await waitForRender("split-chart", n);
    expect(await svgOf("split-chart"), "the chart should change when the split fraction moves").not.toBe(before);
    const readout = (await page.textContent('[data-testid="split-readout"]')) ?? "";
    expect(readout, "readout at 60 % split").toContain(pct(memcycleModel().predict(0.6).throughputChangePercent));
  });

  it("draws the IOTLB cliff and redraws it when the IOTLB size changes", async () => {
    await page.waitForSelector('[data-testid="iotlb-chart"] svg', { timeout: 20_000 });
    const paths = await page.$$eval('[data-testid="iotlb-chart"] svg path', (p) => p.length);
    expect(paths, "2M and 4K curves").toBeGreaterThanOrEqual(2);
    expect(await page.getAttribute('[data-testid="iotlb-chart"]', "role")).toBe("img");
    const before = await svgOf("iotlb-chart");
    const readoutBefore = await page.textContent('[data-testid="iotlb-readout"]');
    const n = await renders("iotlb-chart");
    await page.locator('[data-testid="iotlb-entries-slider"]').fill("8");
    await waitForRender("iotlb-chart", n);
    expect(await svgOf("iotlb-chart"), "the cliff moves with the IOTLB size").not.toBe(before);
    expect(await page.textContent('[data-testid="iotlb-readout"]')).not.toBe(readoutBefore);
  });

  it("takes its chart colours from the theme, so dark mode changes them", async () => {
    // Plot puts a constant stroke on the mark's <g>; the path inherits it.
    const stroke = () => page.$eval('[data-testid="split-chart"] svg g[aria-label="line"] path', (p) => getComputedStyle(p).stroke);
    await page.evaluate(() => document.documentElement.classList.remove("dark"));
    const light = await stroke();
    await page.evaluate(() => document.documentElement.classList.add("dark"));
    const dark = await stroke();
    await page.evaluate(() => document.documentElement.classList.remove("dark"));
    expect(dark, "brand colour in dark mode differs from light mode").not.toBe(light);
  });

  it("recomputes a chart when its slider moves, every time (prints the measured time; speed goals live in npm run bench)", async () => {
    const split = await measure("split-chart", "split-slider", ["5", "10", "20", "30", "40", "50", "70", "80", "90", "25", "15"]);
    const iotlb = await measure("iotlb-chart", "iotlb-entries-slider", ["3", "4", "5", "6", "7", "8", "7", "6", "5", "4", "3"]);
    console.log(
      `[site] slider recompute (median of 11): split chart library ${split.compute.toFixed(2)} ms, library+Plot ${split.total.toFixed(2)} ms (max ${split.max.toFixed(1)}); ` +
        `IOTLB chart library ${iotlb.compute.toFixed(2)} ms, library+Plot ${iotlb.total.toFixed(2)} ms (max ${iotlb.max.toFixed(1)})`,
    );
    for (const m of [split, iotlb]) expect(Number.isFinite(m.total) && m.total >= 0, "each move recorded a render time").toBe(true);
  });

  it("Chapter 2: draws the memory-lost chart from memoryLostByPolicy and redraws it when the error slider moves", async () => {
    await page.goto(base + "/chapters/02-memfd-policy-lifetimes.html", { waitUntil: "load" });
    await page.waitForSelector('[data-testid="lost-chart"] svg', { timeout: 20_000 });
    const paths = await page.$$eval('[data-testid="lost-chart"] svg path', (p) => p.length);
    expect(paths, "default, keep-UE-mapped live and after-release curves").toBeGreaterThanOrEqual(3);
    expect(await page.getAttribute('[data-testid="lost-chart"]', "role")).toBe("img");
    expect(await page.getAttribute('[data-testid="lost-slider"]', "aria-label")).toMatch(/errors/);
    // Plot puts legend swatches (small <svg>s) before the plot; compare the plot itself.
    const plotSvg = () => page.$eval('[data-testid="lost-chart"] svg[viewBox]', (s) => s.outerHTML);
    const before = await plotSvg();
    const n = await renders("lost-chart");
    await page.locator('[data-testid="lost-slider"]').fill("20");
    await waitForRender("lost-chart", n);
    expect(await plotSvg(), "the marker moves with the number of errors").not.toBe(before);
    const r = memoryLostByPolicy({ errors: 20, guest: "8G", seed: 1 });
    const readout = (await page.textContent('[data-testid="lost-readout"]')) ?? "";
    expect(readout, "readout at 20 errors: default loss").toContain(`default loses ${formatSize(r.default.live.unreadableBytes)}`);
    expect(readout, "readout at 20 errors: keep-UE-mapped loss").toContain(`keep-UE-mapped loses ${formatSize(r.keepUeMapped.live.unreadableBytes)}`);
    const m = await renders("lost-chart");
    await page.locator('[data-testid="lost-pinned"]').check();
    await waitForRender("lost-chart", m);
    const pinned = memoryLostByPolicy({ errors: 20, guest: "8G", seed: 1, pinned: true });
    expect(await page.textContent('[data-testid="lost-readout"]'), "with the pin held the kept folios are lost whole").toContain(`${formatSize(pinned.keepUeMapped.afterRelease.unusableBytes)} after release with the pin held`);
  });

  // Chapter 3: the iommufd pinning charts re-run heldBackOverVmLife() (src/iommufd/vm-life.ts) in the browser.
  const ch3Run = (policy: "none" | "ebusy" | "revoke", o: { errors?: number; dmaPerDay?: number; punchPoisoned?: boolean } = {}) =>
    heldBackOverVmLife({
      policy, guest: CH3_EXAMPLE.guest, pageSize: CH3_EXAMPLE.pageSize, days: CH3_EXAMPLE.days, seed: CH3_EXAMPLE.seed,
      errors: o.errors ?? CH3_EXAMPLE.errors, dmaPerDay: o.dmaPerDay ?? CH3_EXAMPLE.dmaPerDay, punchPoisoned: o.punchPoisoned ?? CH3_EXAMPLE.punchPoisoned,
    });
  const ch3PlotSvg = (testid: string) => page.$eval(`[data-testid="${testid}"] svg[viewBox]`, (s) => s.outerHTML);

  it("Chapter 3: prints the model's numbers in the text", async () => {
    await page.goto(base + "/chapters/03-iommufd-pinning.html", { waitUntil: "load" });
    const shown = await page.$$eval("[data-lib]", (els) => els.map((e) => [e.getAttribute("data-lib") ?? "", e.textContent ?? ""] as [string, string]));
    expect(shown.filter(([n]) => n.startsWith("ch3.")).length, "the chapter should show model-computed values").toBeGreaterThan(40);
    const values = libValues();
    for (const [name, text] of shown) expect(text, `value ${name} on the page`).toBe(String(values[name]));
    const revoke = ch3Run("revoke").points.at(-1)!;
    expect(new Map(shown).get("ch3.vm.revoke.poison"), "DMAs to poison with a revoke").toBe(String(revoke.dmaToPoison));
  });

  it("Chapter 3: draws the held-back chart (three policies) and redraws it when the error slider moves", async () => {
    await page.waitForSelector('[data-testid="heldback-chart"] svg[viewBox]', { timeout: 20_000 });
    const marks = await page.$$eval('[data-testid="heldback-chart"] svg[viewBox] path', (p) => p.length);
    expect(marks, "step lines for three policies × two metrics").toBeGreaterThanOrEqual(6);
    expect(await page.getAttribute('[data-testid="heldback-chart"]', "role")).toBe("img");
    expect(await page.getAttribute('[data-testid="heldback-chart"]', "aria-label")).toMatch(/held back/);
    expect(await page.getAttribute('[data-testid="heldback-slider"]', "aria-label")).toMatch(/errors/);
    const before = await ch3PlotSvg("heldback-chart");
    const n = await renders("heldback-chart");
    await page.locator('[data-testid="heldback-slider"]').fill("6");
    await waitForRender("heldback-chart", n);
    expect(await ch3PlotSvg("heldback-chart"), "the curves move with the number of errors").not.toBe(before);
    const none = ch3Run("none", { errors: 6 });
    const peak = Math.max(...none.points.filter((p) => p.phase === "running").map((p) => p.heldBackBytes));
    expect(await page.textContent('[data-testid="heldback-readout"]'), "readout at 6 errors, no policy").toContain(`none (mainline): held back up to ${formatSize(peak)}`);
  });

  it("Chapter 3: draws the DMA outcome chart and redraws it when the DMA-rate slider moves; a revoke lets no DMA reach poison", async () => {
    await page.waitForSelector('[data-testid="dma-chart"] svg[viewBox]', { timeout: 20_000 });
    const bars = await page.$$eval('[data-testid="dma-chart"] svg[viewBox] rect', (r) => r.length);
    expect(bars, "stacked bars for the policies").toBeGreaterThan(0);
    expect(await page.getAttribute('[data-testid="dma-chart"]', "role")).toBe("img");
    expect(await page.getAttribute('[data-testid="dma-slider"]', "aria-label")).toMatch(/DMA/);
    const before = await ch3PlotSvg("dma-chart");
    const n = await renders("dma-chart");
    await page.locator('[data-testid="dma-slider"]').fill("40");
    await waitForRender("dma-chart", n);
    expect(await ch3PlotSvg("dma-chart"), "the bars move with the DMA rate").not.toBe(before);
    const rows = dmaOutcomeRows((["none", "ebusy", "revoke"] as const).map((p) => ch3Run(p, { dmaPerDay: 40 })));
    const count = (p: string, o: string) => rows.find((r) => r.policy === p && r.outcome === o)!.count;
    const readout = (await page.textContent('[data-testid="dma-readout"]')) ?? "";
    expect(readout, "no policy: DMAs to poison at 40 a day").toContain(`none (mainline): ${count("none", "poison")} DMA`);
    expect(readout, "revoke: IO page faults instead").toContain(
      `revoke: 0 DMAs reached a poisoned page, 0 reached a page memory failure had already offlined, ${count("revoke", "io-page-fault")} were stopped by an IO page fault`,
    );
  });

  it("Chapter 3: draws the pin-lifetime chart and redraws it for another policy", async () => {
    await page.waitForSelector('[data-testid="lifetime-chart"] svg[viewBox]', { timeout: 20_000 });
    expect(await page.$$eval('[data-testid="lifetime-chart"] svg[viewBox] rect', (r) => r.length), "one bar per held state").toBeGreaterThanOrEqual(4);
    const before = await ch3PlotSvg("lifetime-chart");
    const n = await renders("lifetime-chart");
    await page.locator('[data-testid="lifetime-policy"]').selectOption("revoke");
    await waitForRender("lifetime-chart", n);
    expect(await ch3PlotSvg("lifetime-chart"), "with a revoke the pin ends at the error").not.toBe(before);
    expect(await page.textContent('[data-testid="lifetime-readout"]')).toContain('lasts until "UE: memory_failure()"');
  });

  it("Chapter 3: recomputes the pinning charts on every slider move (prints the measured time)", async () => {
    const held = await measure("heldback-chart", "heldback-slider", ["1", "2", "3", "4", "5", "8", "10", "12", "9", "7", "0"]);
    const dma = await measure("dma-chart", "dma-slider", ["1", "4", "8", "16", "24", "32", "48", "64", "30", "12", "2"]);
    console.log(
      `[site] Chapter 3 slider recompute (median of 11; three VM lives on the Machine each): held-back chart library ${held.compute.toFixed(2)} ms, ` +
        `library+Plot ${held.total.toFixed(2)} ms (max ${held.max.toFixed(1)}); DMA chart library ${dma.compute.toFixed(2)} ms, library+Plot ${dma.total.toFixed(2)} ms (max ${dma.max.toFixed(1)})`,
    );
    for (const m of [held, dma]) expect(Number.isFinite(m.total) && m.total > 0, "each move recorded a render time").toBe(true);
  });

  // Chapter 5: the dispatch chart re-runs memoryFailurePfn() (src/vfio/) on the example machine and
  // the zap-cost chart re-runs zapCost() in the browser.
  const hex = (n: number) => "0x" + n.toString(16);
  const ch5PlotSvg = (testid: string) => page.$eval(`[data-testid="${testid}"] svg[viewBox]`, (x) => x.outerHTML);

  it("Chapter 5: prints the model's numbers in the text", async () => {
    await page.goto(base + "/chapters/05-vfio-mmio-poison.html", { waitUntil: "load" });
    const shown = await page.$$eval("[data-lib]", (els) => els.map((e) => [e.getAttribute("data-lib") ?? "", e.textContent ?? ""] as [string, string]));
    expect(shown.filter(([n]) => n.startsWith("ch5.")).length, "the chapter should show model-computed values").toBeGreaterThan(60);
    const values = libValues();
    for (const [name, text] of shown) expect(text, `value ${name} on the page`).toBe(String(values[name]));
    const { r } = ch5Dispatch();
    const vmm = r.kills.find((k) => k.pid === CH5_EXAMPLE.vmm.pid)!;
    expect(new Map(shown).get("ch5.d.vmm.addr"), "si_addr the VMM gets for the example's poisoned page").toBe(hex(vmm.addr));
    expect(new Map(shown).get("ch5.d.outcome"), "memory_failure_pfn()'s outcome").toBe("MF_MSG_PFN_MAP / MF_RECOVERED");
  });

  it("Chapter 5: draws the dispatch chart and redraws it when the poisoned page moves or the pgoff bug is on", async () => {
    await page.waitForSelector('[data-testid="dispatch-chart"] svg[viewBox]', { timeout: 20_000 });
    const dots = await page.$$eval('[data-testid="dispatch-chart"] svg[viewBox] circle', (c) => c.length);
    expect(dots, "one dot per signalled VMA (VMM and helper)").toBeGreaterThanOrEqual(2);
    expect(await page.getAttribute('[data-testid="dispatch-chart"]', "role")).toBe("img");
    expect(await page.getAttribute('[data-testid="dispatch-chart"]', "aria-label")).toMatch(/poisoned page/);
    expect(await page.getAttribute('[data-testid="dispatch-slider"]', "aria-label")).toMatch(/poisoned page/);
    const before = await ch5PlotSvg("dispatch-chart");
    const n = await renders("dispatch-chart");
    // Step 20 = usemem offset 5G: below the helper's mapping, so only the VMM is signalled.
    await page.locator('[data-testid="dispatch-slider"]').fill("20");
    await waitForRender("dispatch-chart", n);
    expect(await ch5PlotSvg("dispatch-chart"), "the poison rule and the dots move with the poisoned page").not.toBe(before);
    const at5G = ch5Dispatch({}, 20 * CH5_EXAMPLE.offsetStep + 5 * 4096).r;
    const readout = (await page.textContent('[data-testid="dispatch-readout"]')) ?? "";
    for (const k of at5G.kills) expect(readout, `pid ${k.pid}'s signal at 5G`).toContain(`pid ${k.pid}: SIGBUS ${k.code}, si_addr ${hex(k.addr)} (the poisoned page)`);
    expect(readout, "pid 200 maps only the upper half").toContain("pid 200: no signal");
    const m = await renders("dispatch-chart");
    await page.locator('[data-testid="dispatch-slider"]').fill(String(Math.floor(CH5_EXAMPLE.poisonOffset / CH5_EXAMPLE.offsetStep)));
    await waitForRender("dispatch-chart", m);
    const k = await renders("dispatch-chart");
    await page.locator('[data-testid="dispatch-bug"]').check();
    await waitForRender("dispatch-chart", k);
    const bug = ch5Dispatch({ pgoffFromPfn: true }).r;
    const bugReadout = (await page.textContent('[data-testid="dispatch-readout"]')) ?? "";
    for (const x of bug.kills) expect(bugReadout, `pid ${x.pid}'s wrong si_addr under the pgoff bug`).toContain(`pid ${x.pid}: SIGBUS ${x.code}, si_addr ${hex(x.addr)} (wrong page`);
    const steps = (await page.textContent('[data-testid="dispatch-steps"]')) ?? "";
    for (const step of bug.steps) expect(steps, "the kernel's steps, as the model logged them").toContain(step);
    const j = await renders("dispatch-chart");
    await page.locator('[data-testid="dispatch-bug"]').uncheck();
    await waitForRender("dispatch-chart", j);
  });

  it("Chapter 5: draws the zap-cost chart and redraws it when the region size or guest page size changes", async () => {
    await page.waitForSelector('[data-testid="zap-chart"] svg[viewBox]', { timeout: 20_000 });
    expect(await page.$$eval('[data-testid="zap-chart"] svg[viewBox] path', (p) => p.length), "kept and zapped lines").toBeGreaterThanOrEqual(2);
    expect(await page.getAttribute('[data-testid="zap-chart"]', "role")).toBe("img");
    expect(await page.getAttribute('[data-testid="zap-slider"]', "aria-label")).toMatch(/device memory region/);
    const before = await ch5PlotSvg("zap-chart");
    const n = await renders("zap-chart");
    await page.locator('[data-testid="zap-slider"]').fill("7");
    await waitForRender("zap-chart", n);
    expect(await ch5PlotSvg("zap-chart"), "the chart extends to the new region size").not.toBe(before);
    const z = zapCost(128 * 2 ** 30);
    const readout = (await page.textContent('[data-testid="zap-readout"]')) ?? "";
    expect(readout, "readout at 128G: entries kept and zapped").toContain(`kept at 1G it needs ${fmt(z.kept.entries)} stage-2 entries, zapped to 4K ${fmt(z.zapped.entries)}`);
    const m = await renders("zap-chart");
    await page.locator('[data-testid="zap-guest"]').selectOption("1G");
    await waitForRender("zap-chart", m);
    const g1 = zapCost(128 * 2 ** 30, { guestPage: "1G" });
    expect(await page.textContent('[data-testid="zap-readout"]'), "1G guest pages: the walk references").toContain(`a 2D walk takes ${g1.kept.walkRefs2D} memory references kept and ${g1.zapped.walkRefs2D} zapped`);
  });

  it("Chapter 5: recomputes its charts on every control move (prints the measured time)", async () => {
    const dispatch = await measure("dispatch-chart", "dispatch-slider", ["1", "8", "16", "24", "32", "40", "48", "56", "63", "30", "10"]);
    const zap = await measure("zap-chart", "zap-slider", ["0", "1", "2", "3", "4", "5", "6", "7", "5", "3", "1"]);
    console.log(
      `[site] Chapter 5 slider recompute (median of 11): dispatch chart library ${dispatch.compute.toFixed(2)} ms, library+Plot ${dispatch.total.toFixed(2)} ms (max ${dispatch.max.toFixed(1)}); ` +
        `zap-cost chart library ${zap.compute.toFixed(2)} ms, library+Plot ${zap.total.toFixed(2)} ms (max ${zap.max.toFixed(1)})`,
    );
    for (const m of [dispatch, zap]) expect(Number.isFinite(m.total) && m.total > 0, "each move recorded a render time").toBe(true);
  });

  // Chapter 4: the policy chart re-runs gmemOutcomeRows() (src/guest_memfd/) for every policy ×
  // design in the browser. Its colour legend's swatches are small svgs too: pick the plot's own.
  const ch4PlotSvg = (testid: string) => page.$eval(`[data-testid="${testid}"] svg[viewBox^="0 0"]`, (x) => x.outerHTML);
  it("Chapter 4: prints the model's numbers in the text", async () => {
    await page.goto(base + "/chapters/04-guest-memfd-secure-world.html", { waitUntil: "load" });
    const shown = await page.$$eval("[data-lib]", (els) => els.map((e) => [e.getAttribute("data-lib") ?? "", e.textContent ?? ""] as [string, string]));
    expect(shown.filter(([n]) => n.startsWith("ch4.")).length, "the chapter should show model-computed values").toBeGreaterThan(80);
    const values = libValues();
    for (const [name, text] of shown) expect(text, `value ${name} on the page`).toBe(String(values[name]));
    const byName = new Map(shown);
    expect(byName.get("ch4.zap.1G.zap-folio.zapped"), "GFNs a 1G folio's zap takes from stage-2").toBe(fmt(262_144));
    expect(byName.get("ch4.ex.exit.gpa"), "gpa of the KVM_EXIT_MEMORY_FAULT for the poisoned page").toBe(hex(CH4_EXAMPLE.poisonGfn * 4096));
    expect(byName.get("ch4.ex.shared.lsb"), "si_addr_lsb of the shared-memory SIGBUS on x86").toBe("12");
    expect(await page.locator('[data-testid="assumptions-gmem"] li').count(), "the model's assumptions are listed").toBeGreaterThan(3);
  });

  it("Chapter 4: draws the policy chart and redraws it when the errors or the folio size change", async () => {
    await page.waitForSelector('[data-testid="gmem-chart"] svg[viewBox^="0 0"]', { timeout: 20_000 });
    const bars = await page.$$eval('[data-testid="gmem-chart"] svg[viewBox^="0 0"] rect', (r) => r.length);
    expect(bars, "bars for the policies under each design").toBeGreaterThanOrEqual(3);
    expect(await page.getAttribute('[data-testid="gmem-chart"]', "role")).toBe("img");
    expect(await page.getAttribute('[data-testid="gmem-chart"]', "aria-label")).toMatch(/guest_memfd folio/);
    expect(await page.getAttribute('[data-testid="gmem-slider"]', "aria-label")).toMatch(/memory errors/);
    const readout0 = (await page.textContent('[data-testid="gmem-readout"]')) ?? "";
    const ex0 = ch4Outcomes().find((r) => r.policy === "zap-folio" && r.design === "tdx-connect")!;
    expect(readout0, "readout at the example's starting point").toContain(`zapping the folio loses ${fmt(ex0.healthyGfnsLost)} healthy GFNs`);
    const before = await ch4PlotSvg("gmem-chart");
    const n = await renders("gmem-chart");
    await page.locator('[data-testid="gmem-slider"]').fill("12");
    await waitForRender("gmem-chart", n);
    expect(await ch4PlotSvg("gmem-chart"), "the bars follow the number of errors").not.toBe(before);
    const at12 = ch4Outcomes({ errors: 12 });
    const zap12 = at12.find((r) => r.policy === "zap-folio" && r.design === "tdx-connect")!;
    const readout = (await page.textContent('[data-testid="gmem-readout"]')) ?? "";
    expect(readout, "12 errors: healthy GFNs lost and exits under a whole-folio zap").toContain(`zapping the folio loses ${fmt(zap12.healthyGfnsLost)} healthy GFNs`);
    expect(readout, "12 errors: DMA faults under TDX Connect's shared stage-2").toContain(`DMA faults: ${fmt(zap12.dmaFaults)} under TDX Connect`);
    const m = await renders("gmem-chart");
    await page.locator('[data-testid="gmem-folio"]').selectOption("4K");
    await waitForRender("gmem-chart", m);
    const k4 = ch4Outcomes({ errors: 12, folioSize: "4K" }).find((r) => r.policy === "zap-folio" && r.design === "tdx-connect")!;
    expect(await page.textContent('[data-testid="gmem-readout"]'), "4K folios (mainline): a zap loses no healthy page").toContain(`zapping the folio loses ${fmt(k4.healthyGfnsLost)} healthy GFNs`);
    expect(k4.healthyGfnsLost, "mainline 4K folios take only the poisoned page").toBe(0);
    const j = await renders("gmem-chart");
    const svg4k = await ch4PlotSvg("gmem-chart");
    await page.locator('[data-testid="gmem-metric"]').selectOption("dmaFaults");
    await waitForRender("gmem-chart", j);
    expect(await ch4PlotSvg("gmem-chart"), "the metric switch redraws the bars").not.toBe(svg4k);
    // A guest that keeps touching its poisoned pages: keep-mapped now shows repeated consumption.
    const c = await renders("gmem-chart");
    await page.locator('[data-testid="gmem-retouch"]').fill("10");
    await waitForRender("gmem-chart", c);
    const keep = ch4Outcomes({ errors: 12, folioSize: "4K", retouch: 0.1 }).find((r) => r.policy === "keep-mapped" && r.design === "tdx-connect")!;
    expect(keep.consumptions, "10 % of accesses back to a poisoned page consume it again under keep-mapped").toBeGreaterThan(0);
    expect(await page.textContent('[data-testid="gmem-readout"]'), "the readout follows the retouch slider").toContain(`with ${fmt(keep.consumptions)} repeated consumptions under TDX Connect`);
    const z = await renders("gmem-chart");
    await page.locator('[data-testid="gmem-retouch"]').fill("0");
    await waitForRender("gmem-chart", z);
  });

  it("Chapter 4: recomputes its chart on every control move (prints the measured time)", async () => {
    const l = await renders("gmem-chart");
    await page.locator('[data-testid="gmem-folio"]').selectOption("1G");
    await waitForRender("gmem-chart", l);
    const gmem = await measure("gmem-chart", "gmem-slider", ["1", "4", "8", "12", "16", "20", "24", "28", "32", "10", "2"]);
    console.log(`[site] Chapter 4 slider recompute (median of 11; 15 seeded VM runs each): policy chart library ${gmem.compute.toFixed(2)} ms, library+Plot ${gmem.total.toFixed(2)} ms (max ${gmem.max.toFixed(1)})`);
    expect(Number.isFinite(gmem.total) && gmem.total > 0, "each move recorded a render time").toBe(true);
  });

  it("lists each model's assumptions, as the library states them, next to its chart", async () => {
    const lists: [string, string, readonly string[]][] = [
      ["/chapters/02-memfd-policy-lifetimes.html", "memory-lost", MEMORY_LOST_ASSUMPTIONS],
      ["/chapters/03-iommufd-pinning.html", "vm-life", VM_LIFE_ASSUMPTIONS],
      ["/chapters/04-guest-memfd-secure-world.html", "gmem", GMEM_ASSUMPTIONS],
    ];
    for (const [path, which, expected] of lists) {
      await page.goto(base + path, { waitUntil: "load" });
      const shown = await page.$$eval(`[data-testid="assumptions-${which}"] li`, (li) => li.map((x) => x.textContent?.trim() ?? ""));
      expect(shown, `${path}: the ${which} assumptions`).toEqual([...expected]);
    }
  });

  it("logged no console errors, page errors or failed requests", () => {
    expect(problems, problems.join("\n")).toEqual([]);
  });

  it("serves the other pages without errors and with local search", async () => {
    for (const path of ["/", "/glossary.html", "/references.html", "/exercises.html"]) {
      const res = await page.goto(base + path, { waitUntil: "load" });
      expect(res?.status(), path).toBe(200);
    }
    expect(await page.locator(".VPNavBarSearch button, #local-search button").count(), "local search button").toBeGreaterThan(0);
    expect(problems, problems.join("\n")).toEqual([]);
  });
});
