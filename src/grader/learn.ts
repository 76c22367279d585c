// `mfr-lab learn`: rustlings-style guided mode. Shows the next unsolved exercise, runs its tests,
// re-runs on save, gives hints on request and moves on when the exercise passes. Without a
// terminal (or with --once) it runs the current exercise once and says what to do next.
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import * as readline from "node:readline";
import { watch, type FSWatcher } from "chokidar";
import { ParameterError } from "../core/errors.js";
import { defaultExercisesDir, findExercise, loadHints, loadManifest, type ExerciseInfo } from "./manifest.js";
import { changedSinceSolved, loadProgress, markSolved, markUnsolved, nextUnsolved, saveProgress } from "./progress.js";
import { runExercise, type ExerciseResult } from "./run.js";
import { exerciseNumber, loadRecap, sectionPointer } from "./catalog.js";

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
  /** "1.3": chapter and position, as on the site and in the README. */
  number: string;
  title: string;
  kind: string;
  /** The file to edit, relative to the project (e.g. exercises/ch1-tlb-reach/tlb-reach.ts). */
  file: string;
  readme: string;
  /** The reference solution, relative to the project (offered after a pass). */
  reference: string;
  /** Where the chapter explains what the exercise practises (file#anchor, and the site page if configured). */
  read?: string;
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
  /** Solved exercises that were checked again because their file changed, and no longer pass. */
  broken: string[];
  /** After a pass: what it shows (from .meta/recap.md). */
  recap?: string;
}

function dirOf(opts: LearnOptions): string {
  return resolve(opts.exercisesDir ?? defaultExercisesDir());
}

export function exerciseRef(exercisesDir: string, e: ExerciseInfo, list: ExerciseInfo[] = loadManifest(exercisesDir)): ExerciseRef {
  const base = dirname(exercisesDir);
  const rel = (p: string): string => relative(base, p).split("\\").join("/");
  const read = sectionPointer(e, exercisesDir);
  return {
    id: e.id, number: exerciseNumber(list, e.id), title: e.title, kind: e.kind,
    file: rel(join(exercisesDir, e.id, e.file)), readme: rel(join(exercisesDir, e.id, "README.md")),
    reference: rel(join(exercisesDir, e.id, ".meta", "reference.ts")), ...(read ? { read } : {}),
  };
}

/**
 * Runs again every solved exercise whose file (or tests) changed since it passed; one that fails
 * now is taken off the solved list. Unchanged solutions are not re-run: they cannot have broken.
 */
export async function recheckSolved(opts: LearnOptions = {}): Promise<string[]> {
  const dir = dirOf(opts);
  const broken: string[] = [];
  for (const e of changedSinceSolved(dir, loadManifest(dir))) {
    const r = await runExercise(e, { exercisesDir: dir, timeoutMs: opts.timeoutMs, seed: opts.seed, target: "student" });
    if (r.passed) markSolved(dir, e.id);
    else {
      markUnsolved(dir, e.id);
      broken.push(e.id);
    }
  }
  return broken;
}

export function formatBroken(broken: string[]): string {
  if (broken.length === 0) return "";
  return `Checked again because the file changed since it passed: ${broken.join(", ")} no longer pass${broken.length === 1 ? "es" : ""}, so ${broken.length === 1 ? "it is" : "they are"} back on your list.`;
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
    `Exercise ${ref.number} (${index + 1} of ${total}): ${ref.id} — ${ref.title} (${ref.kind})`,
    `  read  ${ref.readme}`,
    `  edit  ${ref.file}`,
  ].join("\n");
}

/** After a pass: what it shows, where the chapter says more, and the reference to compare with. */
export function passedText(ref: ExerciseRef, recap: string | undefined): string {
  const lines: string[] = [];
  if (recap) lines.push("What this shows:", ...wrap(recap, 96).map((l) => "  " + l));
  if (ref.read) lines.push(`  More in ${ref.read}`);
  lines.push(`Compare with the reference solution: ${ref.reference} (or \`npx mfr-lab learn --solution ${ref.id}\`).`);
  return lines.join("\n");
}

/** After a failure: the message, and the section that explains what the test checks. */
export function failedText(ref: ExerciseRef, message: string | undefined): string {
  return `✗ ${ref.id} does not pass yet:\n  ${message ?? "a test failed"}${ref.read ? `\n  Read: ${ref.read}` : ""}`;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.replace(/\s+/g, " ").split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

function resultText(ref: ExerciseRef, r: ExerciseResult, recap: string | undefined): string {
  if (r.passed) return `✓ ${r.id} passes${r.checks ? ` (${r.checks} checks)` : ""}.\n${passedText(ref, recap)}`;
  return failedText(ref, r.message);
}

/** Runs the current exercise once; records a pass in the progress file. */
export async function learnOnce(opts: LearnOptions = {}): Promise<LearnOnceResult> {
  const dir = dirOf(opts);
  const list = loadManifest(dir);
  const broken = await recheckSolved(opts);
  const cur = currentExercise(opts);
  const solved = (): number => loadProgress(dir).solved.filter((id) => list.some((e) => e.id === id)).length;
  if (!cur) return { exercise: null, passed: true, next: null, progress: { solved: solved(), total: list.length }, broken };
  const r = await runExercise(cur, { exercisesDir: dir, timeoutMs: opts.timeoutMs, seed: opts.seed, target: "student" });
  let next: ExerciseInfo | null = cur;
  if (r.passed) {
    const p = markSolved(dir, cur.id);
    next = nextUnsolved(list, p, cur.id);
  } else {
    markUnsolved(dir, cur.id);
  }
  const recap = r.passed ? loadRecap(dir, cur.id)?.text : undefined;
  return {
    exercise: exerciseRef(dir, cur, list),
    passed: r.passed,
    ...(r.message !== undefined ? { message: r.message } : {}),
    durationMs: r.durationMs,
    next: next ? exerciseRef(dir, next, list) : null,
    progress: { solved: solved(), total: list.length },
    broken,
    ...(recap ? { recap } : {}),
  };
}

export function formatOnce(r: LearnOnceResult, list: ExerciseInfo[]): string {
  const { solved, total } = r.progress;
  const brokenLine = formatBroken(r.broken);
  if (!r.exercise) return `${brokenLine ? brokenLine + "\n" : ""}All ${total} exercises pass. Well done! (npx mfr-lab grade shows the score.)`;
  const idx = list.findIndex((e) => e.id === r.exercise!.id);
  const lines = brokenLine ? [brokenLine, ""] : [];
  lines.push(header(r.exercise, idx, list.length), "");
  lines.push(r.passed ? `✓ ${r.exercise.id} passes.\n${passedText(r.exercise, r.recap)}` : failedText(r.exercise, r.message));
  lines.push("");
  if (r.passed && r.next) {
    lines.push(`Next: ${r.next.number} ${r.next.id} — ${r.next.title}`, `  read  ${r.next.readme}`, `  edit  ${r.next.file}`, "Then run `npx mfr-lab learn --once` again.");
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
  const changed = changedSinceSolved(dir, list);
  if (changed.length > 0) out(`Checking ${changed.length} solved exercise${changed.length === 1 ? "" : "s"} whose file changed since it passed…`);
  const brokenLine = formatBroken(await recheckSolved(opts));
  if (brokenLine) out(brokenLine);
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
    out("\n" + header(exerciseRef(dir, e, list), idx, list.length));
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
    out(resultText(exerciseRef(dir, e, list), r, r.passed ? loadRecap(dir, e.id)?.text : undefined));
    if (!r.passed) markUnsolved(dir, e.id);
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
    out(`Edit ${exerciseRef(dir, e, list).file} and save. ${keysLine}`);
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
      out("\n" + list.map((e) => `  ${p.solved.includes(e.id) ? "✓" : " "} ${exerciseNumber(list, e.id).padEnd(4)} ${e.id} — ${e.title}${cur && e.id === cur.id ? "   ← current" : ""}`).join("\n"));
    }
  };

  readline.emitKeypressEvents(process.stdin);
  if (process.stdin.isTTY) process.stdin.setRawMode(true);
  process.stdin.on("keypress", onKey);
  process.stdin.resume();
  await switchTo(cur);
  await done;
}

export interface SolutionResult {
  exercise: ExerciseRef;
  /** The reference solution's text; absent when the exercise is not solved yet. */
  solution?: string;
}

/** The reference solution, offered once the student's own file passes (not before). */
export function solutionFor(opts: LearnOptions & { id: string }): SolutionResult {
  const dir = dirOf(opts);
  const list = loadManifest(dir);
  if (!opts.id) throw new ParameterError("--solution", "needs the exercise", "e.g. npx mfr-lab learn --solution ch1-tlb-reach");
  const e = findExercise(list, opts.id, "--solution");
  const ref = exerciseRef(dir, e, list);
  if (!loadProgress(dir).solved.includes(e.id)) return { exercise: ref };
  return { exercise: ref, solution: readFileSync(join(dir, e.id, ".meta", "reference.ts"), "utf8") };
}

export function formatSolution(s: SolutionResult): string {
  if (s.solution === undefined) {
    return `${s.exercise.id} is not solved yet: the reference solution is shown once your file passes (\`npx mfr-lab learn ${s.exercise.id}\`). Stuck? \`npx mfr-lab learn --hint ${s.exercise.id}\`.`;
  }
  return `Reference solution of ${s.exercise.number} ${s.exercise.id} (${s.exercise.reference}):\n\n${s.solution}`;
}
