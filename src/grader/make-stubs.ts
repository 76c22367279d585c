// Regenerates the student files from the reference solutions, or checks that they match.
//   npx tsx src/grader/make-stubs.ts            write every exercises/<id>/<file>
//   npx tsx src/grader/make-stubs.ts --check    exit 1 if a committed stub differs
//   npx tsx src/grader/make-stubs.ts --only ch1-tlb-reach
// Writing overwrites a student's work: it is for course authors.
import { defaultExercisesDir, findExercise, loadManifest } from "./manifest.js";
import { isPristine, writeStubs } from "./stubs.js";

function run(argv: string[]): number {
  const dir = defaultExercisesDir();
  let list = loadManifest(dir);
  const only = argv.indexOf("--only");
  if (only >= 0) list = [findExercise(list, argv[only + 1] ?? "")];
  if (argv.includes("--check")) {
    const drift = list.filter((e) => !isPristine(dir, e));
    for (const e of drift) process.stdout.write(`exercises/${e.id}/${e.file} differs from the stub generated from .meta/reference.ts\n`);
    process.stdout.write(`${list.length - drift.length} of ${list.length} stubs match their reference\n`);
    return drift.length === 0 ? 0 : 1;
  }
  for (const p of writeStubs(dir, list)) process.stdout.write(`wrote ${p.slice(dir.length - "exercises".length)}\n`);
  return 0;
}

process.exitCode = run(process.argv.slice(2));
