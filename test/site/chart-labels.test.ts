// Chart polish, checked in the browser on every live chart of every chapter, at a laptop's and a
// phone's width, at each slider's default and both extremes: no text of a chart is cut off by its
// edge and no two labels overlap; in the readouts under the charts, an errno (-EBUSY) or a signed
// number with its % never breaks across lines.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { loadChapters } from "../../docs/.vitepress/chapters.js";
import { useSiteInBrowser } from "./site-build.js";

const chapters = loadChapters();

/** Problems with the chart texts and readouts now on the page. */
function inspect(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const svg of document.querySelectorAll(".lab-chart svg[viewBox], .scenario-timeline-plot svg[viewBox]")) {
      const id = svg.closest("[data-testid]")?.getAttribute("data-testid") ?? "chart";
      const box = svg.getBoundingClientRect();
      const texts = [...svg.querySelectorAll("text")]
        .map((t) => ({ t: (t.textContent ?? "").trim(), r: t.getBoundingClientRect() }))
        .filter((x) => x.t !== "" && x.r.width > 0);
      for (const { t, r } of texts) {
        if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) out.push(`[${id}] "${t}" is cut off by the chart's edge`);
      }
      for (let i = 0; i < texts.length; i++) {
        for (let j = i + 1; j < texts.length; j++) {
          const a = texts[i].r, b = texts[j].r;
          const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
          const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
          if (w > -1 && h > 2) out.push(`[${id}] "${texts[i].t}" overlaps "${texts[j].t}"`);
        }
      }
    }
    for (const r of document.querySelectorAll(".lab-chart .readout")) {
      const id = r.getAttribute("data-testid");
      for (const s of r.querySelectorAll(".nowrap")) if (s.getClientRects().length > 1) out.push(`[${id}] "${s.textContent}" breaks across lines`);
      // Every errno in a readout sits in a no-break span.
      const kept = new Set([...r.querySelectorAll(".nowrap")].map((s) => s.textContent));
      for (const m of (r.textContent ?? "").matchAll(/(?<![\w-])-[A-Z][A-Z0-9_]*/g)) if (!kept.has(m[0])) out.push(`[${id}] "${m[0]}" may break after its minus sign`);
    }
    return out;
  });
}

describe("course site: chart labels and readouts", { timeout: 1_200_000 }, () => {
  const site = useSiteInBrowser();

  for (const width of [1280, 390]) {
    it(`at ${width} px: nothing cut off or overlapping at any slider's default, minimum and maximum`, async () => {
      const page = await site.browser.newPage({ viewport: { width, height: 900 } });
      const problems = new Set<string>();
      let moves = 0;
      for (const c of chapters) {
        await page.goto(`${site.url}/chapters/${c.slug}.html`, { waitUntil: "load" });
        await page.waitForFunction(() => [...document.querySelectorAll("[data-renders]")].every((e) => Number(e.getAttribute("data-renders")) > 0), undefined, { timeout: 30_000 });
        for (const p of await inspect(page)) problems.add(`${c.slug} (defaults): ${p}`);
        const sliders = await page.$$eval(".lab-chart input[type=range][data-testid]", (els) =>
          els.map((e) => ({ id: e.getAttribute("data-testid")!, min: (e as HTMLInputElement).min, max: (e as HTMLInputElement).max, value: (e as HTMLInputElement).value })),
        );
        for (const s of sliders) {
          for (const v of [s.min, s.max, s.value]) {
            const chart = page.locator(`[data-testid="${s.id}"]`).locator("xpath=ancestor::div[contains(@class,'lab-chart')][1]").locator("[data-renders]").first();
            const before = Number(await chart.getAttribute("data-renders"));
            await page.locator(`[data-testid="${s.id}"]`).fill(v);
            if (v !== s.value || before > 0) {
              await page.waitForFunction(
                ([sel, n]) => {
                  const el = document.querySelector(sel as string)?.closest(".lab-chart")?.querySelector("[data-renders]");
                  return !el || Number(el.getAttribute("data-renders")) > Number(n);
                },
                [`[data-testid="${s.id}"]`, before] as const,
                { timeout: 30_000 },
              ).catch(() => undefined); // moving back to the value it already has draws nothing
            }
            moves++;
            if (v !== s.value) for (const p of await inspect(page)) problems.add(`${c.slug} (${s.id} = ${v}): ${p}`);
          }
        }
      }
      await page.close();
      console.log(`[labels] ${width} px: ${chapters.length} chapters, ${moves} slider moves`);
      expect([...problems], [...problems].join("\n")).toEqual([]);
    });
  }
});
