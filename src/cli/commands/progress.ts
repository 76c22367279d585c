// `mfr-lab progress`: solved / changed since solved / to do, per exercise, from the progress file.
// --json prints one object; --html FILE writes a printable report. Runs nothing, so it is instant.
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { MfrLabError } from "../../core/errors.js";
import { formatProgress, progressHtml, progressReport } from "../../grader/progress-report.js";
import { openExercises } from "./exercise-options.js";

export function registerProgress(program: Command): void {
  program
    .command("progress")
    .description("show which exercises you have solved (from .mfr-lab/progress.json); --html for a printable report")
    .option("--json", "print one JSON object")
    .option("--html <file>", "write a printable HTML report to this file")
    .option("--exercises-dir <dir>", "exercise folder (default: exercises/)")
    .action((o: { json?: boolean; html?: string; exercisesDir?: string }) => {
      const { dir } = openExercises({ timeout: 0, exercisesDir: o.exercisesDir }, undefined, "");
      const r = progressReport(dir);
      if (o.html !== undefined) {
        try {
          writeFileSync(o.html, progressHtml(r));
        } catch (e) {
          throw new MfrLabError(`--html: cannot write ${o.html}: ${e instanceof Error ? e.message : String(e)}`, "give a file path in a folder you can write to");
        }
      }
      if (o.json) process.stdout.write(JSON.stringify(r) + "\n");
      else process.stdout.write(formatProgress(r) + (o.html !== undefined ? `\n\nReport written to ${o.html}: open it in a browser to print it.` : "") + "\n");
    });
}
