// The grader. One vitest run grades the selected exercises, several at once (one worker per core).
// Each exercise's test file is the judge: it computes every expected value with the project's
// library and runs the student's code in a separate, locked-down process (src/grader/sandbox).
// Each file's outcome comes back over an IPC channel that only the vitest process holds
// (reporter.ts). When grading ends, every process it started is ended: the vitest process group
// and every student process, which lead process groups of their own.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { killGroup } from "../core/process.js";
import { testProblem } from "./integrity.js";
import { defaultExercisesDir, loadManifest, projectRoot, type ExerciseInfo } from "./manifest.js";
import type { ModuleReport } from "./reporter.js";
import { libraryBundle } from "./sandbox/bundle.js";

export type GradeTarget = "student" | "reference";

export interface GradeOptions {
  /** Folder holding manifest.json and one folder per exercise (default: exercises/). */
  exercisesDir?: string;
  /** Grade the student files (default) or the reference solutions. */
  target?: GradeTarget;
  /** Time the student's code may run per exercise, in milliseconds (default 20 s). */
  timeoutMs?: number;
  /** Seed of the generated cases (the tests' default when absent). */
  seed?: number;
  /** Grade only these ids. */
  only?: string[];
  /** Exercises graded at once (default: the machine's cores, at most the number of exercises). */
  workers?: number;
  /** Project root holding test/exercises and node_modules (default: this project). */
  root?: string;
  /** Folder for the run's private files and the student processes' bundles (default: the system's). */
  tmpDir?: string;
  /** Called after each exercise, in the order they finish (for progress output). */
  onResult?: (r: ExerciseResult, index: number, total: number) => void;
}

export interface ExerciseResult {
  id: string;
  title: string;
  passed: boolean;
  /** Why it failed: the first failing test's domain message, a load error or the time limit. */
  message?: string;
  durationMs: number;
  /** Checks (tests) passed and run, when the run finished. */
  checksPassed?: number;
  checks?: number;
}

export interface GradeReport {
  target: GradeTarget;
  seed?: number;
  exercises: ExerciseResult[];
  passed: number;
  total: number;
  /** Exercises graded at once, and the wall time of the whole run. */
  workers: number;
  wallMs: number;
}

export const DEFAULT_TIMEOUT_MS = 20_000;

/** The message of a thrown error as vitest reports it, without "Error:" and the stack. */
export function cleanMessage(raw: string): string {
  let m = raw.split(/\n\s+at /)[0].trim();
  m = m.replace(/^(Error|AssertionError|TypeError|RangeError|ReferenceError|SyntaxError|SandboxError):\s*/, "");
  m = m.replace(/\x1b\[[0-9;]*m/g, "");
  return m.split("\n").filter((l) => l.trim() !== "").slice(0, 3).join(" ").trim();
}

/** One exercise's verdict from its test file's report. */
export function summarize(r: ModuleReport): { passed: boolean; message?: string; checksPassed: number; checks: number } {
  const checks = r.tests.length;
  const checksPassed = r.tests.filter((t) => t.state === "passed").length;
  const failed = r.tests.filter((t) => t.state !== "passed");
  if (r.loadErrors.length > 0 && (checks === 0 || failed.length === 0)) {
    return { passed: false, message: cleanMessage(r.loadErrors[0] || "the test file failed to load"), checksPassed, checks };
  }
  if (checks === 0) return { passed: false, message: "the exercise's tests did not run", checksPassed, checks };
  if (failed.length === 0) return { passed: true, checksPassed, checks };
  const first = failed[0];
  const raw = first.error ?? r.loadErrors[0] ?? `test "${first.name}" did not pass`;
  // A verdict of the sandbox (time, memory, an ended process) ends every later check the same way.
  const more = failed.length > 1 && !first.verdict ? ` (${failed.length} of ${checks} checks fail)` : "";
  return { passed: false, message: cleanMessage(raw) + more, checksPassed, checks };
}

/** Grades the exercises (several at once) and reports each in manifest order. */
export async function grade(opts: GradeOptions = {}): Promise<GradeReport> {
  const t0 = Date.now();
  const root = resolve(opts.root ?? projectRoot());
  const exercisesDir = resolve(opts.exercisesDir ?? defaultExercisesDir());
  const target = opts.target ?? "student";
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let list = loadManifest(exercisesDir);
  if (opts.only && opts.only.length > 0) list = list.filter((e) => opts.only!.includes(e.id));

  const results = new Map<string, ExerciseResult>();
  let reported = 0;
  const settle = (e: ExerciseInfo, r: Omit<ExerciseResult, "id" | "title">): void => {
    if (results.has(e.id)) return;
    const full: ExerciseResult = { id: e.id, title: e.title, ...r };
    results.set(e.id, full);
    opts.onResult?.(full, reported++, list.length);
  };
  const testFile = (e: ExerciseInfo): string => join(root, "test", "exercises", `${e.id}.test.ts`);
  const toRun: ExerciseInfo[] = [];
  for (const e of list) {
    if (!existsSync(testFile(e))) settle(e, { passed: false, message: `no tests for this exercise (test/exercises/${e.id}.test.ts is missing)`, durationMs: 0 });
    else {
      // A student's grade comes only from the course's own tests (integrity.ts).
      const problem = target === "student" ? testProblem(root, e.id) : null;
      if (problem) settle(e, { passed: false, message: problem, durationMs: 0 });
      else toRun.push(e);
    }
  }
  const workers = Math.max(1, Math.min(opts.workers ?? availableParallelism(), toRun.length || 1));
  if (toRun.length > 0) await runVitest(toRun, { root, exercisesDir, target, timeoutMs, seed: opts.seed, workers, testFile, settle, tmpDir: opts.tmpDir ?? tmpdir() });

  const exercises = list.map((e) => results.get(e.id)!);
  return {
    target,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    exercises,
    passed: exercises.filter((r) => r.passed).length,
    total: exercises.length,
    workers,
    wallMs: Date.now() - t0,
  };
}

interface RunContext {
  root: string;
  exercisesDir: string;
  target: GradeTarget;
  timeoutMs: number;
  seed?: number;
  workers: number;
  tmpDir: string;
  testFile: (e: ExerciseInfo) => string;
  settle: (e: ExerciseInfo, r: Omit<ExerciseResult, "id" | "title">) => void;
}

async function runVitest(list: ExerciseInfo[], c: RunContext): Promise<void> {
  // A private folder for this run: student processes register here so they can be ended at the end.
  const runDir = mkdtempSync(join(c.tmpDir, "mfr-lab-grade-"));
  mkdirSync(join(runDir, "pids"));
  const lib = await libraryBundle(c.root);
  const byFile = new Map(list.map((e) => [resolve(c.testFile(e)), e]));
  const args = [
    join(c.root, "node_modules", "vitest", "vitest.mjs"), "run",
    "--config", join(c.root, "test", "exercises", "vitest.config.mts"),
    "--reporter", join(c.root, "src", "grader", "reporter.ts"),
    "--maxWorkers", String(c.workers), ...(c.workers === 1 ? ["--no-file-parallelism"] : []),
    ...list.map((e) => c.testFile(e)),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MFR_LAB_TARGET: c.target,
    MFR_LAB_EXERCISES_DIR: c.exercisesDir,
    MFR_LAB_TIMEOUT_MS: String(c.timeoutMs),
    MFR_LAB_RUN_DIR: runDir,
    MFR_LAB_SANDBOX_LIB: lib,
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
  if (c.seed !== undefined) env.MFR_LAB_SEED = String(c.seed);
  else delete env.MFR_LAB_SEED;

  let child: ChildProcess | undefined;
  const endAll = (): void => {
    killGroup(child?.pid);
    try {
      for (const p of readdirSync(join(runDir, "pids"))) if (/^\d+$/.test(p)) killGroup(Number(p));
    } catch {
      /* the folder is gone */
    }
  };
  // Ctrl-C or a SIGTERM to the grader ends what it started, then the grader itself.
  const onSignal = (sig: NodeJS.Signals): void => {
    endAll();
    rmSync(runDir, { recursive: true, force: true });
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    process.kill(process.pid, sig);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("exit", endAll);
  try {
    await new Promise<void>((done) => {
      let stderr = "";
      // detached: vitest leads its own process group, so its workers can be ended together.
      child = spawn(process.execPath, args, { cwd: c.root, env, detached: true, stdio: ["ignore", "ignore", "pipe", "ipc"] });
      child.stderr?.on("data", (d: Buffer) => {
        if (stderr.length < 20_000) stderr += d.toString();
      });
      child.on("message", (m: unknown) => {
        const r = m as ModuleReport;
        if (!r || r.type !== "module" || typeof r.file !== "string" || !Array.isArray(r.tests) || !Array.isArray(r.loadErrors)) return;
        const e = byFile.get(resolve(r.file));
        if (!e) return;
        const s = summarize(r);
        c.settle(e, { passed: s.passed, ...(s.message !== undefined ? { message: s.message } : {}), durationMs: r.durationMs, checksPassed: s.checksPassed, checks: s.checks });
      });
      // A backstop for the judge's own work: every wait on a student is already bounded by the
      // sandbox, so this only fires if the machine is so loaded that the judges themselves stall.
      const rounds = Math.ceil(list.length / c.workers);
      const watchdog = setTimeout(() => {
        stderr += `\ngrading took longer than ${Math.round((rounds * (c.timeoutMs + 120_000)) / 1000)} s and was stopped`;
        endAll();
      }, rounds * (c.timeoutMs + 120_000));
      const finish = (): void => {
        clearTimeout(watchdog);
        const line = stderr.split("\n").map((l) => l.trim()).find((l) => /error|stopped/i.test(l)) ?? "";
        for (const e of list) {
          c.settle(e, { passed: false, message: `the grader stopped before this exercise was graded${line ? `: ${cleanMessage(line)}` : ""}`, durationMs: 0 });
        }
        done();
      };
      child.on("error", (err) => {
        stderr += `\ncould not start the test runner: ${err.message}`;
        finish();
      });
      child.on("close", finish);
    });
  } finally {
    endAll();
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    process.removeListener("exit", endAll);
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** Grades one exercise (learn's run): the same path as grade(), for one id. */
export async function runExercise(e: ExerciseInfo, opts: GradeOptions = {}): Promise<ExerciseResult> {
  const r = await grade({ ...opts, only: [e.id], onResult: undefined });
  return r.exercises[0] ?? { id: e.id, title: e.title, passed: false, message: "the exercise was not graded", durationMs: 0 };
}
