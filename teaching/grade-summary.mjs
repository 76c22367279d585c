#!/usr/bin/env node
// Turns `mfr-lab grade --json` into a markdown report for a classroom's CI (GitHub Actions' job
// summary, a GitLab job log) and a score line. Exit code: 0, or 1 with --require-all when some
// exercise fails; 2 when the input is not a grade report.
//
// usage: npx mfr-lab grade --json > grade.json; node teaching/grade-summary.mjs grade.json [--require-all]
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--"));
const requireAll = args.includes("--require-all");
function fail(msg) {
  process.stderr.write(`grade-summary: ${msg}\n`);
  process.exit(2);
}
if (!file) fail("give the file `mfr-lab grade --json` wrote (usage: grade-summary.mjs grade.json [--require-all])");
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (e) {
  fail(`cannot read ${file} as JSON: ${e.message}`);
}
if (!Array.isArray(report?.exercises) || typeof report.passed !== "number" || typeof report.total !== "number") {
  fail(`${file} is not the output of \`mfr-lab grade --json\` (no exercises/passed/total)`);
}
const cell = (s) => String(s ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ");
const lines = [
  `## MFR Lab: ${report.passed} of ${report.total} exercises pass`,
  "",
  "| | exercise | title | message |",
  "|---|---|---|---|",
  ...report.exercises.map((e) => `| ${e.passed ? "✅" : "❌"} | \`${cell(e.id)}\` | ${cell(e.title)} | ${e.passed ? "" : cell(e.message)} |`),
  "",
  `Points: ${report.passed}/${report.total}`,
];
process.stdout.write(lines.join("\n") + "\n");
process.exitCode = requireAll && report.passed !== report.total ? 1 : 0;
