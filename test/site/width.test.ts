// No page of the built site may be wider than the screen, on a laptop (1280 px) or a phone
// (390 px): every page in dist is opened after its charts have drawn, and the document must not
// scroll sideways. Wide tables must scroll inside their own box. New pages are found in dist.
import { beforeAll, describe, expect, it } from "vitest";
import { pagePaths, useSiteInBrowser } from "./site-build.js";

const VIEWPORTS = [
  { name: "desktop", width: 1280, height: 900 },
  { name: "phone", width: 390, height: 844 },
];

interface Overflow {
  scrollWidth: number;
  clientWidth: number;
  /** Elements sticking out past the right edge that no scrolling box of their own contains. */
  offenders: string[];
  /** Tables wider than their box whose box does not scroll. */
  tables: string[];
}

describe("course site: no page is wider than the screen", { timeout: 1_200_000 }, () => {
  const site = useSiteInBrowser();
  let paths: string[] = [];

  beforeAll(() => {
    paths = pagePaths();
  });

  it("finds every chapter page in the build", () => {
    expect(paths.filter((p) => p.startsWith("/chapters/")).length, "chapter pages in dist").toBeGreaterThanOrEqual(6);
  });

  for (const vp of VIEWPORTS) {
    it(`every page fits ${vp.width} px (${vp.name})`, async () => {
      const page = await site.browser.newPage({ viewport: { width: vp.width, height: vp.height } });
      const wide: string[] = [];
      for (const path of paths) {
        await page.goto(site.url + path, { waitUntil: "load" });
        // Live charts draw after hydration: wait until every chart box has drawn once.
        await page.waitForFunction(() => [...document.querySelectorAll("[data-renders]")].every((e) => Number(e.getAttribute("data-renders")) > 0), undefined, { timeout: 30_000 });
        const o: Overflow = await page.evaluate(() => {
          const cw = document.documentElement.clientWidth;
          const clippedByAncestor = (el: Element) => {
            for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
              if (getComputedStyle(a).overflowX !== "visible") return true;
            }
            return false;
          };
          const offenders: string[] = [];
          for (const el of document.querySelectorAll("body *")) {
            const r = el.getBoundingClientRect();
            if (r.width > 0 && r.right > cw + 1 && !clippedByAncestor(el)) {
              offenders.push(`<${el.tagName.toLowerCase()} class="${el.getAttribute("class") ?? ""}"> right edge at ${Math.round(r.right)} px: "${(el.textContent ?? "").trim().slice(0, 60)}"`);
            }
          }
          const tables: string[] = [];
          for (const t of document.querySelectorAll(".vp-doc table")) {
            const box = t as HTMLElement;
            if (box.scrollWidth > box.clientWidth + 1 && !["auto", "scroll"].includes(getComputedStyle(box).overflowX)) {
              tables.push(`table "${(box.textContent ?? "").trim().slice(0, 40)}" is ${box.scrollWidth} px in a ${box.clientWidth} px box that does not scroll`);
            }
          }
          return { scrollWidth: document.documentElement.scrollWidth, clientWidth: cw, offenders: offenders.slice(0, 5), tables };
        });
        if (o.scrollWidth > o.clientWidth) wide.push(`${path}: ${o.scrollWidth} px wide on a ${o.clientWidth} px screen\n    ${o.offenders.join("\n    ")}`);
        for (const t of o.tables) wide.push(`${path}: ${t}`);
      }
      await page.close();
      console.log(`[width] ${paths.length} pages checked at ${vp.width} px`);
      expect(wide, `pages wider than a ${vp.width} px screen:\n${wide.join("\n")}`).toEqual([]);
    });
  }
});
