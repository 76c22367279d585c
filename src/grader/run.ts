// The grader: runs each exercise's tests (test/exercises/<id>.test.ts) in its own vitest child
// process with a hard timeout, so a file that throws, fails to load or never returns gets one
// clear message and grading goes on with the next exercise.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { defaultExercisesDir, loadManifest, projectRoot, type ExerciseInfo } from "./manifest.js";

export type GradeTarget = "student" | "reference";

export interface GradeOptions {
  /** Folder holding manifest.json and one folder per exercise (default: exercises/). */
  exercisesDir?: string;
  /** Grade the student files (default) or the reference solutions. */
  target?: GradeTarget;
  /** Hard limit per exercise, in milliseconds (default 20 s). */
  timeoutMs?: number;
  /** Seed of the generated cases (the tests' default when absent). */
  seed?: number;
  /** Grade only these ids. */
  only?: string[];
  /** Called after each exercise (for progress output). */
  onResult?: (r: ExerciseResult, index: number, total: number) => void;
}

export interface ExerciseResult {
  id: string;
  title: string;
  passed: boolean;
  /** Why it failed: the first failing test's domain message, a load error or the timeout. */
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
}

export const DEFAULT_TIMEOUT_MS = 20_000;

interface VitestAssertion {
  status: string;
  title: string;
  failureMessages?: string[];
}
interface VitestJson {
  numPassedTests: number;
  numTotalTests: number;
  testResults?: { status: string; message?: string; assertionResults?: VitestAssertion[] }[];
}

/** The message of a thrown error as vitest reports it, without "Error:" and the stack. */
export function cleanMessage(raw: string): string {
  let m = raw.split(/\n\s+at /)[0].trim();
  m = m.replace(/^(Error|AssertionError|TypeError|RangeError|ReferenceError|SyntaxError):\s*/, "");
  m = m.replace(/\x1b\[[0-9;]*m/g, "");
  return m.split("\n").filter((l) => l.trim() !== "").slice(0, 3).join(" ").trim();
}

function summarize(j: VitestJson): { passed: boolean; message?: string; checksPassed: number; checks: number } {
  const file = (j.testResults ?? [])[0];
  const assertions = file?.assertionResults ?? [];
  const checks = assertions.length;
  const checksPassed = assertions.filter((a) => a.status === "passed").length;
  const failed = assertions.filter((a) => a.status !== "passed");
  if (!file) return { passed: false, message: "the exercise's tests did not run (no test file found)", checksPassed, checks };
  if (checks === 0) {
    return { passed: false, message: cleanMessage(file.message || "the test file failed to load"), checksPassed, checks };
  }
  if (failed.length === 0 && file.status === "passed") return { passed: true, checksPassed, checks };
  const first = failed[0];
  const raw = first?.failureMessages?.[0] ?? file.message ?? `test "${first?.title ?? "?"}" did not pass`;
  const more = failed.length > 1 ? ` (${failed.length} of ${checks} checks fail)` : "";
  return { passed: false, message: cleanMessage(raw) + more, checksPassed, checks };
}

/** Kills the child and every process it started (vitest forks workers) by process group. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
}

/** Runs one exercise's tests in a child process and reports pass/fail with one message. */
export function runExercise(e: ExerciseInfo, opts: GradeOptions = {}): Promise<ExerciseResult> {
  const root = projectRoot();
  const exercisesDir = resolve(opts.exercisesDir ?? defaultExercisesDir());
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const testFile = join("test", "exercises", `${e.id}.test.ts`);
  const start = Date.now();
  const done = (passed: boolean, message?: string, counts?: { checksPassed: number; checks: number }): ExerciseResult => ({
    id: e.id, title: e.title, passed, ...(message !== undefined ? { message } : {}), durationMs: Date.now() - start, ...(counts ?? {}),
  });
  if (!existsSync(join(root, testFile))) return Promise.resolve(done(false, `no tests for this exercise (${testFile} is missing)`));

  const tmp = mkdtempSync(join(tmpdir(), "mfr-lab-grade-"));
  const report = join(tmp, "report.json");
  const args = [
    join(root, "node_modules", "vitest", "vitest.mjs"), "run",
    "--config", join("test", "exercises", "vitest.config.mts"),
    "--reporter=json", `--outputFile=${report}`, testFile,
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MFR_LAB_TARGET: opts.target ?? "student",
    MFR_LAB_EXERCISES_DIR: exercisesDir,
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
  if (opts.seed !== undefined) env.MFR_LAB_SEED = String(opts.seed);
  else delete env.MFR_LAB_SEED;

  return new Promise<ExerciseResult>((resolvePromise) => {
    let stderr = "";
    let timedOut = false;
    // detached: the child leads its own process group, so the timeout can kill vitest's workers too.
    const child = spawn(process.execPath, args, { cwd: root, env, detached: true, stdio: ["ignore", "ignore", "pipe"] });
    child.stderr?.on("data", (d: Buffer) => {
      if (stderr.length < 20_000) stderr += d.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    const finish = (r: ExerciseResult): void => {
      clearTimeout(timer);
      rmSync(tmp, { recursive: true, force: true });
      resolvePromise(r);
    };
    child.on("error", (err) => finish(done(false, `could not start the test runner: ${err.message}`)));
    child.on("close", () => {
      if (timedOut) {
        finish(done(false, `timed out after ${Math.round(timeoutMs / 1000)} s — does your loop terminate?`));
        return;
      }
      if (!existsSync(report)) {
        const line = stderr.split("\n").map((l) => l.trim()).find((l) => /error/i.test(l)) ?? stderr.trim().split("\n")[0] ?? "";
        finish(done(false, `the test runner stopped without a report${line ? `: ${cleanMessage(line)}` : ""}`));
        return;
      }
      try {
        const s = summarize(JSON.parse(readFileSync(report, "utf8")) as VitestJson);
        finish(done(s.passed, s.message, { checksPassed: s.checksPassed, checks: s.checks }));
      } catch (err) {
        finish(done(false, `could not read the test report: ${err instanceof Error ? err.message : String(err)}`));
      }
    });
  });
}

/** Grades the exercises in manifest order, one child process at a time. */
export async function grade(opts: GradeOptions = {}): Promise<GradeReport> {
  const exercisesDir = resolve(opts.exercisesDir ?? defaultExercisesDir());
  let list = loadManifest(exercisesDir);
  if (opts.only && opts.only.length > 0) list = list.filter((e) => opts.only!.includes(e.id));
  const results: ExerciseResult[] = [];
  for (let i = 0; i < list.length; i++) {
    const r = await runExercise(list[i], { ...opts, exercisesDir });
    results.push(r);
    opts.onResult?.(r, i, list.length);
  }
  return {
    target: opts.target ?? "student",
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    exercises: results,
    passed: results.filter((r) => r.passed).length,
    total: results.length,
  };
}
