// `mfr-lab learn`: rustlings-style guided mode. Shows the next unsolved exercise, runs its tests,
// re-runs on save, gives hints on request and moves on when the exercise passes. Without a
// terminal (or with --once) it runs the current exercise once and says what to do next.
import { dirname, join, relative, resolve } from "node:path";
import * as readline from "node:readline";
import { watch, type FSWatcher } from "chokidar";
import { defaultExercisesDir, findExercise, loadHints, loadManifest, type ExerciseInfo } from "./manifest.js";
import { loadProgress, markSolved, nextUnsolved, saveProgress } from "./progress.js";
import { runExercise, type ExerciseResult } from "./run.js";

export interface LearnOptions {
  exercisesDir?: string;
  /** Start at this exercise instead of the first unsolved one. */
  id?: string;
  timeoutMs?: number;
  seed?: number;
  /** Where to write the human report (default: stdout). */
  write?: (text: string) => void;
}

export interface ExerciseRef {
  id: string;
  title: string;
  kind: string;
  /** The file to edit, relative to the project (e.g. exercises/ch1-tlb-reach/tlb-reach.ts). */
  file: string;
  readme: string;
}

export interface LearnOnceResult {
  /** null when every exercise is solved. */
  exercise: ExerciseRef | null;
  passed: boolean;
  message?: string;
  durationMs?: number;
  /** What to work on after this one (null when nothing is left). */
  next: ExerciseRef | null;
  progress: { solved: number; total: number };
}

function dirOf(opts: LearnOptions): string {
  return resolve(opts.exercisesDir ?? defaultExercisesDir());
}

export function exerciseRef(exercisesDir: string, e: ExerciseInfo): ExerciseRef {
  const base = dirname(exercisesDir);
  const rel = (p: string): string => relative(base, p).split("\\").join("/");
  return { id: e.id, title: e.title, kind: e.kind, file: rel(join(exercisesDir, e.id, e.file)), readme: rel(join(exercisesDir, e.id, "README.md")) };
}

/** The exercise learn works on: `id` if given, else the first unsolved one. */
export function currentExercise(opts: LearnOptions): ExerciseInfo | null {
  const dir = dirOf(opts);
  const list = loadManifest(dir);
  if (opts.id !== undefined) return findExercise(list, opts.id, "exercise");
  return nextUnsolved(list, loadProgress(dir));
}

export function header(ref: ExerciseRef, index: number, total: number): string {
  return [
    `Exercise ${index + 1} of ${total}: ${ref.id} — ${ref.title} (${ref.kind})`,
    `  read  ${ref.readme}`,
    `  edit  ${ref.file}`,
  ].join("\n");
}

function resultText(r: ExerciseResult): string {
  if (r.passed) return `✓ ${r.id} passes${r.checks ? ` (${r.checks} checks)` : ""}.`;
  return `✗ ${r.id} does not pass yet:\n  ${r.message ?? "a test failed"}`;
}

/** Runs the current exercise once; records a pass in the progress file. */
export async function learnOnce(opts: LearnOptions = {}): Promise<LearnOnceResult> {
  const dir = dirOf(opts);
  const list = loadManifest(dir);
  const cur = currentExercise(opts);
  const solved = (): number => loadProgress(dir).solved.filter((id) => list.some((e) => e.id === id)).length;
  if (!cur) return { exercise: null, passed: true, next: null, progress: { solved: solved(), total: list.length } };
  const r = await runExercise(cur, { exercisesDir: dir, timeoutMs: opts.timeoutMs, seed: opts.seed, target: "student" });
  let next: ExerciseInfo | null = cur;
  if (r.passed) {
    const p = markSolved(dir, cur.id);
    next = nextUnsolved(list, p, cur.id);
  }
  return {
    exercise: exerciseRef(dir, cur),
    passed: r.passed,
    ...(r.message !== undefined ? { message: r.message } : {}),
    durationMs: r.durationMs,
    next: next ? exerciseRef(dir, next) : null,
    progress: { solved: solved(), total: list.length },
  };
}

export function formatOnce(r: LearnOnceResult, list: ExerciseInfo[]): string {
  const { solved, total } = r.progress;
  if (!r.exercise) return `All ${total} exercises pass. Well done! (npx mfr-lab grade shows the score.)`;
  const idx = list.findIndex((e) => e.id === r.exercise!.id);
  const lines = [header(r.exercise, idx, list.length), ""];
  lines.push(r.passed ? `✓ ${r.exercise.id} passes.` : `✗ ${r.exercise.id} does not pass yet:\n  ${r.message ?? "a test failed"}`);
  lines.push("");
  if (r.passed && r.next) {
    lines.push(`Next: ${r.next.id} — ${r.next.title}`, `  read  ${r.next.readme}`, `  edit  ${r.next.file}`, "Then run `npx mfr-lab learn --once` again.");
  } else if (r.passed) {
    lines.push(`That was the last one: all ${total} exercises pass.`);
  } else {
    lines.push(`What to do: edit ${r.exercise.file}, save, and run \`npx mfr-lab learn --once\` again.`, "Stuck? `npx mfr-lab learn --hint` shows the next hint.");
  }
  lines.push(`Progress: ${solved} of ${total} exercises solved.`);
  return lines.join("\n");
}

export interface HintResult {
  exercise: ExerciseRef | null;
  /** 1-based number of the hint shown; 0 when there is none. */
  hintNumber: number;
  hints: number;
  hint?: string;
}

/** Shows the next hint of the current exercise (the last one again once all were shown). */
export function nextHint(opts: LearnOptions = {}): HintResult {
  const dir = dirOf(opts);
  const cur = currentExercise(opts);
  if (!cur) return { exercise: null, hintNumber: 0, hints: 0 };
  const hints = loadHints(dir, cur.id);
  if (hints.length === 0) return { exercise: exerciseRef(dir, cur), hintNumber: 0, hints: 0 };
  const p = loadProgress(dir);
  const shown = Math.min((p.hintsShown[cur.id] ?? 0) + 1, hints.length);
  p.hintsShown[cur.id] = shown;
  saveProgress(dir, p);
  return { exercise: exerciseRef(dir, cur), hintNumber: shown, hints: hints.length, hint: hints[shown - 1] };
}

export function formatHint(h: HintResult): string {
  if (!h.exercise) return "All exercises pass: no hint needed.";
  if (h.hintNumber === 0) return `${h.exercise.id} has no hints. Read ${h.exercise.readme} again.`;
  const more = h.hintNumber < h.hints ? " (ask again for the next one)" : " (that was the last hint)";
  return `Hint ${h.hintNumber} of ${h.hints} for ${h.exercise.id}${more}:\n\n${h.hint}`;
}

/**
 * Interactive watch mode. Resolves when the student quits or every exercise passes.
 * Keys: h hint, r re-run, n next exercise (skip), l list, q quit.
 */
export async function learnWatch(opts: LearnOptions = {}): Promise<void> {
  const dir = dirOf(opts);
  const list = loadManifest(dir);
  const out = opts.write ?? ((s: string) => void process.stdout.write(s + "\n"));
  let cur = currentExercise(opts);
  if (!cur) {
    out(`All ${list.length} exercises pass. Well done!`);
    return;
  }
  let watcher: FSWatcher | null = null;
  let running = false;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let finished: () => void = () => undefined;
  const done = new Promise<void>((r) => (finished = r));

  const keysLine = "[h] hint  [r] re-run  [n] next exercise  [l] list  [q] quit";
  const show = (e: ExerciseInfo): void => {
    const idx = list.findIndex((x) => x.id === e.id);
    out("\n" + header(exerciseRef(dir, e), idx, list.length));
    out(`  Tests re-run each time you save. ${keysLine}`);
  };

  const watchFile = async (e: ExerciseInfo): Promise<void> => {
    if (watcher) await watcher.close();
    watcher = null;
    try {
      const w = watch(join(dir, e.id, e.file), { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 50 } });
      w.on("change", () => schedule());
      w.on("add", () => schedule());
      w.on("error", (err: unknown) => {
        out(`File watching stopped (${err instanceof Error ? err.message : String(err)}): press r after saving, or use \`npx mfr-lab learn --once\`.`);
      });
      watcher = w;
    } catch (err) {
      out(`Cannot watch files here (${err instanceof Error ? err.message : String(err)}): press r after saving, or use \`npx mfr-lab learn --once\`.`);
    }
  };

  const quit = async (msg?: string): Promise<void> => {
    if (msg) out(msg);
    if (timer) clearTimeout(timer);
    if (watcher) await watcher.close();
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
    process.stdin.pause();
    process.stdin.removeListener("keypress", onKey);
    finished();
  };

  const run = async (): Promise<void> => {
    if (!cur) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    const e = cur;
    out(`\nRunning ${e.id}…`);
    const r = await runExercise(e, { exercisesDir: dir, timeoutMs: opts.timeoutMs, seed: opts.seed, target: "student" });
    running = false;
    if (cur !== e) return;
    out(resultText(r));
    if (r.passed) {
      const p = markSolved(dir, e.id);
      const nxt = nextUnsolved(list, p, e.id);
      if (!nxt) {
        await quit(`\nAll ${list.length} exercises pass. Well done! (npx mfr-lab grade shows the score.)`);
        return;
      }
      out(`Moving on.`);
      await switchTo(nxt);
      return;
    }
    out(`Edit ${exerciseRef(dir, e).file} and save. ${keysLine}`);
    if (again) {
      again = false;
      void run();
    }
  };

  const schedule = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void run(), 150);
  };

  const switchTo = async (e: ExerciseInfo): Promise<void> => {
    cur = e;
    show(e);
    await watchFile(e);
    await run();
  };

  const onKey = (str: string | undefined, key: { name?: string; ctrl?: boolean } | undefined): void => {
    const k = (key?.name ?? str ?? "").toLowerCase();
    if ((key?.ctrl && k === "c") || k === "q") {
      void quit("Bye. Your progress is saved in .mfr-lab/progress.json.");
    } else if (k === "h" && cur) {
      out("\n" + formatHint(nextHint({ exercisesDir: dir, id: cur.id })));
    } else if (k === "r") {
      void run();
    } else if (k === "n" && cur) {
      const idx = list.findIndex((x) => x.id === cur!.id);
      void switchTo(list[(idx + 1) % list.length]);
    } else if (k === "l") {
      const p = loadProgress(dir);
      out("\n" + list.map((e) => `  ${p.solved.includes(e.id) ? "✓" : " "} ${e.id} — ${e.title}${cur && e.id === cur.id ? "   ← current" : ""}`).join("\n"));
    }
  };

  readline.emitKeypressEvents(process.stdin);
  if (process.stdin.isTTY) process.stdin.setRawMode(true);
  process.stdin.on("keypress", onKey);
  process.stdin.resume();
  await switchTo(cur);
  await done;
}
