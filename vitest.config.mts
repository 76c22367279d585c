import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Forks isolate the notebook, browser and grader tests that spawn processes.
    pool: "forks",
    // Limits from measured worst cases with margin: the full suite beside two busy loops on the
    // 2-core development machine (README, "Tests on a busy machine") took at most ~20 s for any
    // test without a limit of its own, and ~100 s for a site build in a hook.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // The graded-exercise tests are run by the grader (src/grader) against student or
    // reference files, not directly by the project suite.
    exclude: ["**/node_modules/**", "test/exercises/**"],
  },
});
