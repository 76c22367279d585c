// `npm test`: set up what the suite needs (Python venv + tslab kernel), run every vitest test
// (library, C reference, notebooks through the real kernel, site in Chromium, grader both ways),
// then print one line `N passed, N failed` counted from the run's JSON report.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureAll, ROOT } from "./setup.mjs";

await ensureAll();

const reportDir = mkdtempSync(join(tmpdir(), "mfr-lab-test-"));
const report = join(reportDir, "vitest.json");
const args = [join(ROOT, "node_modules", "vitest", "vitest.mjs"), "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)];
const r = spawnSync(process.execPath, args, { stdio: "inherit", cwd: ROOT });

let passed = 0, failed = 0, skipped = 0;
if (existsSync(report)) {
  const j = JSON.parse(readFileSync(report, "utf8"));
  passed = j.numPassedTests;
  failed = j.numFailedTests;
  skipped = j.numPendingTests + j.numTodoTests;
  // A test file that fails to load has no tests counted: count it as a failure.
  for (const f of j.testResults ?? []) if (f.status === "failed" && (f.assertionResults ?? []).length === 0) failed++;
} else {
  failed = 1;
  console.error("[mfr-lab] vitest wrote no report: counting the run as failed.");
}
rmSync(reportDir, { recursive: true, force: true });
const exit = r.status === 0 && failed === 0 ? 0 : 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(exit);
