// A vitest reporter that runs in the vitest process the grader starts (never in a process that
// loads a student's code): as each exercise's test file ends it sends the outcome to the grader
// over the IPC channel the grader opened. No file is written, so there is no report a student's
// code could overwrite; the student's processes have no descriptor of this channel.

/** What the grader receives for one test file. */
export interface ModuleReport {
  type: "module";
  file: string;
  /** Errors outside any test (the file or its imports failed to load). */
  loadErrors: string[];
  /** `verdict`: the error is the grader's own (time, memory, an ended process, a refused name), not a test's. */
  tests: { name: string; state: string; error?: string; verdict?: boolean }[];
  durationMs: number;
}

// Structural views of vitest's TestModule / TestCase (vitest/node is not resolvable under the
// project's node10 module resolution, and this file is loaded by vitest itself).
interface ErrorLike { message?: string; name?: string }
interface TestCaseLike {
  name: string;
  result(): { state: string; errors?: readonly ErrorLike[] };
}
interface TestModuleLike {
  moduleId: string;
  errors(): readonly ErrorLike[];
  children: { allTests(): Iterable<TestCaseLike> };
  diagnostic(): { duration: number; collectDuration?: number; setupDuration?: number; prepareDuration?: number; environmentSetupDuration?: number };
}

const text = (e: ErrorLike | undefined): string => (e ? `${e.name && e.name !== "Error" && !/^(AssertionError|SandboxError)$/.test(e.name) ? `${e.name}: ` : ""}${e.message ?? ""}` : "");

export default class GraderReporter {
  onTestModuleEnd(m: TestModuleLike): void {
    const tests = [...m.children.allTests()].map((t) => {
      const r = t.result();
      const err = r.errors?.[0];
      return { name: t.name, state: r.state, ...(err ? { error: text(err).slice(0, 4000), ...(err.name === "SandboxError" ? { verdict: true } : {}) } : {}) };
    });
    const d = m.diagnostic();
    const report: ModuleReport = {
      type: "module",
      file: m.moduleId,
      loadErrors: m.errors().map((e) => text(e).slice(0, 4000)),
      tests,
      durationMs: Math.round((d.prepareDuration ?? 0) + (d.environmentSetupDuration ?? 0) + (d.collectDuration ?? 0) + (d.setupDuration ?? 0) + d.duration),
    };
    process.send?.(report);
  }
}
