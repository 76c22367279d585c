import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Forks isolate the notebook, browser and grader tests that spawn processes.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // The graded-exercise tests are run by the grader (src/grader) against student or
    // reference files, not directly by the project suite.
    exclude: ["**/node_modules/**", "test/exercises/**"],
  },
});
