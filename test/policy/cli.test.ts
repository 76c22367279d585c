// `mfr-lab policy`: a student's file scored from the shell gives the library's scorecard; a broken
// file gives one line and exit code 2, in bounded time, and leaves nothing behind.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BATTERY_ASSUMPTIONS, KERNEL_LAB_SLOTS, decisionList, scoreBuiltins, scorePolicy, type Policy } from "../../src/index.js";

const ROOT = join(__dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "mfr-lab-policy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "mfr-lab.mjs"), ...args], { encoding: "utf8", cwd: ROOT, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, ms: Date.now() - t0 };
}
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const viaJson = <T>(x: T): T => JSON.parse(JSON.stringify(x));

const GOOD = `
// A student's policy: keep HugeTLB UEs mapped, offline at the last reference, revoke pins at the error.
export const policy = {
  name: "mine",
  memfdUe: (ctx: { fs: string }) => (ctx.fs === "hugetlbfs" ? "keep-mapped" : "unmap"),
  release: "deferred",
  pinned: (ctx: { when: string }) => (ctx.when === "error" ? "revoke" : "offline"),
  gmemError: "split-then-zap",
  pfnError: "keep",
};
`;
const goodPolicy: Policy = {
  name: "mine",
  memfdUe: (ctx) => (ctx.fs === "hugetlbfs" ? "keep-mapped" : "unmap"),
  release: "deferred",
  pinned: (ctx) => (ctx.when === "error" ? "revoke" : "offline"),
  gmemError: "split-then-zap",
  pfnError: "keep",
};

describe("mfr-lab policy", { timeout: 120_000 }, () => {
  it("score FILE --json prints the library's scorecard for the file's policy, reproducibly from the seed", () => {
    const f = file("good.ts", GOOD);
    const r = cli("policy", "score", f, "--seed", "4", "--errors", "2", "--json");
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim().split("\n").length, "one JSON line").toBe(1);
    const got = JSON.parse(r.out);
    expect(got).toEqual(viaJson(scorePolicy(goodPolicy, { seed: 4, errors: 2 })));
    expect(JSON.parse(cli("policy", "score", f, "--seed", "4", "--errors", "2", "--json").out)).toEqual(got);
  });

  it("score FILE prints the metrics, the objections, the answers and where each cost comes from", () => {
    const r = cli("policy", "score", file("good2.ts", GOOD), "--workloads", "vm-1g,dma");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^policy: mine/);
    expect(r.out).toMatch(/memory lost after teardown\s+24K\s+12K\s+12K/);
    expect(r.out).toMatch(/✓ no-iommu-callback/);
    expect(r.out).toMatch(/pinned: revoke ×3/);
    expect(r.out).toMatch(/where the costs come from:/);
    expect(r.out).toContain(`assumption: ${BATTERY_ASSUMPTIONS[0]}`);
  });

  it("table --json gives every built-in policy's scorecard; --with adds the file's as the last row", () => {
    const r = cli("policy", "table", "--errors", "1", "--json");
    expect(r.code, r.err).toBe(0);
    const got = JSON.parse(r.out);
    expect(got.policies).toEqual(viaJson(scoreBuiltins({ errors: 1 })));
    const w = cli("policy", "table", "--errors", "1", "--workloads", "cvm", "--with", file("good3.ts", GOOD), "--json");
    expect(w.code, w.err).toBe(0);
    const rows = JSON.parse(w.out).policies;
    expect(rows[rows.length - 1]).toEqual(viaJson(scorePolicy(goodPolicy, { errors: 1, workloads: ["cvm"] })));
    const human = cli("policy", "table", "--errors", "1");
    expect(human.out).toMatch(/mainline 7\.3/);
    expect(human.out).toMatch(/objections failed/);
  });

  it("decisions --json lists the design space as the library does", () => {
    const r = cli("policy", "decisions", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).decisions).toEqual(viaJson(decisionList()));
    expect(JSON.parse(r.out).kernelLab).toEqual(viaJson(KERNEL_LAB_SLOTS));
    expect(cli("policy", "decisions").out, "the kernel lab's committed result for mainline's answer").toMatch(/kernel lab, unmap: .*7\.3\.\d+\+deb\d+-amd64 steps\[0\]: MF_MSG_HUGE MF_RECOVERED/);
  });

  const broken: [string, string, RegExp][] = [
    ["syntax.ts", "export const policy = {\n  memfdUe: \"unmap\",,\n};\n", /could not be loaded: syntax error at line 2, column \d+/],
    ["none.ts", "export const x = 1;\n", /exports no policy/],
    ["bad-choice.ts", 'export const policy = { memfdUe: "unmap", release: "leave", pinned: "sometimes", gmemError: "zap-folio", pfnError: "driver" };\n', /decision "pinned" is "sometimes"/],
    ["missing.ts", 'export const policy = { memfdUe: "unmap", release: "leave", pinned: "offline", gmemError: "zap-folio" };\n', /no decision "pfnError"/],
    ["throws-at-load.ts", 'throw new Error("not today");\nexport const policy = {};\n', /could not be loaded: not today/],
  ];
  for (const [name, text, msg] of broken) {
    it(`a broken file (${name}) gives one line naming it and exit code 2`, () => {
      const f = file(name, text);
      const r = cli("policy", "score", f);
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      const lines = r.err.trim().split("\n");
      expect(lines.length, r.err).toBe(1);
      expect(lines[0]).toMatch(/^mfr-lab: /);
      expect(lines[0]).toContain(f);
      expect(lines[0]).toMatch(msg);
    });
  }

  it("a path that is not a policy file, or a bad flag, gives one line and exit code 2", () => {
    for (const args of [["policy", "score", join(dir, "nope.ts")], ["policy", "score", dir], ["policy", "score", file("x.txt", "hi")], ["policy", "score", file("ok.ts", GOOD), "--errors", "99"], ["policy", "table", "--workloads", "vm-2g"]]) {
      const r = cli(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err.trim().split("\n").length, r.err).toBe(1);
    }
  });

  it("a decision that never returns is stopped at --timeout with one line, exit 2, and no process left", () => {
    const f = file("loop.ts", 'export const policy = { memfdUe: "unmap", release: "leave", pinned: "offline", gmemError: "zap-folio", pfnError: () => { for (;;) {} } };\n');
    const r = cli("policy", "score", f, "--timeout", "3");
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(/^mfr-lab: the policy in .*loop\.ts did not finish within 3 s/);
    expect(r.ms, "bounded time").toBeLessThan(45_000);
    const ps = spawnSync("ps", ["-eo", "args"], { encoding: "utf8" }).stdout;
    expect(ps.split("\n").filter((l) => l.includes(f)), "the child is gone").toEqual([]);
  });
});
