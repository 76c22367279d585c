// Temporary copies of exercises/ with pristine stubs, so grader tests never read or change the
// student's own files or progress.
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadManifest, type ExerciseInfo } from "../../src/grader/manifest.js";
import { writeStubs } from "../../src/grader/stubs.js";

export const ROOT = join(__dirname, "..", "..");
export const EXERCISES = join(ROOT, "exercises");
export const list = loadManifest(EXERCISES);
const temps: string[] = [];

/** A copy of exercises/ whose student files are the pristine stubs, with `src` linked beside it. */
export function freshCopy(): string {
  const base = mkdtempSync(join(tmpdir(), "mfr-lab-grader-test-"));
  temps.push(base);
  symlinkSync(join(ROOT, "src"), join(base, "src"), "dir");
  // exercises/tsconfig.json extends ../tsconfig.json, which the copy does not have.
  cpSync(EXERCISES, join(base, "exercises"), { recursive: true, filter: (src) => !src.endsWith("tsconfig.json") });
  writeStubs(EXERCISES, list, join(base, "exercises"));
  return join(base, "exercises");
}

/**
 * A copy of the project as far as grading needs: its own test/exercises (copied) and exercises/
 * (pristine stubs), with src/ and node_modules/ linked. For tests that change test files.
 */
export function projectCopy(): { root: string; exercises: string } {
  const root = mkdtempSync(join(tmpdir(), "mfr-lab-grader-project-"));
  temps.push(root);
  symlinkSync(join(ROOT, "src"), join(root, "src"), "dir");
  symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"), "dir");
  cpSync(join(ROOT, "test", "exercises"), join(root, "test", "exercises"), { recursive: true });
  cpSync(EXERCISES, join(root, "exercises"), { recursive: true, filter: (src) => !src.endsWith("tsconfig.json") });
  writeStubs(EXERCISES, list, join(root, "exercises"));
  return { root, exercises: join(root, "exercises") };
}

/** The file a student edits for exercise `id`, in the copy `dir`. */
export function studentFile(dir: string, id: string): string {
  const e = list.find((x) => x.id === id);
  if (!e) throw new Error(`no exercise ${id}`);
  return join(dir, id, e.file);
}

/** Writes the reference solution into the student file of a copy (imports adjusted to the copy's layout). */
export function solveWithReference(dir: string, e: ExerciseInfo): void {
  writeFileSync(join(dir, e.id, e.file), readFileSync(join(dir, e.id, ".meta", "reference.ts"), "utf8").replace(/\.\.\/\.\.\/\.\.\/src\//g, "../../src/"));
}

/** Removes every copy made so far (call from afterAll); returns the list of temporary dirs for tests that add their own. */
export function removeCopies(extra: string[] = []): void {
  for (const t of [...temps, ...extra]) rmSync(t, { recursive: true, force: true });
  temps.length = 0;
}
