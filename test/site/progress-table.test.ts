// The site shows a student's own progress when it is served from the course folder: `npm run docs`
// (the VitePress dev server) answers /__mfr-lab/progress.json from .mfr-lab/progress.json, and the
// exercise list draws a table from it. Runs on a copy of exercises/ (MFR_LAB_EXERCISES_DIR), never
// the student's own progress.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exerciseNumber } from "../../src/grader/catalog.js";
import { markSolved } from "../../src/grader/progress.js";
import { progressReport } from "../../src/grader/progress-report.js";
import { freshCopy, list, removeCopies } from "../grader/fresh-copy.js";
import { freePort } from "../servers.js";
import { CHROMIUM_ARGS, ROOT, findChromium } from "./site-build.js";

describe("course site served locally: the student's progress on the exercise list", { timeout: 600_000 }, () => {
  let dev: ChildProcess | undefined;
  let url = "";
  let browser: Browser | undefined;
  let dir = "";
  let log = "";

  beforeAll(async () => {
    dir = freshCopy();
    markSolved(dir, list[0].id);
    markSolved(dir, list[2].id);
    const port = await freePort();
    dev = spawn(process.execPath, [join(ROOT, "node_modules/vitepress/bin/vitepress.js"), "dev", "docs", "--host", "127.0.0.1", "--port", String(port), "--strictPort"], {
      cwd: ROOT,
      env: { ...process.env, MFR_LAB_EXERCISES_DIR: dir, MFR_LAB_BASE: "/" },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    dev.stdout!.on("data", (d) => (log += d));
    dev.stderr!.on("data", (d) => (log += d));
    url = `http://127.0.0.1:${port}`;
    const t0 = Date.now();
    for (;;) {
      try {
        if ((await fetch(`${url}/__mfr-lab/progress.json`)).ok) break;
      } catch {
        /* not listening yet */
      }
      if (dev.exitCode !== null || Date.now() - t0 > 300_000) throw new Error(`the dev server did not come up:\n${log}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    if (dev?.pid && dev.exitCode === null) {
      try {
        process.kill(-dev.pid, "SIGTERM");
      } catch {
        /* gone */
      }
    }
    removeCopies();
  });

  it("answers /__mfr-lab/progress.json with the progress report", async () => {
    const j = (await (await fetch(`${url}/__mfr-lab/progress.json`)).json()) as { solved: number; total: number; rows: { id: string; state: string }[] };
    const r = progressReport(dir);
    expect(j.solved).toBe(2);
    expect(j.total).toBe(list.length);
    expect(j.rows.map((x) => [x.id, x.state])).toEqual(r.rows.map((x) => [x.id, x.state]));
  });

  it("the exercise list shows the table: number, title, state", async () => {
    const page = await browser!.newPage();
    await page.goto(`${url}/exercises.html`, { waitUntil: "load" });
    await page.waitForSelector('[data-testid="progress-table"] tbody tr', { timeout: 120_000 });
    expect(await page.textContent('[data-testid="progress-table"]')).toContain(`2 of ${list.length}`);
    const rows = await page.$$eval('[data-testid="progress-table"] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent?.trim() ?? "")));
    expect(rows.length).toBe(list.length);
    expect(rows[0]).toEqual([exerciseNumber(list, list[0].id), list[0].title, "solved", `0 of ${list[0].hints}`]);
    expect(rows[1][2]).toBe("to do");
    expect(rows[2][2]).toBe("solved");
    await page.close();
  });
});
