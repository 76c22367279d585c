// `mfr-lab learn [id]`: the guided mode (rustlings' watch mode). Interactive in a terminal;
// with --once, --json or no terminal it runs the current exercise once and says what is next.
// Exit code: 0 when the exercise run passes (or nothing is left), 1 when it fails, 2 on a usage error.
import type { Command } from "commander";
import { formatHint, formatOnce, formatSolution, learnOnce, learnWatch, nextHint, solutionFor } from "../../grader/learn.js";
import { addExerciseOptions, openExercises, type ExerciseFlags } from "./exercise-options.js";

interface LearnFlags extends ExerciseFlags {
  once?: boolean;
  hint?: boolean;
  solution?: boolean;
  json?: boolean;
}

export function registerLearn(program: Command): void {
  const cmd = program
    .command("learn")
    .description("work through the exercises: shows the next one, re-runs its tests on save, h for a hint")
    .argument("[exercise]", "start at this exercise (default: the first one not solved yet)")
    .option("--once", "run the current exercise once and exit (when file watching does not work)")
    .option("--hint", "show the next hint for the current exercise and exit")
    .option("--solution", "show the reference solution of an exercise you have solved, and exit");
  addExerciseOptions(cmd, { seed: "seed of the generated test cases", timeout: "seconds your code may run per test run (the tests' own work does not count)", dir: "exercise folder (default: exercises/)" })
    .option("--json", "print one JSON object (implies --once)")
    .action(async (id: string | undefined, o: LearnFlags) => {
      const { dir, list } = openExercises(o, id, "exercise");
      const opts = { exercisesDir: dir, id, timeoutMs: Math.round(o.timeout * 1000), seed: o.seed };
      if (o.solution) {
        const s = solutionFor({ ...opts, id: id ?? "" });
        process.stdout.write((o.json ? JSON.stringify(s) : formatSolution(s)) + "\n");
        process.exitCode = s.solution === undefined ? 1 : 0;
        return;
      }
      if (o.hint) {
        const h = nextHint(opts);
        process.stdout.write((o.json ? JSON.stringify(h) : formatHint(h)) + "\n");
        return;
      }
      const interactive = !o.once && !o.json && !!process.stdin.isTTY && !!process.stdout.isTTY;
      if (interactive) {
        await learnWatch(opts);
        return;
      }
      const r = await learnOnce(opts);
      if (o.json) process.stdout.write(JSON.stringify(r) + "\n");
      else {
        if (!o.once) process.stdout.write("(No terminal to watch from: running the current exercise once.)\n");
        process.stdout.write(formatOnce(r, list) + "\n");
      }
      process.exitCode = r.passed ? 0 : 1;
    });
}
