// Progress of `mfr-lab learn` and `mfr-lab grade`: which exercises passed and how many hints
// were shown, in .mfr-lab/progress.json next to the exercises folder (git-ignored).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { ExerciseInfo } from "./manifest.js";

export interface Progress {
  /** Ids of exercises that passed at least once. */
  solved: string[];
  /** Hints shown so far, per exercise id. */
  hintsShown: Record<string, number>;
}

export function progressPath(exercisesDir: string): string {
  return join(dirname(resolve(exercisesDir)), ".mfr-lab", "progress.json");
}

export function loadProgress(exercisesDir: string): Progress {
  const p = progressPath(exercisesDir);
  if (!existsSync(p)) return { solved: [], hintsShown: {} };
  try {
    const j = JSON.parse(readFileSync(p, "utf8")) as Partial<Progress>;
    return {
      solved: Array.isArray(j.solved) ? j.solved.filter((s): s is string => typeof s === "string") : [],
      hintsShown: j.hintsShown && typeof j.hintsShown === "object" ? { ...j.hintsShown } : {},
    };
  } catch {
    // A damaged progress file only costs the record of what was solved, never the student's code.
    return { solved: [], hintsShown: {} };
  }
}

export function saveProgress(exercisesDir: string, progress: Progress): void {
  const p = progressPath(exercisesDir);
  mkdirSync(dirname(p), { recursive: true });
  const tmp = `${p}.tmp`;
  writeFileSync(tmp, JSON.stringify(progress, null, 2) + "\n");
  renameSync(tmp, p);
}

export function markSolved(exercisesDir: string, id: string): Progress {
  const p = loadProgress(exercisesDir);
  if (!p.solved.includes(id)) p.solved.push(id);
  saveProgress(exercisesDir, p);
  return p;
}

/** The first exercise in manifest order that has not passed yet, or null when all have. */
export function nextUnsolved(list: ExerciseInfo[], progress: Progress, after?: string): ExerciseInfo | null {
  const start = after === undefined ? 0 : list.findIndex((e) => e.id === after) + 1;
  for (let i = start; i < list.length; i++) if (!progress.solved.includes(list[i].id)) return list[i];
  // Wrap around: an exercise skipped earlier is still to do.
  for (let i = 0; i < start && i < list.length; i++) if (!progress.solved.includes(list[i].id)) return list[i];
  return null;
}
