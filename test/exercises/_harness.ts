// Shared by the exercise tests: which file is under test (the student's file or the reference
// solution), the student's code in its own process, seeded cases that print their seed on
// failure, and messages in domain words.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll } from "vitest";
import { Rng, formatSize } from "../../src/index.js";
import { openSandbox, RemoteError, SandboxError, type Sandbox } from "../../src/grader/sandbox/judge.js";

export const ROOT = resolve(__dirname, "..", "..");

/** "student" (default) grades exercises/<id>/<file>; "reference" grades exercises/<id>/.meta/reference.ts. */
export type Target = "student" | "reference";

export function target(): Target {
  const t = process.env.MFR_LAB_TARGET ?? "student";
  if (t !== "student" && t !== "reference") throw new Error(`MFR_LAB_TARGET must be "student" or "reference", got "${t}"`);
  return t;
}

/** Root of the exercise folders; the grader's own tests point it at temporary copies. */
export function exercisesDir(): string {
  return resolve(process.env.MFR_LAB_EXERCISES_DIR ?? join(ROOT, "exercises"));
}

/** Seed of the generated cases: `mfr-lab grade --seed N` draws a fresh set of problems. */
export const DEFAULT_SEED = 20250120;
export function baseSeed(): number {
  const s = process.env.MFR_LAB_SEED;
  if (s === undefined || s === "") return DEFAULT_SEED;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`MFR_LAB_SEED must be a whole number 0..4294967295, got "${s}"`);
  return n;
}

interface ManifestEntry {
  id: string;
  file: string;
}

/** Path of the file under test, and how to name it to the student. */
export function fileUnderTest(id: string): { path: string; shown: string } {
  const dir = exercisesDir();
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { exercises: ManifestEntry[] };
  const entry = manifest.exercises.find((e) => e.id === id);
  if (!entry) throw new Error(`exercise ${id} is not in exercises/manifest.json`);
  return target() === "reference"
    ? { path: join(dir, id, ".meta", "reference.ts"), shown: `exercises/${id}/.meta/reference.ts` }
    : { path: join(dir, id, entry.file), shown: `exercises/${id}/${entry.file}` };
}

export interface LoadOptions {
  /**
   * Library names this exercise asks the student to write (an "implement" exercise asks for the
   * mechanism, not a call to the library's finished version). In the student's process each one
   * is replaced by a stand-in whose use fails the exercise, whatever import path reaches it; the
   * grader's own objects refuse to hand them out too.
   */
  forbid?: readonly string[];
}

const loaded = new Map<string, Promise<unknown>>();
const sandboxes: { id: string; sb: Sandbox }[] = [];

function closeSandboxes(): void {
  for (const { id, sb } of sandboxes.splice(0)) {
    sb.close();
    loaded.delete(id);
  }
}

/** Time the student's code may run in all, per exercise (the grader's --timeout). */
export function budgetMs(): number {
  const t = Number(process.env.MFR_LAB_TIMEOUT_MS);
  return Number.isFinite(t) && t > 0 ? t : 20_000;
}

/**
 * Starts the file under test in its own process (src/grader/sandbox) and returns its exports:
 * functions and classes are stand-ins whose every call runs in that process, synchronously. The
 * expected values stay here, computed by this file's own copy of the library, which the
 * student's code cannot reach. A file that does not load fails every test with one clear line.
 */
export function loadExercise<T>(id: string, opts: LoadOptions = {}): Promise<T> {
  let p = loaded.get(id);
  if (!p) {
    // A judge process may grade several exercises in turn: one student process at a time.
    closeSandboxes();
    const { path, shown } = fileUnderTest(id);
    p = (async () => {
      if (!existsSync(path)) throw new Error(`${shown} is missing: restore it with git (git checkout -- ${shown})`);
      const sb = await openSandbox({ file: path, shown, exercisesDir: exercisesDir(), root: ROOT, forbid: opts.forbid ?? [], budgetMs: budgetMs() });
      sandboxes.push({ id, sb });
      return sb.exports;
    })();
    loaded.set(id, p);
  }
  return p as Promise<T>;
}

afterAll(closeSandboxes);

export function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split("\n")[0];
}

/** An argument shown by name in messages, e.g. `dropPercent(model, 0.05)`. */
export class Named {
  constructor(readonly name: string) {}
}

function show(v: unknown): string {
  if (v instanceof Named) return v.name;
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || v === undefined || v === null) return String(v);
  try {
    const s = JSON.stringify(v);
    return s.length > 80 ? s.slice(0, 77) + "..." : s;
  } catch {
    return String(v);
  }
}

/** Calls the student's function; a throw becomes a sentence naming the call. */
export function call<R>(name: string, args: unknown[], fn: () => R): R {
  try {
    return fn();
  } catch (e) {
    // The grader's own verdicts (time, memory, an ended process, a library name used) read as they are.
    if (e instanceof SandboxError) throw e;
    const msg = firstLine(e);
    const shown = `${name}(${args.map(show).join(", ")})`;
    if (/^TODO\b/.test(msg)) throw new Error(`${shown} is not written yet (${msg})`);
    if (e instanceof RemoteError && e.kind === "value") throw new Error(`your ${shown} threw ${msg} (throw an Error, e.g. throw new Error("…"))`);
    throw new Error(`your ${shown} threw ${e instanceof Error ? e.name : "a value"}: ${msg}`);
  }
}

export function fail(message: string): never {
  throw new Error(message);
}

/** Bytes as the course writes them: "6M (6291456 bytes)". */
export function bytes(n: number): string {
  return typeof n === "number" && Number.isFinite(n) && n >= 1024 ? `${formatSize(n)} (${n} bytes)` : `${show(n)} bytes`;
}

/**
 * Runs `cases` seeded cases from one Rng; a failure names the seed and the one-line replay,
 * in the manner of MIT 6.5840's randomized tests.
 */
export function seeded(id: string, cases: number, body: (rng: Rng, caseNo: number) => void): void {
  const seed = baseSeed();
  const rng = new Rng(seed);
  for (let i = 1; i <= cases; i++) {
    try {
      body(rng, i);
    } catch (e) {
      // A stub's TODO is the same for every seed: no replay line; nor for the grader's own verdicts.
      if (/ is not written yet /.test(firstLine(e)) || e instanceof SandboxError) throw e;
      throw new Error(`${firstLine(e)} [seed ${seed}, case ${i} of ${cases}; replay: npx mfr-lab grade --only ${id} --seed ${seed}]`);
    }
  }
}

/** Picks one element of `xs` with the case's Rng. */
export function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.nextInt(xs.length)];
}
