// One source for each exercise: the reference solution (exercises/<id>/.meta/reference.ts)
// marks its solution regions, and the student's stub is derived from it, so the two cannot drift.
//
//   // BEGIN SOLUTION: what to write      → replaced by  throw new Error("TODO: what to write");
//   // BEGIN SOLUTION                     → replaced by  // TODO: add what you need here
//   ... code ...
//   // END SOLUTION
//
// A line ending in `// reference-only` is dropped, and the library import `../../../src/`
// (from .meta/) becomes `../../src/` (from the exercise folder).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MfrLabError } from "../core/errors.js";
import type { ExerciseInfo } from "./manifest.js";

const BEGIN = /^(\s*)\/\/ BEGIN SOLUTION(?::\s*(.*?))?\s*$/;
const END = /^\s*\/\/ END SOLUTION\s*$/;

export function makeStub(reference: string, name = "reference"): string {
  const out: string[] = [];
  let inside = false;
  let line = 0;
  for (const text of reference.split("\n")) {
    line++;
    const b = BEGIN.exec(text);
    if (b) {
      if (inside) throw new MfrLabError(`${name}:${line}: BEGIN SOLUTION inside another solution region`);
      inside = true;
      const todo = b[2];
      out.push(todo ? `${b[1]}throw new Error(${JSON.stringify(`TODO: ${todo}`)});` : `${b[1]}// TODO: add what you need here`);
      continue;
    }
    if (END.test(text)) {
      if (!inside) throw new MfrLabError(`${name}:${line}: END SOLUTION without BEGIN SOLUTION`);
      inside = false;
      continue;
    }
    if (inside || /\/\/ reference-only\s*$/.test(text)) continue;
    out.push(text.replace(/(["'])\.\.\/\.\.\/\.\.\/src\//g, "$1../../src/"));
  }
  if (inside) throw new MfrLabError(`${name}: a BEGIN SOLUTION region is never closed`);
  return out.join("\n");
}

export function referencePath(exercisesDir: string, id: string): string {
  return join(exercisesDir, id, ".meta", "reference.ts");
}

export function stubPath(exercisesDir: string, e: ExerciseInfo): string {
  return join(exercisesDir, e.id, e.file);
}

export function stubFor(exercisesDir: string, e: ExerciseInfo): string {
  const ref = referencePath(exercisesDir, e.id);
  if (!existsSync(ref)) throw new MfrLabError(`exercise ${e.id} has no reference solution at .meta/reference.ts`);
  return makeStub(readFileSync(ref, "utf8"), `exercises/${e.id}/.meta/reference.ts`);
}

/** Is the student's file still exactly the generated stub? */
export function isPristine(exercisesDir: string, e: ExerciseInfo): boolean {
  const p = stubPath(exercisesDir, e);
  return existsSync(p) && readFileSync(p, "utf8") === stubFor(exercisesDir, e);
}

/** Writes the stub of each exercise into `outDir/<id>/<file>` (outDir defaults to the exercises folder). */
export function writeStubs(exercisesDir: string, list: ExerciseInfo[], outDir: string = exercisesDir): string[] {
  return list.map((e) => {
    const p = stubPath(outDir, e);
    writeFileSync(p, stubFor(exercisesDir, e));
    return p;
  });
}
