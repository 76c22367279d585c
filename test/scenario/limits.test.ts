// Scenario input has limits (issue 11): only regular files of at most 1M are read, at most
// 100,000 steps are accepted, names that every JavaScript object has ("__proto__",
// "constructor") are errors wherever they appear, and a populate is checked against the machine
// before it starts and stops at the first page it cannot fault in. Each refusal is one line.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseScenario, runScenario, validateScenario, type ScenarioSpec } from "../../src/scenario/index.js";
import { MAX_SCENARIO_BYTES } from "../../src/scenario/parse.js";
import { MAX_STEPS } from "../../src/scenario/schema.js";
import { MAX_POPULATE_PAGES } from "../../src/mfr/machine.js";
import { ROOT } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "mfr-scenario-limits-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(file: string) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "mfr-lab.mjs"), "scenario", file], { encoding: "utf8", cwd: ROOT, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, signal: r.signal };
}

function oneLine(r: { code: number | null; out: string; err: string }, re: RegExp): void {
  expect(r.code, r.err).toBe(2);
  expect(r.out).toBe("");
  expect(r.err.trim().split("\n")).toHaveLength(1);
  expect(r.err).toMatch(re);
}

describe("scenario files: only regular files, of bounded size", { timeout: 60_000 }, () => {
  it("/dev/zero, a named pipe and a directory are refused at once, naming what they are", () => {
    oneLine(cli("/dev/zero"), /^mfr-lab: zero: is a character device, not a scenario file/);
    const fifo = join(tmp, "pipe.yaml");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    // With no writer, reading a pipe would wait forever: the check happens before any read.
    oneLine(cli(fifo), /^mfr-lab: pipe\.yaml: is a named pipe, not a scenario file/);
    oneLine(cli(tmp), /is a directory, not a scenario file/);
  });

  it("a file over 1M is refused by its size, without reading it", () => {
    const big = join(tmp, "big.yaml");
    const step = "  - { op: spawn, process: p }\n";
    writeFileSync(big, "name: big\nmachine: { memory: 64M }\nsteps:\n" + step.repeat(Math.ceil((MAX_SCENARIO_BYTES + 1) / step.length)));
    oneLine(cli(big), /^mfr-lab: big\.yaml: is 1,0\d\d,\d{3} bytes; a scenario file may be at most 1,048,576 \(1M\) \(split it into smaller scenarios\)\n$/);
  });

  it(`more than ${MAX_STEPS.toLocaleString("en-US")} steps are refused (text from a notebook or the site)`, () => {
    const spec = { name: "many", machine: { memory: "64M" }, processes: ["a"], steps: Array.from({ length: MAX_STEPS + 1 }, () => ({ op: "check", alive: { a: true } })) };
    expect(() => validateScenario(spec, "many")).toThrow(/^many: steps: at most 100,000 steps: split the scenario$/);
    expect(() => parseScenario("x".repeat(MAX_SCENARIO_BYTES + 1), "huge.yaml")).toThrow(/^huge\.yaml: is 1,048,577 characters; a scenario may be at most 1,048,576/);
  });
});

describe("reserved and unknown names are errors, never a check that asserts nothing", () => {
  const base = "name: t\nmachine: { memory: 64M }\nprocesses: [a]\nsteps:\n";
  it.each([
    ["a check of __proto__ (YAML)", base + "  - op: check\n    alive: { __proto__: false }\n", /steps\[0\]\.alive\.__proto__: "__proto__" is reserved/],
    ["a check of __proto__ (JSON)", '{"name":"t","machine":{"memory":"64M"},"processes":["a"],"steps":[{"op":"check","alive":{"__proto__":false}}]}', /steps\[0\]\.alive\.__proto__: "__proto__" is reserved/],
    ["a check of constructor", base + "  - op: check\n    alive: { constructor: false }\n", /steps\[0\]\.alive\.constructor: "constructor" is reserved/],
    ["a field named __proto__", base + "  - { op: spawn, process: b, __proto__: { op: exit } }\n", /steps\[0\]\.__proto__: "__proto__" is reserved/],
    ["a process named toString", "name: t\nmachine: { memory: 64M }\nprocesses: [toString]\nsteps: []\n", /processes\[0\]: "toString" is reserved/],
    ["a check of an unknown process", base + "  - op: check\n    alive: { nobody: true }\n", /steps\[0\]\.alive\.nobody: no process "nobody"/],
  ])("%s", (_what, text, re) => {
    const file = text.startsWith("{") ? "t.json" : "t.yaml";
    expect(() => runScenario(parseScenario(text, file), { source: file })).toThrow(re);
  });
});

describe("populate is checked against the machine, and stops at the first failure", () => {
  const spec = (memory: string, memfd: string, hugetlb?: Record<string, number>): ScenarioSpec =>
    parseScenario(JSON.stringify({ name: "p", machine: { memory, ...(hugetlb ? { hugetlb } : {}) }, processes: ["vmm"], memfds: [{ name: "m", process: "vmm", size: memfd }], mappings: [{ name: "ram", process: "vmm", memfd: "m", populate: true }], steps: [] }), "p.json");

  it("a mapping larger than the machine is refused before any page is faulted in", () => {
    expect(() => runScenario(spec("1G", "64G"))).toThrow(/^p: mappings\[0\]: the model refused "mmap": length: populating 64G needs more than the machine's 1008M of memory/);
  });

  it(`more than ${MAX_POPULATE_PAGES.toLocaleString("en-US")} pages in one populate are refused, naming huge pages as the way out`, () => {
    expect(() => runScenario(spec("64G", "60G"))).toThrow(/faults in 15,728,640 pages; the model does at most 262,144 at once \(populate a smaller range, or use huge pages\)/);
  });

  it("running out of memory ends the populate: one failure, not one per page", () => {
    // 1G machine, half of it in the HugeTLB pool: 800M of shmem does not fit.
    const r = runScenario(spec("1G", "800M", { "2M": 256 }), { recordEvents: true });
    const kinds = r.events.map((e) => e.event.kind);
    expect(kinds.filter((k) => k === "signal")).toHaveLength(1);
    expect(r.final.free).toBe(0);
  });
});
