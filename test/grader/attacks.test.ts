// The grader against a hostile student (issue 11). Every attack in attacks.ts passed the grader
// as it was (a forged report, a patched library class, the reference re-exported from .meta/, the
// library reached through "../../src", a test file replaced at run time or by hand); here each
// one fails, with a message that says why. Misbehaving code gets a clear message too, and when
// grading ends no process it started is left.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { digestFile } from "../../src/grader/integrity.js";
import { grade, type ExerciseResult } from "../../src/grader/run.js";
import {
  EMPTY_TEST, FORGE_REPORT, LIBRARY_VIA_SRC, MEMORY_HOG, PATCH_LIBRARY, PROBE_CHANNELS, REALLY_EXIT, REEXPORT_REFERENCE,
  REPLACE_TEST_AT_RUNTIME, SPAWNS_AND_HANGS, THROW_NO_PROTOTYPE, killsAnother, reachesOut, type Attack,
} from "./attacks.js";
import { freshCopy, list, projectCopy, removeCopies, solveWithReference, studentFile } from "./fresh-copy.js";
import { processesWith } from "../servers.js";

afterAll(() => removeCopies());

function plant(dir: string, attacks: Attack[]): void {
  for (const a of attacks) writeFileSync(studentFile(dir, a.id), a.source);
}

function byId(rs: ExerciseResult[]): Record<string, ExerciseResult> {
  return Object.fromEntries(rs.map((r) => [r.id, r]));
}

describe("the grader cannot be fooled", () => {
  it("a forged report, a patched library class, the reference re-exported, the library via ../../src: each fails, saying why", { timeout: 180_000 }, async () => {
    const dir = freshCopy();
    const attacks = [FORGE_REPORT, PATCH_LIBRARY, REEXPORT_REFERENCE, LIBRARY_VIA_SRC];
    plant(dir, attacks);
    const r = byId((await grade({ target: "student", exercisesDir: dir, only: attacks.map((a) => a.id) })).exercises);
    for (const a of attacks) expect(r[a.id].passed, `${a.id}: a file that ${a.what}`).toBe(false);
    // Its kill of the process group is refused (doors.ts), so its answers, all 0, are what is graded.
    expect(r[FORGE_REPORT.id].message).toMatch(/your tlbReach returned 0 bytes .*\(4 of 4 checks fail\)$/);
    expect(r[PATCH_LIBRARY.id].message).toMatch(/action-result\.ts uses the library's Machine: this exercise asks you to write that logic yourself/);
    expect(r[REEXPORT_REFERENCE.id].message).toMatch(/split-budget\.ts could not be loaded: exercises\/ch1-split-budget\/split-budget\.ts imports the reference solution \(exercises\/ch1-split-budget\/\.meta\/reference\.ts\)/);
    expect(r[LIBRARY_VIA_SRC.id].message).toMatch(/nested-walk\.ts uses the library's (walkLevels|walkRefs2D|effectivePageSize|nestedWalkRefs)/);
  });

  it("results written anywhere, on any descriptor, and an attempt to kill its parent: the exercise fails and the others are graded", { timeout: 180_000 }, async () => {
    const dir = freshCopy();
    plant(dir, [PROBE_CHANNELS]);
    const other = list.find((e) => e.id === "ch1-nested-walk")!;
    solveWithReference(dir, other);
    const r = byId((await grade({ target: "student", exercisesDir: dir, only: [PROBE_CHANNELS.id, other.id] })).exercises);
    expect(r[PROBE_CHANNELS.id].passed).toBe(false);
    expect(r[PROBE_CHANNELS.id].message).toMatch(/ended|stopped|protocol/);
    expect(r[other.id].passed, `${other.id} (solved) is still graded: ${r[other.id].message}`).toBe(true);
  });

  it("a test file replaced at run time is not replaced; one replaced by hand is refused", { timeout: 180_000 }, async () => {
    const { root, exercises } = projectCopy();
    const testPath = join(root, "test", "exercises", `${REPLACE_TEST_AT_RUNTIME.id}.test.ts`);
    const before = digestFile(root, `test/exercises/${REPLACE_TEST_AT_RUNTIME.id}.test.ts`);
    plant(exercises, [REPLACE_TEST_AT_RUNTIME]);
    for (const run of [1, 2]) {
      const [r] = (await grade({ root, target: "student", exercisesDir: exercises, only: [REPLACE_TEST_AT_RUNTIME.id] })).exercises;
      expect(r.passed, `run ${run}`).toBe(false);
      expect(r.message, `run ${run}`).toMatch(/memoryLost\(.*\) is not written yet \(TODO: not solved\)/);
      expect(digestFile(root, `test/exercises/${REPLACE_TEST_AT_RUNTIME.id}.test.ts`), `run ${run}: the test file is unchanged`).toBe(before);
    }
    writeFileSync(testPath, EMPTY_TEST);
    const [r] = (await grade({ root, target: "student", exercisesDir: exercises, only: [REPLACE_TEST_AT_RUNTIME.id] })).exercises;
    expect(r.passed).toBe(false);
    expect(r.message).toBe(`test/exercises/${REPLACE_TEST_AT_RUNTIME.id}.test.ts is not the course's version, so the grader will not run it: restore it with git (git checkout -- test/exercises/${REPLACE_TEST_AT_RUNTIME.id}.test.ts); course authors who changed it on purpose run npx tsx src/grader/make-digests.ts`);
  });
});

describe("misbehaving code gets one clear message, and nothing is left running", () => {
  it("process.reallyExit, a thrown object without prototype, a memory hog, a child process and an endless loop", { timeout: 180_000 }, async () => {
    const dir = freshCopy();
    const attacks = [REALLY_EXIT, THROW_NO_PROTOTYPE, MEMORY_HOG, SPAWNS_AND_HANGS];
    plant(dir, attacks);
    const tmp = mkdtempSync(join(tmpdir(), "mfr-lab-leak-check-"));
    try {
      const rep = await grade({ target: "student", exercisesDir: dir, only: attacks.map((a) => a.id), timeoutMs: 4000, tmpDir: tmp });
      const r = byId(rep.exercises);
      for (const a of attacks) expect(r[a.id].passed, a.what).toBe(false);
      expect(r[REALLY_EXIT.id].message).toBe("your code ended the process it runs in (process.reallyExit(0)); return a value or throw an Error instead");
      expect(r[THROW_NO_PROTOTYPE.id].message).toMatch(/^your identifyPageState\(.*\) threw an object with no prototype: \{"code":7\} \(throw an Error/);
      expect(r[MEMORY_HOG.id].message).toMatch(/^your code ran out of memory: the grader gives it 512 MB of heap/);
      expect(r[SPAWNS_AND_HANGS.id].message).toBe("timed out after 4 s — does your loop terminate?");
      for (const e of rep.exercises) expect(e.message, `${e.id}: one line, no stack`).not.toMatch(/\n|\s+at \S+:\d+/);
      // Every process of the run had the run's folder on its command line (bundles live there).
      expect(processesWith(tmp), "processes left after grading").toEqual([]);
      expect(readdirSync(tmp), "the run's private folder is removed").toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    expect(existsSync(tmp)).toBe(false);
  });
});

describe("the student's code reaches nothing outside its process", () => {
  it("no signal to another process of the user, no socket; the refusal is named, and grading goes on", { timeout: 180_000 }, async () => {
    let connections = 0;
    const server = createServer((c) => (connections++, c.destroy()));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const victim = spawn("sleep", ["120"], { detached: true, stdio: "ignore" });
    try {
      const dir = freshCopy();
      const nested = list.find((e) => e.id === "ch1-nested-walk")!;
      solveWithReference(dir, nested);
      const reach = reachesOut(victim.pid!, port);
      writeFileSync(studentFile(dir, reach.id), reach.source + readFileSync(studentFile(dir, reach.id), "utf8"));
      plant(dir, [killsAnother(victim.pid!)]);
      const r = byId((await grade({ target: "student", exercisesDir: dir, only: [reach.id, "ch0-page-state"] })).exercises);
      expect(r["ch0-page-state"].passed).toBe(false);
      expect(r["ch0-page-state"].message).toMatch(/process\.kill is not available while grading: your code gets no network and no signals to other processes/);
      expect(r[reach.id].passed, `the solution after the refused attempts is graded: ${r[reach.id].message}`).toBe(true);
      expect(victim.exitCode === null && victim.signalCode === null, "the other process is still running").toBe(true);
      expect(connections, "connections the student's code made").toBe(0);
    } finally {
      victim.kill("SIGKILL");
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
