// exercises/manifest.json: the ordered list of graded exercises (rustlings' info.toml).
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { MfrLabError, ParameterError } from "../core/errors.js";

export type ExerciseKind = "implement" | "quantitative";

export interface ExerciseInfo {
  id: string;
  chapter: number;
  title: string;
  kind: ExerciseKind;
  /** The file the student edits, relative to exercises/<id>/. */
  file: string;
  /** Number of hints in exercises/<id>/hints.md. */
  hints: number;
}

/** The project root (this file is src/grader/manifest.ts). */
export function projectRoot(): string {
  return resolve(__dirname, "..", "..");
}

export function defaultExercisesDir(): string {
  return join(projectRoot(), "exercises");
}

export function loadManifest(exercisesDir: string = defaultExercisesDir()): ExerciseInfo[] {
  const path = join(exercisesDir, "manifest.json");
  if (!existsSync(path)) throw new MfrLabError(`no exercise manifest at ${path}`, "run from the project folder");
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new MfrLabError(`exercises/manifest.json is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const list = (data as { exercises?: unknown }).exercises;
  if (!Array.isArray(list)) throw new MfrLabError("exercises/manifest.json has no \"exercises\" array");
  const seen = new Set<string>();
  return list.map((raw, i) => {
    const e = raw as Partial<ExerciseInfo>;
    const where = `exercises/manifest.json entry ${i + 1}`;
    if (typeof e.id !== "string" || !/^[a-z0-9][a-z0-9-]*$/.test(e.id)) throw new MfrLabError(`${where}: "id" must be a folder name like "ch1-tlb-reach"`);
    if (seen.has(e.id)) throw new MfrLabError(`${where}: duplicate id ${e.id}`);
    seen.add(e.id);
    if (typeof e.title !== "string" || e.title === "") throw new MfrLabError(`${where}: "title" is missing`);
    if (typeof e.chapter !== "number") throw new MfrLabError(`${where}: "chapter" must be a number`);
    if (e.kind !== "implement" && e.kind !== "quantitative") throw new MfrLabError(`${where}: "kind" must be "implement" or "quantitative"`);
    if (typeof e.file !== "string" || !/^[\w.-]+\.ts$/.test(e.file)) throw new MfrLabError(`${where}: "file" must be a .ts file name`);
    if (typeof e.hints !== "number" || e.hints < 0) throw new MfrLabError(`${where}: "hints" must be a count`);
    return { id: e.id, chapter: e.chapter, title: e.title, kind: e.kind, file: e.file, hints: e.hints };
  });
}

/** The manifest entry for `id`, or a ParameterError listing the ids (for --only and `learn <id>`). */
export function findExercise(list: ExerciseInfo[], id: string, parameter = "--only"): ExerciseInfo {
  const e = list.find((x) => x.id === id);
  if (!e) throw new ParameterError(parameter, `no exercise "${id}"`, `use one of ${list.map((x) => x.id).join(", ")}`);
  return e;
}

/** Hints are the `## Hint N` sections of hints.md, in order (progressive: general → specific). */
export function loadHints(exercisesDir: string, id: string): string[] {
  const path = join(exercisesDir, id, "hints.md");
  if (!existsSync(path)) return [];
  const parts = readFileSync(path, "utf8").split(/^## +Hint\b.*$/m);
  return parts.slice(1).map((p) => p.trim()).filter((p) => p !== "");
}
