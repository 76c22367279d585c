// The learner loop around a pass or a failure (rustlings/Exercism style): a failure points at the
// chapter section that explains it; a pass offers the reference and a recap with that section;
// `learn` checks again a solved exercise whose file changed (a broken solution is no longer
// solved) and leaves unchanged ones alone; `progress` shows where the student stands, also as a
// printable report. Runs on temporary copies of exercises/, never the student's own files.
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chapterSection, exerciseNumber, loadRecap } from "../../src/grader/catalog.js";
import { formatOnce, learnOnce, solutionFor } from "../../src/grader/learn.js";
import { loadProgress, markSolved } from "../../src/grader/progress.js";
import { progressReport } from "../../src/grader/progress-report.js";
import { freshCopy, list, removeCopies, ROOT, solveWithReference } from "./fresh-copy.js";

const temps: string[] = [];
afterAll(() => removeCopies(temps));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "mfr-lab.mjs"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const [first, second] = list;

describe("after a failure and after a pass", () => {
  it("a failure links to the section that explains the exercise; a pass shows the recap, the section and the reference", { timeout: 120_000 }, async () => {
    const dir = freshCopy();
    const recap = loadRecap(dir, first.id)!;
    const section = chapterSection(first.chapter, recap.section)!;
    const fail = await learnOnce({ exercisesDir: dir });
    expect(fail.passed).toBe(false);
    const failText = formatOnce(fail, list);
    expect(failText, "the failure names the chapter file and section").toContain(`Read: ${section.file}#${recap.section} ("${section.title}")`);
    const g = cli(["grade", "--only", first.id, "--exercises-dir", dir]);
    expect(g.stdout, "grade points a failing exercise at the same section").toContain(`Read: ${section.file}#${recap.section}`);

    solveWithReference(dir, first);
    const pass = await learnOnce({ exercisesDir: dir });
    expect(pass.passed, pass.message).toBe(true);
    expect(pass.recap).toBe(recap.text);
    const text = formatOnce(pass, list);
    expect(text).toContain("What this shows:");
    expect(text).toContain(`More in ${section.file}#${recap.section}`);
    expect(text).toContain(`Compare with the reference solution: exercises/${first.id}/.meta/reference.ts`);
    expect(text, "the header carries the exercise's number").toContain(`Exercise ${exerciseNumber(list, first.id)} (1 of ${list.length}): ${first.id}`);
  });

  it("learn --solution shows the reference only once the exercise is solved", { timeout: 120_000 }, () => {
    const dir = freshCopy();
    const before = cli(["learn", "--solution", first.id, "--exercises-dir", dir]);
    expect(before.status).toBe(1);
    expect(before.stdout).toContain("is not solved yet");
    expect(before.stdout).not.toContain("BEGIN SOLUTION");
    markSolved(dir, first.id);
    const s = solutionFor({ exercisesDir: dir, id: first.id });
    expect(s.solution).toBe(readFileSync(join(dir, first.id, ".meta", "reference.ts"), "utf8"));
    const none = cli(["learn", "--solution", "--exercises-dir", dir]);
    expect(none.status, "no exercise named: a usage error").toBe(2);
    expect(none.stderr).toContain("--solution");
  });
});

describe("learn checks solved exercises again", () => {
  it("a solved exercise whose file breaks later is no longer solved; an unchanged one is not re-run", { timeout: 180_000 }, async () => {
    const dir = freshCopy();
    solveWithReference(dir, first);
    solveWithReference(dir, second);
    const r1 = await learnOnce({ exercisesDir: dir });
    const r2 = await learnOnce({ exercisesDir: dir });
    expect([r1.passed, r2.passed]).toEqual([true, true]);
    expect(loadProgress(dir).solved).toEqual([first.id, second.id]);
    expect(progressReport(dir).rows.slice(0, 2).map((r) => r.state)).toEqual(["solved", "solved"]);

    // The student breaks the first solution later.
    appendFileSync(join(dir, first.id, first.file), '\nthrow new Error("broken on purpose");\n');
    expect(progressReport(dir).rows[0].state, "progress sees the change without running anything").toBe("changed");
    const r3 = await learnOnce({ exercisesDir: dir });
    expect(r3.broken, "only the changed exercise was checked and found broken").toEqual([first.id]);
    expect(loadProgress(dir).solved, "it is off the solved list; the unchanged one stays").toEqual([second.id]);
    expect(r3.exercise?.id, "learn goes back to it").toBe(first.id);
    expect(formatOnce(r3, list)).toContain(`${first.id} no longer passes`);
    expect(progressReport(dir).rows[0].state).toBe("todo");
  });

  it("a solution that changed but still passes stays solved", { timeout: 120_000 }, async () => {
    const dir = freshCopy();
    solveWithReference(dir, first);
    await learnOnce({ exercisesDir: dir });
    appendFileSync(join(dir, first.id, first.file), "\n// tidied up\n");
    const r = await learnOnce({ exercisesDir: dir });
    expect(r.broken).toEqual([]);
    expect(loadProgress(dir).solved).toEqual([first.id]);
    expect(progressReport(dir).rows[0].state).toBe("solved");
  });
});

describe("mfr-lab progress", () => {
  it("prints one line per exercise with its number, --json one object, --html a printable report", { timeout: 120_000 }, () => {
    const dir = freshCopy();
    markSolved(dir, second.id);
    const t = cli(["progress", "--exercises-dir", dir]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toContain(`Progress: 1 of ${list.length} exercises solved.`);
    expect(t.stdout).toMatch(new RegExp(`✓ ${exerciseNumber(list, second.id).replace(".", "\\.")}\\s+${second.id}\\s+`));
    expect(t.stdout).toContain(`Next: \`npx mfr-lab learn ${first.id}\``);

    const j = JSON.parse(cli(["progress", "--json", "--exercises-dir", dir]).stdout) as { solved: number; total: number; rows: { id: string; number: string; title: string; state: string }[] };
    expect(j.solved).toBe(1);
    expect(j.total).toBe(list.length);
    expect(j.rows.map((r) => `${r.number} ${r.title}`)).toEqual(list.map((e) => `${exerciseNumber(list, e.id)} ${e.title}`));

    const out = mkdtempSync(join(tmpdir(), "mfr-lab-progress-"));
    temps.push(out);
    const file = join(out, "report.html");
    const h = cli(["progress", "--html", file, "--exercises-dir", dir]);
    expect(h.status, h.stderr).toBe(0);
    const html = readFileSync(file, "utf8");
    expect(html).toContain(`<strong>1 of ${list.length}</strong>`);
    expect(html).toContain("@media print");
    expect((html.match(/<tr class="/g) ?? []).length, "one row per exercise").toBe(list.length);

    const bad = cli(["progress", "--html", join(out, "no-such-dir", "r.html"), "--exercises-dir", dir]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain("--html");
    rmSync(file);
    expect(existsSync(join(out, "no-such-dir")), "nothing left behind").toBe(false);
  });
});

describe("classroom autograding (teaching/grade-summary.mjs over mfr-lab grade --json)", () => {
  it("reports each exercise and the points; --require-all fails until all pass; bad input is exit 2", { timeout: 120_000 }, () => {
    const dir = freshCopy();
    solveWithReference(dir, first);
    const out = mkdtempSync(join(tmpdir(), "mfr-lab-classroom-"));
    temps.push(out);
    const g = cli(["grade", "--json", "--exercises-dir", dir, "--only", first.id]);
    writeFileSync(join(out, "pass.json"), g.stdout);
    const g2 = cli(["grade", "--json", "--exercises-dir", dir, "--only", second.id]);
    writeFileSync(join(out, "fail.json"), g2.stdout);
    const summary = (f: string, ...flags: string[]) => spawnSync(process.execPath, [join(ROOT, "teaching", "grade-summary.mjs"), join(out, f), ...flags], { encoding: "utf8" });
    const ok = summary("pass.json", "--require-all");
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`| ✅ | \`${first.id}\` | ${first.title} |`);
    expect(ok.stdout).toContain("Points: 1/1");
    const bad = summary("fail.json");
    expect(bad.status).toBe(0);
    expect(bad.stdout).toContain("Points: 0/1");
    expect(bad.stdout).toMatch(new RegExp(`\\| ❌ \\| \`${second.id}\` .*TODO`));
    expect(summary("fail.json", "--require-all").status).toBe(1);
    writeFileSync(join(out, "junk.json"), "{\"hello\": 1}");
    const junk = summary("junk.json");
    expect(junk.status).toBe(2);
    expect(junk.stderr.trim().split("\n")).toHaveLength(1);
  });
});
