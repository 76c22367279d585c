// The site as published under a sub-path (a GitHub Pages project site serves it at /<repo>/):
// built with MFR_LAB_BASE, served only under that base, and crawled in Chromium from the home page
// through every link a reader can click (pages, exercise pages, notebook viewers, downloads). No
// link may leave the base or fail, no asset may 404. The home page links the repository, an edit
// link and "get the course"; every chapter links its notebook's viewer, which shows its outputs.
import { join } from "node:path";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { loadChapters } from "../../docs/.vitepress/chapters.js";
import { ROOT, pagePaths, useSiteInBrowser } from "./site-build.js";

const BASE = "/mfr-lab/";
const REPO = "https://github.com/course-org/mfr-lab"; // a stand-in: the build takes it from MFR_LAB_REPO
const OUT = join(ROOT, "docs/.vitepress/dist-base");

describe("course site published under a base path", { timeout: 1_200_000 }, () => {
  const site = useSiteInBrowser({ build: { outDir: OUT, env: { MFR_LAB_BASE: BASE, MFR_LAB_REPO: REPO, MFR_LAB_BRANCH: "main" } }, base: BASE });
  let origin = "";
  let page: Page;
  const failed: string[] = [];
  const visited = new Map<string, string[]>(); // page path → links found on it

  beforeAll(async () => {
    origin = site.url;
    page = await site.browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("response", (r) => {
      if (r.url().startsWith(origin) && r.status() >= 400) failed.push(`HTTP ${r.status()} for ${r.url().slice(origin.length)} (on ${page.url().slice(origin.length)})`);
    });
    page.on("pageerror", (e) => failed.push(`page error on ${page.url().slice(origin.length)}: ${e.message}`));
  }, 120_000);

  it("crawls every page from the home page: every link stays under the base and resolves", async () => {
    const queue = [BASE];
    const leaves: string[] = [];
    const files = new Set<string>();
    while (queue.length > 0) {
      const path = queue.shift()!;
      if (visited.has(path)) continue;
      const res = await page.goto(origin + path, { waitUntil: "load" });
      if (!res || res.status() !== 200) {
        failed.push(`HTTP ${res?.status()} for ${path}`);
        visited.set(path, []);
        continue;
      }
      // Links as the reader sees them, after the page's scripts ran (sidebar, lists built in Vue).
      await page.waitForLoadState("networkidle");
      const links = await page.$$eval("a[href]", (as) => as.map((a) => (a as HTMLAnchorElement).href));
      visited.set(path, links);
      for (const href of links) {
        const u = new URL(href);
        if (u.origin !== origin) continue;
        if (!u.pathname.startsWith(BASE)) {
          leaves.push(`${path}: ${u.pathname} is outside ${BASE}`);
          continue;
        }
        if (/\.html$|\/$/.test(u.pathname)) {
          if (!visited.has(u.pathname) && !queue.includes(u.pathname)) queue.push(u.pathname);
        } else files.add(u.pathname);
      }
    }
    for (const f of files) {
      const r = await page.request.get(origin + f);
      if (r.status() !== 200) failed.push(`HTTP ${r.status()} for ${f}`);
    }
    const built = pagePaths(OUT).map((p) => BASE + p.slice(1));
    const unreached = built.filter((p) => !visited.has(p) && !(p === `${BASE}index.html` && visited.has(BASE)));
    console.log(`[base] crawled ${visited.size} pages and ${files.size} files under ${BASE}`);
    expect(leaves, `links that ignore the base path:\n${leaves.join("\n")}`).toEqual([]);
    expect(failed, failed.join("\n")).toEqual([]);
    expect(unreached, "built pages no link leads to").toEqual([]);
  });

  it("the home page links the repository, an edit link and how to get the course", async () => {
    await page.goto(origin + BASE, { waitUntil: "load" });
    expect(await page.getAttribute('[data-testid="repo-link"]', "href")).toBe(REPO);
    const get = (await page.textContent('[data-testid="get-the-course"]')) ?? "";
    expect(get).toContain(`git clone ${REPO}.git`);
    expect(get).toContain("npm install && npm start");
    expect(get).toContain("npm install && npm test");
    expect(await page.locator(`.VPSocialLinks a[href="${REPO}"]`).count(), "the repository in the top bar").toBeGreaterThan(0);
    await page.goto(origin + BASE + "chapters/01-thp-splitting-cost.html", { waitUntil: "load" });
    expect(await page.getAttribute('[data-testid="edit-link"]', "href")).toBe(`${REPO}/edit/main/docs/chapters/01-thp-splitting-cost.md`);
    await page.goto(origin + BASE + "exercises/ch1-tlb-reach.html", { waitUntil: "load" });
    expect(await page.getAttribute('[data-testid="edit-link"]', "href"), "an exercise page is edited in its README").toBe(`${REPO}/edit/main/exercises/ch1-tlb-reach/README.md`);
  });

  it("every chapter links its notebook with outputs, the .ipynb and Binder; the viewer shows outputs and links back", async () => {
    for (const c of loadChapters()) {
      await page.goto(origin + BASE + `chapters/${c.slug}.html`, { waitUntil: "load" });
      const viewer = await page.getAttribute('[data-testid="notebook-viewer"]', "href");
      expect(viewer, `${c.slug}: notebook viewer link`).toBe(`${BASE}notebooks/${c.slug}.html`);
      expect(await page.getAttribute('[data-testid="notebook-download"]', "href")).toBe(`${BASE}notebooks/${c.slug}.ipynb`);
      expect(await page.getAttribute('[data-testid="notebook-binder"]', "href")).toBe(
        `https://mybinder.org/v2/gh/course-org/mfr-lab/main?urlpath=${encodeURIComponent(`lab/tree/notebooks/${c.slug}.ipynb`)}`,
      );
      await page.click('[data-testid="notebook-viewer"]');
      await page.waitForURL(`**/notebooks/${c.slug}.html`);
      const outputs = await page.locator(".jp-OutputArea-output").count();
      expect(outputs, `${c.slug}: the viewer shows the executed cells' outputs`).toBeGreaterThan(3);
      expect(await page.locator(".jp-OutputArea-output svg, .jp-OutputArea-output table").count(), `${c.slug}: charts or tables among the outputs`).toBeGreaterThan(0);
      await page.click(".mfr-lab-bar a >> text=Back to the chapter");
      await page.waitForURL(`**/chapters/${c.slug}.html`);
    }
    expect(failed, failed.join("\n")).toEqual([]);
  });
});
