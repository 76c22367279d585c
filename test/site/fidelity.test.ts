// The Fidelity page in a browser: one row per suite scenario with each kernel's status, as in the
// committed kernel-suite results, the kernels' provenance, and each scenario's steps side by side.
import type { Page } from "playwright-core";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SUITE_RESULTS } from "../../src/fidelity/suite-results.js";
import { openWatched, useSiteInBrowser } from "./site-build.js";

describe("chapter pages: the same experiment on a real kernel", () => {
  it("every scenario a chapter embeds is a committed suite row that ran on a kernel", () => {
    const dir = join(__dirname, "..", "..", "docs", "chapters");
    const embedded = readdirSync(dir).flatMap((f) => [...readFileSync(join(dir, f), "utf8").matchAll(/<FidelityTable scenario="([^"]+)"/g)].map((m) => [f, m[1]]));
    expect(embedded.length, "Chapters 0–3 show real-kernel runs").toBeGreaterThanOrEqual(6);
    for (const [page, name] of embedded) {
      const row = SUITE_RESULTS.rows.find((r) => r.name === name);
      expect(row, `${page}: no suite row "${name}"`).toBeDefined();
      expect(row!.steps.length > 0 && Object.values(row!.kernels).every((c) => c.steps.length > 0), `${page}: "${name}" ran on every kernel`).toBe(true);
    }
  });
});

describe("course site: the Fidelity page", { timeout: 180_000 }, () => {
  const site = useSiteInBrowser();
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    page = await openWatched(site, "/fidelity.html", problems);
  }, 120_000);

  it("shows every scenario of the committed suite run, with each kernel's status and the kernels' packages", async () => {
    expect(SUITE_RESULTS.rows.length, "the committed results hold a suite run").toBeGreaterThan(20);
    const rows = await page.$$eval('[data-testid="fidelity-table"] tbody tr', (trs) => trs.map((tr) => ({
      name: tr.getAttribute("data-scenario"),
      cells: [...tr.querySelectorAll("td[data-kernel]")].map((td) => [td.getAttribute("data-kernel"), td.textContent?.trim() ?? ""]),
    })));
    expect(rows.map((r) => r.name)).toEqual(SUITE_RESULTS.rows.map((r) => r.name));
    const words: Record<string, string> = { agree: "agrees", known: "known difference", differ: "DIFFERS", "model only": "model only", "not run": "not run" };
    for (const r of SUITE_RESULTS.rows) {
      const shown = new Map(rows.find((x) => x.name === r.name)!.cells as [string, string][]);
      for (const [id, cell] of Object.entries(r.kernels)) expect(shown.get(id), `${r.name} on ${id}`).toMatch(new RegExp(`^${words[cell.status]}`));
    }
    const prov = await page.textContent('[data-testid="fidelity-provenance"]');
    for (const k of SUITE_RESULTS.kernels) expect(prov).toContain(k.source);
    expect(prov).toContain(SUITE_RESULTS.ran);
  });

  it("lists each scenario's steps on the model and the kernels, and what only the model can show", async () => {
    const details = page.locator("details#selftest-mf-clean-pagecache-hard");
    await details.locator("summary").click();
    const text = await details.textContent();
    expect(text).toContain("MF_MSG_CLEAN_LRU MF_RECOVERED");
    expect(await page.locator("details#early-kill").textContent(), "how the scrubber's error was injected").toContain("corrupt-pfn: memory_failure(pfn, MF_SW_SIMULATED)");
    expect(await page.locator('[data-testid="model-only-checks"] li').count()).toBeGreaterThan(3);
    expect(problems).toEqual([]);
  });
});
