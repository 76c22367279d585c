// Reads the exercise manifest (owned by the exercises; the site only displays it).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface ExerciseEntry {
  id: string;
  chapter: number;
  title: string;
  kind: string;
  file: string;
  hints?: number;
}

export const MANIFEST_PATH = fileURLToPath(new URL("../../exercises/manifest.json", import.meta.url));

export function loadExercises(path: string = MANIFEST_PATH): ExerciseEntry[] {
  const raw = JSON.parse(readFileSync(path, "utf8")) as { exercises?: ExerciseEntry[] };
  if (!Array.isArray(raw.exercises)) throw new Error(`exercise manifest ${path}: no "exercises" array`);
  return raw.exercises;
}
