// `mfr-lab grade`: grades every exercise (or --only one), several at once, and prints a score.
// Exit code: 0 when every graded exercise passes, 1 when some fail, 2 on a usage error.
import type { Command } from "commander";
import { markSolved, markUnsolved } from "../../grader/progress.js";
import { grade, type ExerciseResult } from "../../grader/run.js";
import { sectionPointer } from "../../grader/catalog.js";
import type { ExerciseInfo } from "../../grader/manifest.js";
import { availableParallelism } from "node:os";
import { intOption } from "../options.js";
import { addExerciseOptions, openExercises, type ExerciseFlags } from "./exercise-options.js";

function line(r: ExerciseResult, read: string | null): string {
  const t = `(${(r.durationMs / 1000).toFixed(1)} s)`;
  if (r.passed) return `  ✓ ${r.id}  ${r.title}  ${t}`;
  return `  ✗ ${r.id}  ${r.title}  ${t}\n      ${r.message ?? "a test failed"}${read ? `\n      Read: ${read}` : ""}`;
}

export function registerGrade(program: Command): void {
  const cmd = program
    .command("grade")
    .description("grade the exercises (your code in a locked-down process, with time and memory limits) and print the score")
    .option("--reference", "grade the reference solutions instead of your files (course authors, CI)")
    .option("--only <id>", "grade one exercise, e.g. ch1-tlb-reach")
    .option("--jobs <n>", `exercises graded at once (default: the machine's ${availableParallelism()} cores)`, intOption(1, 64));
  addExerciseOptions(cmd, {
    seed: "seed of the generated test cases (draws a fresh set of problems)",
    timeout: "seconds your code may run per exercise (the tests' own work does not count)",
    dir: "exercise folder to grade (default: exercises/)",
  })
    .option("--json", "print one JSON object")
    .action(async (o: ExerciseFlags & { reference?: boolean; only?: string; json?: boolean; jobs?: number }) => {
      const { dir, list } = openExercises(o, o.only, "--only");
      const info = (id: string): ExerciseInfo | undefined => list.find((e) => e.id === id);
      const target = o.reference ? "reference" : "student";
      const json = !!o.json;
      if (!json) {
        const what = o.reference ? "reference solutions" : "your exercise files";
        process.stdout.write(`Grading ${what}${o.seed !== undefined ? ` (seed ${o.seed})` : ""}…\n`);
      }
      const report = await grade({
        exercisesDir: dir, target, seed: o.seed, timeoutMs: Math.round(o.timeout * 1000),
        only: o.only !== undefined ? [o.only] : undefined, workers: o.jobs,
        // A failing student file is pointed at the chapter section that explains the exercise.
        onResult: json ? undefined : (r) => process.stdout.write(line(r, !r.passed && target === "student" && info(r.id) ? sectionPointer(info(r.id)!, dir) : null) + "\n"),
      });
      // A pass counts as progress for `mfr-lab learn` too, and a failure takes a solved exercise
      // off the list (not when grading the references).
      if (target === "student") for (const r of report.exercises) (r.passed ? markSolved : markUnsolved)(dir, r.id);
      if (json) {
        process.stdout.write(JSON.stringify(report) + "\n");
      } else {
        const failed = report.total - report.passed;
        const how = `${(report.wallMs / 1000).toFixed(1)} s, ${report.workers} at a time`;
        process.stdout.write(`${report.passed} of ${report.total} exercises passed${failed ? `, ${failed} failed` : ""} (${how}).\n`);
        if (failed && target === "student") process.stdout.write("Run `npx mfr-lab learn` to work on the next one (h in it shows hints).\n");
      }
      process.exitCode = report.passed === report.total ? 0 : 1;
    });
}
