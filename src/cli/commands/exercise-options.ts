// Options and set-up shared by `mfr-lab grade` and `mfr-lab learn`.
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { ParameterError } from "../../core/errors.js";
import { defaultExercisesDir, findExercise, loadManifest, type ExerciseInfo } from "../../grader/manifest.js";
import { DEFAULT_TIMEOUT_MS } from "../../grader/run.js";
import { intOption, numberOption } from "../options.js";

export interface ExerciseFlags {
  seed?: number;
  timeout: number;
  exercisesDir?: string;
}

/** --seed, --timeout and --exercises-dir, with the help texts of the calling command. */
export function addExerciseOptions(cmd: Command, help: { seed: string; timeout: string; dir: string }): Command {
  return cmd
    .option("--seed <n>", help.seed, intOption(0, 0xffffffff))
    .option("--timeout <seconds>", help.timeout, numberOption(1, 600), DEFAULT_TIMEOUT_MS / 1000)
    .option("--exercises-dir <dir>", help.dir);
}

/** The exercise folder and its manifest; an `id` that names no exercise is a usage error naming `flag`. */
export function openExercises(o: ExerciseFlags, id: string | undefined, flag: string): { dir: string; list: ExerciseInfo[] } {
  const dir = resolve(o.exercisesDir ?? defaultExercisesDir());
  if (o.exercisesDir !== undefined && !existsSync(join(dir, "manifest.json"))) {
    throw new ParameterError("--exercises-dir", `${o.exercisesDir} has no manifest.json`, "give the folder that holds the exercises and their manifest.json");
  }
  const list = loadManifest(dir);
  if (id !== undefined) findExercise(list, id, flag);
  return { dir, list };
}
