// The benchmark script keeps working: a --quick smoke run prints one JSON object whose engine
// counts agree between TS and C. No figure is asserted here: speed lives in `npm run bench`.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");
const TSX = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
function bench(...args: string[]) {
  return spawnSync(process.execPath, [TSX, join(ROOT, "scripts", "bench.ts"), ...args], { encoding: "utf8", cwd: ROOT });
}

// The quick run boots Linux 7.3 once under QEMU (5–25 s measured on a busy 2-core machine) and
// took up to ~60 s in all beside two busy loops during the full suite; the limit is 5× that.
describe("npm run bench", { timeout: 300_000 }, () => {
  it("--json --quick prints one object: TS and C agree on both traces, the ratio is computed from them", () => {
    const r = bench("--json", "--quick", "--skip-notebook");
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.length, "--json prints exactly one line on stdout").toBe(1);
    const out = JSON.parse(lines[0]);
    expect(out.quick).toBe(true);
    expect(Object.keys(out.engine).sort()).toEqual(["uniform", "zipf"]);
    for (const [name, e] of Object.entries(out.engine) as [string, { countsEqual: boolean; ratio: number; tsAccessesPerSec: number; cAccessesPerSec: number }][]) {
      expect(e.countsEqual, `${name}: TS and C hit/miss counts`).toBe(true);
      expect(e.ratio, `${name}: ratio is TS time / C time`).toBeCloseTo(e.cAccessesPerSec / e.tsAccessesPerSec, 6);
    }
    expect(out.ratio).toBe(Math.max(out.engine.uniform.ratio, out.engine.zipf.ratio));
    expect(out.goalMet).toBe(out.ratio <= out.goal);
    expect(out.notebookSeconds, "--skip-notebook").toBeNull();
    expect(out.scenario.machine640G.violations, "no invariant broken during the error storm").toBe(0);
    expect(out.kernels.map((k: { id: string }) => k.id), "--quick boots 7.3 once").toEqual(["7.3"]);
    expect(out.kernels[0].bootSeconds).toBeGreaterThan(0);
    expect(out.kernels[0].emptyRunSeconds).toBeGreaterThanOrEqual(out.kernels[0].bootSeconds);
    expect(out.scorecardMs.onePolicy > 0 && out.scorecardMs.builtins > out.scorecardMs.onePolicy, "Chapter 6 scorecard timings").toBe(true);
    // The growth figures and the grading speed-up are measured (their values are the README's, not asserted).
    expect(out.growth.invariants.rows.length).toBe(4);
    expect(out.growth.invariants.violations, "no invariant broken in the growth runs").toBe(0);
    expect(out.growth.gmem.length).toBeGreaterThan(1);
    expect(Object.keys(out.growth.cliLimits).length).toBeGreaterThanOrEqual(5);
    expect(out.grading.exercises, "--quick grades three references").toBe(3);
    expect(out.grading.allPassed, "every reference passed, one at a time and in parallel").toBe(true);
  });

  it("rejects an unknown flag with one line and exit code 2", () => {
    const r = bench("--jsn");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--jsn'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
