// `mfr-lab scenario FILE [--json]`: one JSON object; a bad file is one line, exit code 2.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { example, ROOT } from "./helpers.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "mfr-lab.mjs"), "scenario", ...args], { encoding: "utf8", cwd: ROOT, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), "mfr-scenario-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

// Each case spawns the CLI: up to 20 s beside two busy loops (README, "Tests on a busy machine").
describe("mfr-lab scenario", { timeout: 120_000 }, () => {
  it("--json prints one object with scenario, steps, events, violations and final", () => {
    const r = cli(example("hugetlb-1g-keep-ue-mapped"), "--json");
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split("\n");
    expect(lines.length, "--json prints exactly one line").toBe(1);
    const o = JSON.parse(lines[0]);
    expect(Object.keys(o)).toEqual(expect.arrayContaining(["scenario", "steps", "events", "violations", "final"]));
    expect(o.scenario).toBe("hugetlb-1g-keep-ue-mapped");
    expect(o.violations).toEqual([]);
    expect(o.final.hugetlb["1G"]).toEqual({ nr: 1, free: 1 });
    const sig = o.events.find((e: { kind: string }) => e.kind === "signal");
    expect(sig.event).toMatchObject({ sig: "SIGBUS", code: "BUS_MCEERR_AR", lsb: 12 });
  });

  it("--kernel-version picks the kernel the model follows (a reserved page: MF_MSG_KERNEL on 7.3, MF_MSG_GET_HWPOISON on 6.12); machine.kernel in the file does the same", () => {
    const types = (args: string[]) => {
      const r = cli(example("buddy-page"), "--json", ...args);
      expect(r.code, r.err).toBe(0);
      const o = JSON.parse(r.out);
      return { kernel: o.kernel, types: o.events.filter((e: { kind: string }) => e.kind === "memory_failure").map((e: { event: { type: string } }) => e.event.type) };
    };
    expect(types([])).toMatchObject({ kernel: "7.3", types: expect.arrayContaining(["MF_MSG_KERNEL"]) });
    expect(types(["--kernel-version", "6.12"])).toMatchObject({ kernel: "6.12", types: expect.arrayContaining(["MF_MSG_GET_HWPOISON"]) });
    const f = file("old.yaml", "name: old\nmachine: { memory: 64M, kernel: 6.12 }\nsteps:\n  - { op: poison, pool: kernel, page: 1 }\n  - { op: check, last: { type: MF_MSG_GET_HWPOISON } }\n");
    expect(cli(f).code).toBe(0);
    const bad = cli(f, "--kernel-version", "6.6");
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split("\n")).toHaveLength(1);
    expect(bad.err).toMatch(/kernel-version/);
    const badFile = cli(file("bad.yaml", "name: bad\nmachine: { memory: 64M, kernel: \"5.10\" }\nsteps: []\n"));
    expect(badFile.code).toBe(2);
    expect(badFile.err).toMatch(/machine\.kernel.*"6\.12" or "7\.3"/);
  });

  it("the human report shows the timeline, signals with code and lsb, and the final state", () => {
    const r = cli(example("hugetlb-1g-default"));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/memory_failure\(pfn 0x[0-9a-f]+, MF_ACTION_REQUIRED\): MF_MSG_HUGE \(huge page\) → MF_RECOVERED/);
    expect(r.out).toMatch(/vmm: SIGBUS BUS_MCEERR_AR at ram\+48K lsb 30/);
    expect(r.out).toMatch(/leaked 262,144 \(1G\)/);
    expect(r.out).toMatch(/hugetlb 2M: nr 0, free 0; 1G: nr 2, free 1/);
  });

  it("the deliberately buggy scenario lists its violations and exits 0 (they are expected)", () => {
    const r = cli(example("v1-buggy-reuse"));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/!! INVARIANT poisoned-frame-allocated/);
    expect(r.out).toMatch(/violations: 3 \(expected/);
  });

  it("--seed changes the random pages", () => {
    const pfns = (seed: string) => JSON.parse(cli(example("random-thp-errors"), "--json", "--seed", seed).out).events.filter((e: { kind: string }) => e.kind === "memory_failure").map((e: { event: { pfn: number } }) => e.event.pfn);
    expect(pfns("3")).toEqual(pfns("3"));
    expect(pfns("3")).not.toEqual(pfns("4"));
  });

  it("a malformed file: one line naming file, step and field, exit code 2, no stack trace", () => {
    const p = file("bad.yaml", "name: t\nmachine: { memory: 1G }\nprocesses: [a]\nsteps:\n  - { op: spawn, process: b }\n  - { op: spawn, process: c }\n  - { op: spawn, process: d }\n  - { op: memfd, name: g, process: a, size: 12Q }\n");
    const r = cli(p);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/^mfr-lab: bad\.yaml: steps\[3\]\.size: "12Q" is not a size \(use /);
    expect(r.err).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it("a missing file, a file that is not YAML, a step the model rejects: exit code 2, one line", () => {
    for (const [args, msg] of [
      [[join(tmp, "nothere.yaml")], /^mfr-lab: nothere\.yaml: no such file\n$/],
      [[file("broken.yaml", "name: t\nsteps: [ {op: read\n")], /^mfr-lab: broken\.yaml: not valid YAML: .*\n$/],
      [[file("broken.json", '{"name": ')], /^mfr-lab: broken\.json: not valid JSON: .*\n$/],
      [[file("unknown.yaml", "name: t\nmachine: { memory: 1G }\nsteps:\n  - { op: exit, process: qemu }\n")], /^mfr-lab: unknown\.yaml: steps\[0\]\.process: no process "qemu" .*\n$/],
    ] as const) {
      const r = cli(...args);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(msg);
    }
  });

  it("a failed check exits 1", () => {
    const r = cli(file("check.yaml", "name: t\nmachine: { memory: 1G }\nprocesses: [a]\nsteps:\n  - { op: check, signal: { process: a, sig: SIGBUS } }\n"));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAILED steps\[0\]: process "a" got no signal/);
  });
});
