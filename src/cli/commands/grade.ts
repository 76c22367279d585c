// `mfr-lab grade`: grades every exercise (or --only one) in its own process and prints a score.
// Exit code: 0 when every graded exercise passes, 1 when some fail, 2 on a usage error.
import type { Command } from "commander";
import { resolve } from "node:path";
import { defaultExercisesDir, findExercise, loadManifest } from "../../grader/manifest.js";
import { markSolved } from "../../grader/progress.js";
import { DEFAULT_TIMEOUT_MS, grade, type ExerciseResult } from "../../grader/run.js";
import { intOption, numberOption } from "../options.js";

function line(r: ExerciseResult): string {
  const t = `(${(r.durationMs / 1000).toFixed(1)} s)`;
  return r.passed ? `  ✓ ${r.id}  ${r.title}  ${t}` : `  ✗ ${r.id}  ${r.title}  ${t}\n      ${r.message ?? "a test failed"}`;
}

export function registerGrade(program: Command): void {
  program
    .command("grade")
    .description("grade the exercises (each in its own process, with a time limit) and print the score")
    .option("--reference", "grade the reference solutions instead of your files (course authors, CI)")
    .option("--only <id>", "grade one exercise, e.g. ch1-tlb-reach")
    .option("--seed <n>", "seed of the generated test cases (draws a fresh set of problems)", intOption(0, 0xffffffff))
    .option("--timeout <seconds>", "time limit per exercise", numberOption(1, 600), DEFAULT_TIMEOUT_MS / 1000)
    .option("--exercises-dir <dir>", "exercise folder to grade (default: exercises/)")
    .option("--json", "print one JSON object")
    .action(async (o: { reference?: boolean; only?: string; seed?: number; timeout: number; exercisesDir?: string; json?: boolean }) => {
      const dir = resolve(o.exercisesDir ?? defaultExercisesDir());
      const list = loadManifest(dir);
      if (o.only !== undefined) findExercise(list, o.only, "--only");
      const target = o.reference ? "reference" : "student";
      const json = !!o.json;
      if (!json) {
        const what = o.reference ? "reference solutions" : "your exercise files";
        process.stdout.write(`Grading ${what}${o.seed !== undefined ? ` (seed ${o.seed})` : ""}…\n`);
      }
      const report = await grade({
        exercisesDir: dir, target, seed: o.seed, timeoutMs: Math.round(o.timeout * 1000),
        only: o.only !== undefined ? [o.only] : undefined,
        onResult: json ? undefined : (r) => process.stdout.write(line(r) + "\n"),
      });
      // A pass counts as progress for `mfr-lab learn` too (not when grading the references).
      if (target === "student") for (const r of report.exercises) if (r.passed) markSolved(dir, r.id);
      if (json) {
        process.stdout.write(JSON.stringify(report) + "\n");
      } else {
        const failed = report.total - report.passed;
        process.stdout.write(`${report.passed} of ${report.total} exercises passed${failed ? `, ${failed} failed` : ""}.\n`);
        if (failed && target === "student") process.stdout.write("Run `npx mfr-lab learn` to work on the next one (h in it shows hints).\n");
      }
      process.exitCode = report.passed === report.total ? 0 : 1;
    });
}
