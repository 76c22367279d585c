// Charts without JavaScript: every live chart's default state is drawn into the page when the site
// is built (Plot in Node with linkedom, as for the notebooks), so a reader without scripts, a
// search engine or a printout has the figures; with scripts the live chart replaces it on load,
// without hydration errors. Print gets its own stylesheet: no navigation, the figures kept.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadChapters } from "../../docs/.vitepress/chapters.js";
import { DIST, useSiteInBrowser } from "./site-build.js";

const chapters = loadChapters();
/** A live chart's host element (useLiveChart + v-static-html), in the built HTML. */
const HOSTS = "[data-static]";

describe("course site: charts exist without JavaScript, and print", { timeout: 1_200_000 }, () => {
  const site = useSiteInBrowser();

  it("the built HTML of every chapter with live charts holds each chart's figure", () => {
    let charts = 0;
    for (const c of chapters) {
      const html = readFileSync(join(DIST, "chapters", `${c.slug}.html`), "utf8");
      const hosts = [...html.matchAll(/<div[^>]*data-static="build"[^>]*>([\s\S]*?<svg[\s\S]*?<\/svg>)/g)];
      const marked = (html.match(/data-static="build"/g) ?? []).length;
      expect(hosts.length, `${c.slug}: every built chart host holds an <svg>`).toBe(marked);
      charts += marked;
    }
    expect(charts, "live charts across the chapters").toBeGreaterThanOrEqual(10);
  });

  it("with scripts off, every chart is drawn and has a size on the page", async () => {
    const ctx = await site.browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    for (const c of chapters) {
      await page.goto(`${site.url}/chapters/${c.slug}.html`, { waitUntil: "load" });
      const sizes = await page.$$eval(`${HOSTS} svg[viewBox], ${HOSTS} > svg`, (svgs) => svgs.map((s) => s.getBoundingClientRect()).filter((r) => r.width > 100 && r.height > 50).length);
      const hosts = await page.locator(HOSTS).count();
      expect(sizes, `${c.slug}: ${hosts} chart(s) visible without scripts`).toBeGreaterThanOrEqual(hosts);
    }
    await ctx.close();
  });

  it("with scripts on, each built figure is replaced by the live chart, without hydration errors", async () => {
    const page = await site.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || /hydration/i.test(m.text())) problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(e.message));
    for (const c of chapters) {
      await page.goto(`${site.url}/chapters/${c.slug}.html`, { waitUntil: "load" });
      await page.waitForFunction(() => document.querySelectorAll("[data-static]").length === 0, undefined, { timeout: 30_000 });
      const renders = await page.$$eval("[data-renders]", (e) => e.map((x) => Number(x.getAttribute("data-renders"))));
      for (const r of renders) expect(r, `${c.slug}: the live chart drew`).toBeGreaterThan(0);
    }
    expect(problems, problems.join("\n")).toEqual([]);
    await page.close();
  });

  it("prints without the navigation, with the figures, as a PDF", async () => {
    const page = await site.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${site.url}/chapters/03-iommufd-pinning.html`, { waitUntil: "load" });
    await page.emulateMedia({ media: "print" });
    const shown = (sel: string) => page.$$eval(sel, (els) => els.some((e) => getComputedStyle(e).display !== "none" && e.getBoundingClientRect().height > 0));
    expect(await shown(".VPSidebar"), "sidebar").toBe(false);
    expect(await shown(".VPNav"), "top bar").toBe(false);
    expect(await shown(".VPDocAside"), "outline").toBe(false);
    expect(await shown(".lab-chart .controls"), "chart controls").toBe(false);
    expect(await shown(".lab-chart svg"), "the figures").toBe(true);
    const left = await page.$eval(".vp-doc h1", (h) => h.getBoundingClientRect().left);
    expect(left, "the text starts at the page's edge, not after a sidebar").toBeLessThan(80);
    const pdf = await page.pdf({ format: "A4" });
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    expect(pdf.length).toBeGreaterThan(20_000);
    await page.close();
  });
});
