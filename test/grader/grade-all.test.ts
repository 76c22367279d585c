// Every exercise graded both ways, as a course's CI would (rustlings/Exercism): every reference
// solution passes, every untouched stub fails with a message naming what to write. Each way is
// one grading run in a hook (all exercises, as many at once as there are cores), and each
// exercise is its own test, so no test waits on all 25 (one test grading all of them hit its
// 60 s limit on a busy machine before).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grade, type GradeReport } from "../../src/grader/run.js";
import { EXERCISES, freshCopy, list, removeCopies } from "./fresh-copy.js";

/**
 * One grading run of all exercises. Measured worst case beside two busy loops during the full
 * suite on the 2-core development machine: about 95 s (README, "Tests on a busy machine"); the
 * limit leaves 3× that.
 */
const GRADE_ALL_MS = 300_000;

afterAll(() => removeCopies());

describe("grade --reference: every reference solution passes", () => {
  let r: GradeReport;
  beforeAll(async () => {
    r = await grade({ target: "reference", exercisesDir: EXERCISES });
  }, GRADE_ALL_MS);

  it("grades every exercise in the manifest, several at once", () => {
    expect(r.total).toBe(list.length);
    expect(r.exercises.map((e) => e.id)).toEqual(list.map((e) => e.id));
    expect(r.workers).toBeGreaterThanOrEqual(1);
  });

  it.each(list.map((e) => e.id))("%s: the reference passes", (id) => {
    const e = r.exercises.find((x) => x.id === id)!;
    expect(e.passed, e.message).toBe(true);
    expect(e.checks, "every check ran").toBeGreaterThan(0);
    expect(e.checksPassed).toBe(e.checks);
  });
});

describe("untouched stubs: every exercise fails, each with a TODO message naming the function", () => {
  let r: GradeReport;
  beforeAll(async () => {
    r = await grade({ target: "student", exercisesDir: freshCopy() });
  }, GRADE_ALL_MS);

  it("no stub passes", () => {
    expect(r.total).toBe(list.length);
    expect(r.passed, "stubs that pass").toBe(0);
  });

  it.each(list.map((e) => e.id))("%s: the stub fails, saying what is not written yet", (id) => {
    const e = r.exercises.find((x) => x.id === id)!;
    expect(e.passed).toBe(false);
    expect(e.message, "the stub's failure says what is not written yet").toMatch(/\w+\(.*\) is not written yet \(TODO: /);
    expect(e.message, "no stack trace in the message").not.toMatch(/\n|\s+at \S+:\d+/);
  });
});
