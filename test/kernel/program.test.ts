// The kernel lab's compiler: each op's kernel side (src/scenario/ops) as agent instructions,
// the first op mainline cannot perform ends the kernel run with its reason, and hardware errors
// become the closest mainline injection (src/fidelity/injection.ts). No VM needed.
import { describe, expect, it } from "vitest";
import { compileScenario, programText, worthRunning, bootHugepages1G } from "../../src/fidelity/program.js";
import { kernelInjection } from "../../src/fidelity/injection.js";
import { modelOnlyOp, OPS } from "../../src/scenario/ops/index.js";
import { runScenario } from "../../src/scenario/run.js";
import { STEP_OPS } from "../../src/scenario/schema.js";
import type { ScenarioSpec } from "../../src/scenario/types.js";
import { loadScenarioFile } from "../../src/scenario/node.js";
import { example } from "../scenario/helpers.js";

const compile = (spec: ScenarioSpec, id = "t") => compileScenario(spec, runScenario(spec), id);
const lines = (spec: ScenarioSpec) => compile(spec).steps.flatMap((s) => s.lines);

describe("kernel lab: compiling scenarios for the agent", () => {
  it("every op of the format has a kernel side or says why mainline cannot do it", () => {
    expect(Object.keys(OPS).sort()).toEqual([...STEP_OPS].sort());
    for (const op of STEP_OPS) {
      const k = OPS[op].kernel;
      if (typeof k !== "function") expect(k.modelOnly.length, `${op}'s reason`).toBeGreaterThan(20);
    }
    expect(modelOnlyOp("map"), "iommufd needs a device the VM lacks").toMatch(/IOMMU/);
    expect(modelOnlyOp("madvise")).toBeUndefined();
  });

  it("anon-4k-madvise: fork, mmap, stores, madvise(MADV_HWPOISON) by the mapping's process", () => {
    const l = lines(loadScenarioFile(example("anon-4k-madvise")));
    expect(l).toContain("SPAWN 0");
    expect(l).toContain("P 0 mmap 0 0 1048576 0 1 0");
    expect(l).toContain("P 0 acc 0 4096 1");
    expect(l).toContain("P 0 madv 0 4096 4096 100");
  });

  it("a pin is an io_uring fixed buffer; a disk file is opened on /mnt and the boot gets a disk", () => {
    const c = compile(loadScenarioFile(example("pin-longterm")));
    expect(c.steps.flatMap((s) => s.lines).filter((x) => / pin /.test(x))).toEqual(["P 0 pin 0 0 0 4096", "P 0 pin 1 1 0 4096"]);
    const f = compile(loadScenarioFile(example("selftests/mf-clean-pagecache-hard")));
    expect(f.disk).toBe(true);
    expect(f.steps.flatMap((s) => s.lines)).toContain("P 0 open 0 /mnt/data 4096");
  });

  it("the first op a mainline kernel lacks ends the kernel run, with its reason", () => {
    const keep = compile(loadScenarioFile(example("hugetlb-1g-keep-ue-mapped")));
    expect(keep.stopped).toMatchObject({ path: "memfds[0]" });
    expect(keep.stopped!.reason).toMatch(/MFD_MF_KEEP_UE_MAPPED.*not in mainline/);
    expect(worthRunning(keep)).toBe(false);
    const iommu = compile(loadScenarioFile(example("iommufd-1g-ue-none")));
    expect(iommu.stopped!.path).toBe("steps[0]");
    expect(worthRunning(iommu), "only set-up before the stop: nothing to compare").toBe(false);
    const raw = compile({ name: "raw", machine: { memory: "64M" }, steps: [{ op: "poison", pfn: 5000 }] });
    expect(raw.stopped!.reason).toMatch(/raw pfn/);
    const fi = compile({ name: "fi", machine: { memory: "64M", unmapFails: true }, steps: [] });
    expect(fi.stopped).toMatchObject({ path: "machine.unmapFails" });
  });

  it("random offsets are the model's own choices, so both backends poison the same page", () => {
    const spec = loadScenarioFile(example("random-thp-errors"));
    const model = runScenario(spec);
    const offs = model.steps.filter((s) => s.op === "poison").map((s) => s.resolved!.offset!);
    const c = compileScenario(spec, model, "r");
    expect(c.steps.filter((s) => s.op === "poison").map((s) => s.lines[0])).toEqual(offs.map((o) => `P 0 pfn 0 ${o}`));
  });

  it("machine options become sysctls; HugeTLB pools become POOL lines with 1G pages kept for later scenarios", () => {
    const a = compile({ name: "a", machine: { memory: "4G", hugetlb: { "1G": 2 }, earlyKill: true }, steps: [] }, "a");
    const b = compile({ name: "b", machine: { memory: "4G", hugetlb: { "1G": 1, "2M": 3 } }, steps: [] }, "b");
    expect(a.sets).toContainEqual({ path: "/proc/sys/vm/memory_failure_early_kill", value: "1" });
    expect(bootHugepages1G([a, b])).toBe(3);
    const text = programText([a, b], { modules: [{ path: "/modules/00-x.ko" }], commandTimeoutMs: 1000 });
    expect(text).toMatch(/SCEN a\n(.*\n)*POOL 2048 0\nPOOL 1048576 3\nBASE/);
    expect(text).toMatch(/SCEN b\n(.*\n)*POOL 2048 3\nPOOL 1048576 1\nBASE/);
    expect(text.startsWith("TIMEOUT 1000\nMODULE /modules/00-x.ko\nHELLO\n")).toBe(true);
  });

  it("a hardware error becomes the closest mainline injection, on the kernel and in the model it is compared with", () => {
    const spec: ScenarioSpec = {
      name: "inj", machine: { memory: "64M" }, processes: ["p", "q"], mappings: [{ name: "m", process: "p", length: "64K" }],
      steps: [
        { op: "poison", mapping: "m", offset: "4K" },
        { op: "poison", mapping: "m", offset: "8K", actionRequired: true },
        { op: "poison", mapping: "m", offset: "8K", actionRequired: true, current: "q" },
        { op: "poison", pool: "buddy", swSimulated: true },
      ],
    };
    const { spec: k, notes } = kernelInjection(spec, "7.3");
    expect(k.steps[0]).toMatchObject({ op: "poison", swSimulated: true });
    expect(k.steps[1]).toEqual({ op: "madvise", mapping: "m", offset: "8K" });
    expect(k.steps[2], "consumed by a process that does not map it: left as written (model only)").toBe(spec.steps[2]);
    expect(k.steps[3]).toBe(spec.steps[3]);
    expect(notes.map((n) => n.path)).toEqual(["steps[0]", "steps[1]"]);
    expect((k.machine as { kernel?: string }).kernel).toBe("7.3");
  });
});
