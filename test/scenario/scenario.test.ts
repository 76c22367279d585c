// The scenario format: schema errors name the step and the field; every example runs clean
// (except the deliberately buggy one, which must report its violations); runs are seeded.
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { ParameterError, parseScenario, runScenario, ScenarioError, type ScenarioSpec } from "../../src/index.js";
import { example, loadScenarioFile, runExample, scenarioFiles, SCENARIOS } from "./helpers.js";

const HEAD = "name: t\nmachine: { memory: 1G }\nprocesses: [app]\nmappings:\n  - { name: heap, process: app, length: 1M }\n";

function schemaError(text: string, source = "t.yaml"): string {
  try {
    parseScenario(text, source);
  } catch (e) {
    expect(e, "a bad file throws a ScenarioError (a ParameterError, so the CLI exits 2)").toBeInstanceOf(ScenarioError);
    expect(e).toBeInstanceOf(ParameterError);
    return (e as Error).message;
  }
  throw new Error("the scenario was accepted");
}

function runError(spec: ScenarioSpec): string {
  try {
    runScenario(spec, { source: "t.yaml" });
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message;
  }
  throw new Error("the run succeeded");
}

describe("schema errors name the step and the field", () => {
  it("a bad size: steps[3].size", () => {
    const text = HEAD + "steps:\n  - { op: write, mapping: heap }\n  - { op: read, mapping: heap }\n  - { op: write, mapping: heap }\n  - { op: truncate, memfd: g, size: 12Q }\n";
    expect(schemaError(text)).toMatch(/^t\.yaml: steps\[3\]\.size: "12Q" is not a size \(use .*"4K"/);
  });

  it("an unknown field (a typo) is named, not ignored", () => {
    expect(schemaError(HEAD + "steps:\n  - { op: read, mapping: heap, ofset: 4K }\n")).toMatch(/^t\.yaml: steps\[0\]: unknown field "ofset"/);
  });

  it("an unknown op lists the known ones", () => {
    expect(schemaError(HEAD + "steps:\n  - { op: poisen, mapping: heap }\n")).toMatch(/steps\[0\]\.op: unknown op \(use one of spawn, .*poison/);
  });

  it("a wrong type in the machine section", () => {
    expect(schemaError("name: t\nmachine: { memory: 1G, policyVariant: v3 }\nsteps: []\n")).toMatch(/^t\.yaml: machine\.policyVariant: expected "v1", "v1-buggy" or "v2"/);
  });

  it("a poison step must name exactly one page", () => {
    expect(schemaError(HEAD + "steps:\n  - { op: poison, pfn: 5, mapping: heap }\n")).toMatch(/steps\[0\]: name exactly one page.*got pfn and mapping/);
    expect(schemaError(HEAD + "steps:\n  - { op: poison, pool: buddy, offset: 4K }\n")).toMatch(/steps\[0\]\.offset: offset needs a mapping/);
  });

  it("setup sections are named too: memfds[0].hugetlb", () => {
    expect(schemaError("name: t\nmachine: { memory: 1G }\nprocesses: [a]\nmemfds:\n  - { name: g, process: a, size: 2M, hugetlb: 4M }\nsteps: []\n")).toMatch(/memfds\[0\]\.hugetlb: expected "2M" or "1G"/);
  });

  it("not YAML / not JSON / not a mapping", () => {
    expect(schemaError("name: t\nsteps: [ {op: read\n")).toMatch(/^t\.yaml: not valid YAML/);
    expect(schemaError('{"name": "t", ', "t.json")).toMatch(/^t\.json: not valid JSON/);
    expect(schemaError("- just\n- a list\n")).toMatch(/^t\.yaml: a scenario is a mapping/);
    expect(schemaError("name: t\nmachine: { memory: 1G }\n")).toMatch(/^t\.yaml: steps: /);
  });

  it("iommufd/VFIO steps: a range is an area or iova + length, a DMA names one target, a policy is none/ebusy/revoke", () => {
    expect(schemaError(HEAD + "steps:\n  - { op: ioas-unmap, ioas: a, area: r, iova: 2M, length: 2M }\n")).toMatch(/steps\[0\]: name the range by area or by iova \(\+ length\), not both/);
    expect(schemaError(HEAD + "steps:\n  - { op: vfio-unmap, vfio: c, iova: 2M }\n")).toMatch(/steps\[0\]\.length: an iova range needs a length/);
    expect(schemaError(HEAD + "steps:\n  - { op: dma, device: nic0 }\n")).toMatch(/steps\[0\]: name the target by area \(\+ offset\) or by iova, not neither/);
    expect(schemaError(HEAD + "steps:\n  - { op: iommufd, name: i, process: app, policy: offline }\n")).toMatch(/steps\[0\]\.policy: expected a pin policy/);
    expect(schemaError(HEAD + "steps:\n  - { op: check, pins: { pinned: 2Q } }\n")).toMatch(/steps\[0\]\.pins\.pinned: "2Q" is not a size/);
    expect(schemaError(HEAD + "steps:\n  - { op: attach, device: d }\n")).toMatch(/attach to exactly one of ioas or vfio/);
  });

  it("JSON and YAML describe the same scenario", () => {
    const yaml = HEAD + "steps:\n  - { op: write, mapping: heap, offset: 4K }\n";
    const json = JSON.stringify({ name: "t", machine: { memory: "1G" }, processes: ["app"], mappings: [{ name: "heap", process: "app", length: "1M" }], steps: [{ op: "write", mapping: "heap", offset: "4K" }] });
    expect(parseScenario(json, "t.json")).toEqual(parseScenario(yaml, "t.yaml"));
  });
});

describe("steps the model rejects name the step", () => {
  const base = parseScenario(HEAD + "steps: []\n", "t.yaml");
  it("an unknown process", () => {
    expect(runError({ ...base, steps: [{ op: "exit", process: "qemu" }] })).toMatch(/^t\.yaml: steps\[0\]\.process: no process "qemu" \(known processes: app\)/);
  });
  it("an exited process", () => {
    expect(runError({ ...base, steps: [{ op: "exit", process: "app" }, { op: "read", mapping: "heap" }] })).toMatch(/steps\[1\]\.mapping: no mapping "heap"/);
  });
  it("a page that is not present cannot be named by its mapping", () => {
    expect(runError({ ...base, steps: [{ op: "poison", mapping: "heap", offset: "8K" }] })).toMatch(/steps\[0\]\.offset: no page is present at heap\+8K/);
  });
  it("an offset outside the mapping", () => {
    expect(runError({ ...base, steps: [{ op: "read", mapping: "heap", offset: "2M" }] })).toMatch(/steps\[0\]\.offset: 2M is outside mapping "heap"/);
  });
  it("a machine the model refuses", () => {
    expect(runError({ ...base, machine: { memory: "3M" } })).toMatch(/^t\.yaml: machine: memory: .* not a whole number of 2M/);
  });
  it("unknown iommufd/IOAS/device/area names, and a closed iommufd", () => {
    const io: ScenarioSpec["steps"] = [{ op: "iommufd", name: "i", process: "app" }, { op: "ioas", name: "a", iommufd: "i" }];
    expect(runError({ ...base, steps: [{ op: "ioas", name: "a", iommufd: "nope" }] })).toMatch(/steps\[0\]\.iommufd: no iommufd "nope" \(no iommufds defined yet\)/);
    expect(runError({ ...base, steps: [...io, { op: "dma", device: "nic0", iova: "2M" }] })).toMatch(/steps\[2\]\.device: no device "nic0"/);
    expect(runError({ ...base, steps: [...io, { op: "ioas-unmap", ioas: "a", area: "ram" }] })).toMatch(/steps\[2\]\.area: no area "ram"/);
    expect(runError({ ...base, steps: [...io, { op: "iommufd-close", iommufd: "i" }, { op: "map", ioas: "a", mapping: "heap" }] })).toMatch(/steps\[3\]\.ioas: IOAS "a" went with its closed iommufd/);
  });

  it("a failing pin check names the metric in domain words", () => {
    const spec: ScenarioSpec = { ...base, steps: [{ op: "populate", mapping: "heap" }, { op: "iommufd", name: "i", process: "app" }, { op: "ioas", name: "a", iommufd: "i" }, { op: "map", ioas: "a", mapping: "heap" }, { op: "check", pins: { pinned: "2M", heldBack: 0 }, accounting: { process: "app", pinnedVm: "1M" } }] };
    expect(runScenario(spec).checkFailures).toEqual(['steps[4]: pinned memory is "1M", expected "2M"']);
  });

  it("a refused memfd_create is an outcome, and using that memfd is an error", () => {
    const spec: ScenarioSpec = { ...base, steps: [{ op: "memfd", name: "g", process: "app", size: "2M", keepUeMapped: true }] };
    expect(runScenario(spec).steps.at(-1)!.outcome).toBe("-EINVAL");
    expect(runError({ ...spec, steps: [...spec.steps, { op: "close", memfd: "g" }] })).toMatch(/steps\[1\]\.memfd: memfd "g" was not created \(memfd_create returned -EINVAL\)/);
  });
});

describe("the example scenarios", () => {
  const files = scenarioFiles(SCENARIOS);
  it("there are at least 6 memory-failure ones and at least 5 for iommufd/VFIO pinning (Chapter 3)", () => {
    const pinning = files.filter((f) => /^(iommufd|vfio)-/.test(basename(f)));
    expect(files.length - pinning.length).toBeGreaterThanOrEqual(6);
    expect(pinning.length).toBeGreaterThanOrEqual(5);
  });

  for (const f of files) {
    it(`${basename(f)}: every check holds, and the violations are exactly the ones it expects`, () => {
      const spec = loadScenarioFile(f);
      const r = runScenario(spec, { source: basename(f) });
      expect(r.checkFailures, r.checkFailures.join("\n")).toEqual([]);
      const names = [...new Set(r.violations.map((v) => v.event.kind === "invariant" && v.event.name))].sort();
      expect(names, r.violations.map((v) => v.text).join("\n")).toEqual([...(spec.expectViolations ?? [])].sort());
      expect(r.violationsExpected).toBe(true);
      if (spec.expectPanic) expect(r.final.panicked, "a scenario that expects a panic panics").toBe(true);
      else expect(r.steps.some((s) => s.check), "each example checks something").toBe(true);
    });
  }

  it("only pinned-thp (mainline frees an unsplit poisoned THP whole) and v1-buggy-reuse expect violations, and v1-buggy-reuse reports a poisoned page handed out again", () => {
    const buggy = files.filter((f) => (loadScenarioFile(f).expectViolations ?? []).length > 0).map((f) => basename(f));
    expect(buggy).toEqual(["pinned-thp.yaml", "v1-buggy-reuse.yaml"]);
    expect(loadScenarioFile(example("pinned-thp")).expectViolations).toEqual(["poisoned-frame-free"]);
    const r = runExample("v1-buggy-reuse");
    expect(r.violations.map((v) => v.text).join("\n")).toMatch(/poisoned-frame-allocated: poisoned pfn \d+ was handed out again/);
    expect(r.final.violations).toBeGreaterThan(0);
  });

  it("a scenario whose expected violations do not appear is reported as such", () => {
    const spec = loadScenarioFile(example("anon-4k-madvise"));
    expect(runScenario({ ...spec, expectViolations: ["poisoned-frame-free"] }).violationsExpected).toBe(false);
  });

  it("a failing check is reported with the step, the run goes on", () => {
    const spec = loadScenarioFile(example("anon-4k-madvise"));
    const steps = [...spec.steps];
    steps.splice(3, 0, { op: "check", last: { type: "MF_MSG_HUGE" } });
    const r = runScenario({ ...spec, steps });
    expect(r.checkFailures).toEqual(['steps[3]: the last MF_MSG type is "MF_MSG_DIRTY_LRU", expected "MF_MSG_HUGE"']);
    expect(r.steps.length, "2 setup entries (process, mapping) + every step").toBe(2 + steps.length);
  });
});

describe("runs", () => {
  it("are reproducible from the seed, and another seed picks other pages", () => {
    const pfns = (seed?: number) => runExample("random-thp-errors", seed === undefined ? {} : { seed }).events.flatMap((e) => (e.event.kind === "memory_failure" ? [e.event.pfn] : []));
    const a = pfns();
    expect(a.length).toBe(4);
    expect(pfns()).toEqual(a);
    expect(pfns(7), "the file's seed is 7").toEqual(a);
    expect(pfns(8)).not.toEqual(a);
  });

  it("tell events with symbolic names: process and mapping + offset", () => {
    const r = runExample("hugetlb-1g-keep-ue-mapped");
    const sig = r.events.find((e) => e.kind === "signal")!;
    expect(sig.process).toBe("vmm");
    expect(sig.text).toMatch(/^vmm: SIGBUS BUS_MCEERR_AR at ram\+28K lsb 12/);
    expect(r.steps.find((s) => s.path === "steps[0]")!.text).toMatch(/memory_failure\(the page at ram\+28K \(pfn 0x[0-9a-f]+\), MF_ACTION_REQUIRED, current vmm\)/);
  });

  it("stop at a kernel panic (vm.memory_failure_recovery = 0) and say so", () => {
    const spec = parseScenario("name: p\nmachine: { memory: 1G, memoryFailureRecovery: false }\nsteps:\n  - { op: poison, pool: buddy }\n  - { op: spawn, process: late }\n", "p.yaml");
    const r = runScenario(spec);
    expect(r.final.panicked).toBe(true);
    expect(r.steps.map((s) => s.path)).toEqual(["steps[0]"]);
    expect(r.steps[0].outcome).toMatch(/kernel panic/);
  });
});
