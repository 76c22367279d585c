// Config the grader (src/grader) uses to run one exercise's tests against the student's file
// or the reference solution. The project suite (vitest.config.mts) excludes these tests,
// because a fresh clone's student files are stubs that fail on purpose.
import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/exercises/**/*.test.ts"],
    // Judges run in forked workers, as many at once as the grader asks (--maxWorkers). A worker
    // grades several exercises in turn (no isolation between judges: they are the course's own
    // code, and each student's code runs in a process of its own), which saves starting a
    // process and loading the library for every exercise.
    pool: "forks",
    isolate: false,
    // The student's code has its own time budget (the grader's --timeout, enforced by the sandbox);
    // this is only a backstop for the judge's own work on a very busy machine.
    testTimeout: 300_000,
    // The grader shows the first failing test's message; the diff noise is not useful there.
    printConsoleTrace: false,
  },
});
