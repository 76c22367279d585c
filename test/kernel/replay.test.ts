// Replaying the agent's report (a real 7.3 run of early-kill.yaml, recorded) in the model's
// terms, and comparing: agreement is found, and a change on either side is a difference that the
// known-differences table explains or not. No VM needed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareScenario } from "../../src/fidelity/compare.js";
import { kernelInjection } from "../../src/fidelity/injection.js";
import { parseRecoveryLine, findPanic } from "../../src/fidelity/kmsg.js";
import { compileScenario } from "../../src/fidelity/program.js";
import { replayScenario, type AgentLine } from "../../src/fidelity/replay.js";
import { KNOWN_DIFFERENCES, explain } from "../../src/fidelity/known-differences.js";
import { loadScenarioFile } from "../../src/scenario/node.js";
import { runScenario } from "../../src/scenario/run.js";
import { example } from "../scenario/helpers.js";

const report = (): AgentLine[] => readFileSync(join(__dirname, "fixtures", "early-kill-7.3.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
const INFO = { id: "7.3", release: "7.3.4+deb13-amd64", model: "7.3" };

function setup() {
  const { spec } = kernelInjection(loadScenarioFile(example("early-kill")), "7.3");
  const model = runScenario(spec);
  const compiled = compileScenario(spec, model, "early-kill");
  const lines = report();
  const from = lines.findIndex((l) => l.t === "scen");
  return { spec, model, compiled, lines: lines.slice(from + 1) };
}

describe("kernel lab: replay and comparison", () => {
  it("reads action_result() lines and panics as the kernel prints them", () => {
    expect(parseRecoveryLine("Memory failure: 0x2a01: recovery action for dirty LRU page: Recovered")).toEqual({ pfn: 0x2a01, type: "MF_MSG_DIRTY_LRU", typeText: "dirty LRU page", result: "MF_RECOVERED" });
    expect(parseRecoveryLine("Memory failure: 0x5: recovery action for already poisoned page: Failed")!.type).toBe("MF_MSG_ALREADY_POISONED");
    expect(parseRecoveryLine("Memory failure: 0x5: unhandlable page.")).toBeNull();
    expect(findPanic(["[ 8.1] Kernel panic - not syncing: Memory failure on page 339c8", "[ 8.2] CPU: 0"])).toBe("Memory failure on page 339c8");
  });

  it("a recorded 7.3 run: AO to the early-kill process at once, AR to the other on access, the same as the model", () => {
    const { spec, model, compiled, lines } = setup();
    const run = replayScenario(spec, compiled, lines);
    const poison = run.steps.find((s) => s.path === "steps[2]")!;
    expect(poison.mf).toEqual([{ type: "MF_MSG_DIRTY_LRU", typeText: "dirty LRU page", result: "MF_RECOVERED" }]);
    expect(poison.signals).toEqual([{ process: "vmm", sig: "SIGBUS", code: "BUS_MCEERR_AO", lsb: 12, mapping: "vm-view", offset: 65536 }]);
    expect(poison.counters).toMatchObject({ hardwareCorrupted: 4096, total: 1, recovered: 1 });
    expect(run.steps.find((s) => s.path === "steps[5]")!.access).toBe("sigbus");
    expect(run.checkFailures).toEqual([]);
    const c = compareScenario(model, run, INFO);
    expect(c.differences).toEqual([]);
    expect(c.ok).toBe(true);
  });

  it("a kernel that did otherwise is a difference: unexplained unless the table names its cause", () => {
    const { spec, model, compiled, lines } = setup();
    const changed = lines.map((l) => (l.t === "step" ? { ...l, k: l.k.map((x) => x.replace("dirty LRU page: Recovered", "dirty LRU page: Failed")), s: l.i === 8 ? [] : l.s } : l)) as AgentLine[];
    const c = compareScenario(model, replayScenario(spec, compiled, changed), INFO);
    expect(c.unexplained.map((d) => `${d.path} ${d.field}`)).toEqual(expect.arrayContaining(["steps[2] mf", "steps[2] signals"]));
    expect(c.ok).toBe(false);
    expect(c.unexplained.every((d) => !d.known && explain(d, { scenario: "early-kill", kernel: "7.3" }) === undefined), "no known difference covers an invented one").toBe(true);
    for (const k of KNOWN_DIFFERENCES) expect(k.cause.length, `${k.id} states its cause`).toBeGreaterThan(30);
  });

  it("a scenario that takes pool pages kept for a later scenario of the boot is a failure, not agreement", () => {
    const { spec, model, compiled, lines } = setup();
    // Two 1G pages are kept for later scenarios; at step 1 one of them is in use by this one.
    const taking = lines.map((l) => {
      if (l.t === "pool" && l.kb === 1048576) return { ...l, after: [2, 2] };
      if (l.t === "base") return { ...l, c: { ...l.c, h1: [2, 2] } };
      if (l.t === "step") return { ...l, c: { ...l.c, h1: l.i >= 1 ? [2, 1] : [2, 2] } };
      return l;
    }) as AgentLine[];
    const run = replayScenario(spec, compiled, taking);
    expect(run.setFailures).toEqual([expect.stringMatching(/^step 1: the 1G HugeTLB pool went 1 page\(s\) below this scenario's share/)]);
    expect(compareScenario(model, run, INFO).ok).toBe(false);
    expect(replayScenario(spec, compiled, lines).setFailures, "the recorded run kept to its share").toEqual([]);
  });

  it("a VM that stopped mid-scenario is reported as a panic or an abort, never as agreement", () => {
    const { spec, model, compiled, lines } = setup();
    const cut = lines.slice(0, lines.findIndex((l) => l.t === "begin" && l.i === 8) + 1);
    const panicked = replayScenario(spec, compiled, cut, "Memory failure on page 1");
    expect(panicked.panic).toMatchObject({ path: "steps[2]" });
    expect(compareScenario(model, panicked, INFO).ok).toBe(false);
    const aborted = replayScenario(spec, compiled, cut);
    expect(aborted.aborted).toMatch(/stopped during steps\[2\]/);
    expect(compareScenario(model, aborted, INFO).ok).toBe(false);
  });
});
