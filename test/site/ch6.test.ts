// Chapter 6 in headless Chromium: the page prints the scorecard's numbers as the library computes
// them, the live scorecard re-runs the whole battery when an answer changes and shows what
// scorePolicy() computes for the picked policy, the kernel-lab slots show the kernels' results, and
// nothing logs an error.
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { libValues } from "../../docs/.vitepress/lib-values.js";
import { CH6_PRESETS, pickerPolicy, type PickerState } from "../../docs/.vitepress/ch6-example.js";
import { BATTERY_ASSUMPTIONS, BUILTIN_POLICIES, KERNEL_LAB_SLOTS, MAINLINE, METRIC_IDS, METRICS, formatMetric, scorePolicy, slug } from "../../src/index.js";
import { openWatched, useSiteInBrowser } from "./site-build.js";

const PAGE = "/chapters/06-design-your-own-policy.html";

describe("course site: Chapter 6 in a browser", { timeout: 180_000 }, () => {
  const site = useSiteInBrowser();
  let base = "";
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    base = site.url;
    page = await openWatched(site, PAGE, problems);
  }, 120_000);

  const renders = async (): Promise<number> => Number(await page.getAttribute('[data-testid="policy-chart"]', "data-renders"));
  const waitForRender = (after: number) =>
    page.waitForFunction((n) => Number(document.querySelector('[data-testid="policy-chart"]')?.getAttribute("data-renders")) > Number(n), after, { timeout: 30_000 });
  const plotSvg = () => page.$eval('[data-testid="policy-chart"] svg[viewBox^="0 0"]', (x) => x.outerHTML);
  /** What the readout must say for a policy, from the library. */
  const expectedReadout = (state: PickerState) => {
    const c = scorePolicy(pickerPolicy(state));
    const base0 = scorePolicy(MAINLINE);
    const metrics = METRIC_IDS.map((m) => `${METRICS[m].label} ${formatMetric(m, c.metrics[m].value)} (mainline ${formatMetric(m, base0.metrics[m].value)})`).join("; ");
    const fails = c.objections.filter((o) => o.failed).map((o) => o.id);
    return `Your policy: ${metrics}. Objections failed: ${fails.length ? fails.join(", ") : "none"}.`;
  };

  it("prints the scorecard's numbers in the text, the built-ins' table among them", async () => {
    const shown = await page.$$eval("[data-lib]", (els) => els.map((e) => [e.getAttribute("data-lib") ?? "", e.textContent ?? ""] as [string, string]));
    expect(shown.filter(([n]) => n.startsWith("ch6.")).length, "the chapter shows scorecard values").toBeGreaterThan(150);
    const values = libValues();
    for (const [name, text] of shown) expect(text, `value ${name} on the page`).toBe(String(values[name]));
    const byName = new Map(shown);
    for (const p of BUILTIN_POLICIES) {
      const card = scorePolicy(p);
      for (const m of METRIC_IDS) expect(byName.get(`ch6.builtin.${slug(p.name)}.${m}`), `${p.name} ${m}`).toBe(formatMetric(m, card.metrics[m].value));
    }
    const assumptions = await page.$$eval('[data-testid="assumptions-policy"] li', (li) => li.map((x) => x.textContent?.trim() ?? ""));
    expect(assumptions).toEqual([...BATTERY_ASSUMPTIONS]);
  });

  it("shows each kernel-lab slot's committed kernel result (or why it is model only)", async () => {
    const slots = await page.$$eval("[data-kernel-lab-slot]", (els) => els.map((e) => e.textContent?.trim() ?? ""));
    expect(slots.length).toBe(KERNEL_LAB_SLOTS.length);
    KERNEL_LAB_SLOTS.forEach((s, i) => expect(slots[i]).toMatch(s.replayable === true ? /^6\.12\.\d+.*: .*; 7\.3\.\d+/ : /^model only/));
    expect(KERNEL_LAB_SLOTS.filter((s) => s.replayable === true).every((s) => s.results?.length === 2), "every replayable slot has both kernels' results").toBe(true);
  });

  it("draws the live scorecard for mainline, then follows every answer the reader picks", async () => {
    await page.waitForSelector('[data-testid="policy-chart"] svg[viewBox^="0 0"]', { timeout: 30_000 });
    expect(await page.getAttribute('[data-testid="policy-chart"]', "role")).toBe("img");
    expect(await page.getAttribute('[data-testid="policy-chart"]', "aria-label")).toMatch(/one row per metric/);
    const start = CH6_PRESETS[0].state;
    expect((await page.textContent('[data-testid="policy-readout"]'))?.trim(), "starts at mainline").toBe(expectedReadout(start));
    // One answer at a time: the chart redraws and the readout is the library's scorecard.
    const state: PickerState = { ...start };
    const moves: [keyof PickerState, string][] = [["memfdHugetlb", "keep-mapped"], ["release", "deferred"], ["pinned", "revoke"], ["gmemError", "split-then-zap"], ["pfnError", "unmap"], ["memfdThp", "keep-mapped"]];
    for (const [key, value] of moves) {
      const before = await plotSvg();
      const n = await renders();
      await page.locator(`[data-testid="policy-choice-${key}"]`).selectOption(value);
      await waitForRender(n);
      (state as unknown as Record<string, string>)[key] = value;
      expect((await page.textContent('[data-testid="policy-readout"]'))?.trim(), `after ${key} = ${value}`).toBe(expectedReadout(state));
      expect(await plotSvg(), `the bars move after ${key} = ${value}`).not.toBe(before);
    }
    const verdicts = await page.$$eval('[data-testid="policy-objections"] li', (li) => li.map((x) => x.getAttribute("data-failed")));
    const card = scorePolicy(pickerPolicy(state));
    expect(verdicts).toEqual(card.objections.map((o) => String(o.failed)));
  });

  it("a built-in preset reproduces that policy's scorecard", async () => {
    const preset = CH6_PRESETS.find((p) => p.name === "RFC v2")!;
    const n = await renders();
    await page.locator('[data-testid="policy-preset"]').selectOption(preset.name);
    await waitForRender(n);
    const card = scorePolicy(BUILTIN_POLICIES.find((p) => p.name === "RFC v2")!);
    const readout = (await page.textContent('[data-testid="policy-readout"]')) ?? "";
    for (const m of METRIC_IDS) expect(readout, m).toContain(`${METRICS[m].label} ${formatMetric(m, card.metrics[m].value)} (`);
    const t = Number(await page.getAttribute('[data-testid="policy-chart"]', "data-compute-ms"));
    console.log(`[site] Chapter 6 scorecard recompute (one policy over the battery): ${t.toFixed(1)} ms`);
  });

  it("logged no console errors, page errors or failed requests", () => {
    expect(problems, problems.join("\n")).toEqual([]);
  });
});
