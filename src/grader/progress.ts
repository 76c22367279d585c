// Progress of `mfr-lab learn` and `mfr-lab grade`: which exercises passed and how many hints
// were shown, in .mfr-lab/progress.json next to the exercises folder (git-ignored). A pass also
// records a fingerprint of the student's file and the exercise's tests, so `learn` can tell which
// solved exercises changed since and must be checked again (a solution broken later is no longer
// solved).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { loadManifest, projectRoot, type ExerciseInfo } from "./manifest.js";

export interface Progress {
  /** Ids of exercises that passed and have not failed since. */
  solved: string[];
  /** Hints shown so far, per exercise id. */
  hintsShown: Record<string, number>;
  /** Fingerprint of the student file and its tests when the exercise last passed, per id. */
  fingerprints: Record<string, string>;
}

export function progressPath(exercisesDir: string): string {
  return join(dirname(resolve(exercisesDir)), ".mfr-lab", "progress.json");
}

const empty = (): Progress => ({ solved: [], hintsShown: {}, fingerprints: {} });
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function loadProgress(exercisesDir: string): Progress {
  const p = progressPath(exercisesDir);
  if (!existsSync(p)) return empty();
  try {
    const j = JSON.parse(readFileSync(p, "utf8")) as Partial<Progress>;
    const strings = (o: unknown) => (isRecord(o) ? Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === "string")) as Record<string, string> : {});
    return {
      solved: Array.isArray(j.solved) ? j.solved.filter((s): s is string => typeof s === "string") : [],
      hintsShown: isRecord(j.hintsShown) ? { ...(j.hintsShown as Record<string, number>) } : {},
      fingerprints: strings(j.fingerprints),
    };
  } catch {
    // A damaged progress file only costs the record of what was solved, never the student's code.
    return empty();
  }
}

export function saveProgress(exercisesDir: string, progress: Progress): void {
  const p = progressPath(exercisesDir);
  mkdirSync(dirname(p), { recursive: true });
  const tmp = `${p}.tmp`;
  writeFileSync(tmp, JSON.stringify(progress, null, 2) + "\n");
  renameSync(tmp, p);
}

/** What a pass depends on: the student's file and the exercise's tests. */
export function fingerprint(exercisesDir: string, e: ExerciseInfo): string {
  const h = createHash("sha256");
  for (const f of [join(exercisesDir, e.id, e.file), join(projectRoot(), "test", "exercises", `${e.id}.test.ts`)]) {
    h.update(existsSync(f) ? readFileSync(f) : Buffer.from("missing"));
    h.update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

function entry(exercisesDir: string, id: string): ExerciseInfo | undefined {
  try {
    return loadManifest(exercisesDir).find((e) => e.id === id);
  } catch {
    return undefined;
  }
}

export function markSolved(exercisesDir: string, id: string): Progress {
  const p = loadProgress(exercisesDir);
  if (!p.solved.includes(id)) p.solved.push(id);
  const e = entry(exercisesDir, id);
  if (e) p.fingerprints[id] = fingerprint(exercisesDir, e);
  saveProgress(exercisesDir, p);
  return p;
}

/** Takes an exercise off the solved list (it failed since it passed). */
export function markUnsolved(exercisesDir: string, id: string): Progress {
  const p = loadProgress(exercisesDir);
  if (p.solved.includes(id) || id in p.fingerprints) {
    p.solved = p.solved.filter((s) => s !== id);
    delete p.fingerprints[id];
    saveProgress(exercisesDir, p);
  }
  return p;
}

/** Solved exercises whose file or tests changed since they passed (or that have no fingerprint yet). */
export function changedSinceSolved(exercisesDir: string, list: ExerciseInfo[], p: Progress = loadProgress(exercisesDir)): ExerciseInfo[] {
  return list.filter((e) => p.solved.includes(e.id) && p.fingerprints[e.id] !== fingerprint(exercisesDir, e));
}

/** The first exercise in manifest order that has not passed yet, or null when all have. */
export function nextUnsolved(list: ExerciseInfo[], progress: Progress, after?: string): ExerciseInfo | null {
  const start = after === undefined ? 0 : list.findIndex((e) => e.id === after) + 1;
  for (let i = start; i < list.length; i++) if (!progress.solved.includes(list[i].id)) return list[i];
  // Wrap around: an exercise skipped earlier is still to do.
  for (let i = 0; i < start && i < list.length; i++) if (!progress.solved.includes(list[i].id)) return list[i];
  return null;
}
