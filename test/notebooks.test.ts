// Every notebook is executed through the real tslab kernel; any error output, stderr text,
// timeout or dead kernel fails the suite, with the failing cell shown.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");
const PYTHON = join(ROOT, ".venv", "bin", "python");
const notebooks = readdirSync(join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb") && !f.includes(".executed.")).sort();

describe("notebooks run top to bottom in the tslab kernel", () => {
  it("there is a notebook for every chapter built so far", () => {
    expect(notebooks.length, "notebooks/ holds the chapter notebooks").toBeGreaterThan(0);
  });

  for (const nb of notebooks) {
    // Chapters 0–3 run scenarios on both kernels under QEMU when they are cached (15–60 s measured).
    it(nb, { timeout: 600_000 }, () => {
      const source = JSON.parse(readFileSync(join(ROOT, "notebooks", nb), "utf8"));
      expect(source.metadata?.kernelspec?.name, `${nb} must use the tslab kernel`).toBe("tslab");
      const r = spawnSync(PYTHON, [join(ROOT, "scripts", "run_notebook.py"), join(ROOT, "notebooks", nb), "--timeout", "240"], { encoding: "utf8", cwd: ROOT });
      const line = r.stdout.trim().split("\n").pop() ?? "";
      let res: { ok: boolean; error?: string; seconds: number; outputs: number; codeCells: number };
      try {
        res = JSON.parse(line);
      } catch {
        throw new Error(`the notebook runner did not report (exit ${r.status}):\n${r.stderr.slice(-3000)}`);
      }
      expect(res.ok, `${nb} failed:\n${res.error}`).toBe(true);
      expect(res.outputs, `${nb} produced no output at all`).toBeGreaterThan(0);
      console.log(`[notebook] ${nb}: ${res.codeCells} code cells, ${res.seconds} s`);
    });
  }
});

describe("the notebook runner itself", () => {
  it("fails a notebook whose cell has a type error (tslab reports it on stderr)", { timeout: 120_000 }, () => {
    const { mkdtempSync, rmSync, writeFileSync } = require("node:fs") as typeof import("node:fs");
    const dir = mkdtempSync(join(require("node:os").tmpdir(), "mfr-lab-nb-"));
    const nb = join(dir, "broken.ipynb");
    writeFileSync(nb, JSON.stringify({
      cells: [
        { cell_type: "code", id: "a", metadata: {}, outputs: [], execution_count: null, source: ['console.log("first cell runs")'] },
        { cell_type: "code", id: "b", metadata: {}, outputs: [], execution_count: null, source: ['const pages: number = "512";'] },
      ],
      metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
      nbformat: 4, nbformat_minor: 5,
    }));
    const r = spawnSync(PYTHON, [join(ROOT, "scripts", "run_notebook.py"), nb, "--timeout", "60"], { encoding: "utf8" });
    rmSync(dir, { recursive: true, force: true });
    const res = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}");
    expect(res.ok, "a type error must fail the notebook").toBe(false);
    expect(r.status).toBe(1);
    expect(String(res.error)).toMatch(/not assignable|error/i);
  });
});
