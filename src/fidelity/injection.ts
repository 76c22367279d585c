// A kernel under QEMU has no machine check to consume: errors are injected in software. The
// scenario the kernel runs is the one written, with each hardware error turned into the mainline
// injection that comes closest, and the model is run on that same scenario for the comparison.
// Browser-safe.
import type { KernelVersion } from "../mfr/kernel-version.js";
import type { ScenarioSpec, StepSpec } from "../scenario/types.js";

export interface InjectionNote {
  path: string;
  note: string;
}

/** The mapping → process table of a scenario (setup mappings and mmap steps). */
function mappingOwners(spec: ScenarioSpec): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of spec.mappings ?? []) out.set(m.name, m.process);
  for (const s of spec.steps) if (s.op === "mmap") out.set(s.name, s.process);
  return out;
}

/**
 * The scenario as the lab runs it on a kernel of model version `version`:
 * - an action-optional `poison` becomes hwpoison-inject's corrupt-pfn, memory_failure(pfn,
 *   MF_SW_SIMULATED): the model gets `swSimulated: true`;
 * - an action-required `poison` of a mapped page, consumed by the process that maps it, becomes
 *   madvise(MADV_HWPOISON) by that process: memory_failure(pfn, MF_ACTION_REQUIRED |
 *   MF_COUNT_INCREASED | MF_SW_SIMULATED) (madvise_inject_error()).
 * The notes say which steps changed.
 */
export function kernelInjection(spec: ScenarioSpec, version?: KernelVersion): { spec: ScenarioSpec; notes: InjectionNote[] } {
  const owners = mappingOwners(spec);
  const notes: InjectionNote[] = [];
  const steps = spec.steps.map((st, i): StepSpec => {
    if (st.op !== "poison") return st;
    const path = `steps[${i}]`;
    if (st.actionRequired) {
      const owner = st.mapping === undefined ? undefined : owners.get(st.mapping);
      if (st.mapping === undefined || (st.current !== undefined && st.current !== owner)) return st;
      notes.push({ path, note: `runs as madvise(MADV_HWPOISON) by ${owner}: memory_failure(pfn, MF_ACTION_REQUIRED|MF_COUNT_INCREASED|MF_SW_SIMULATED)` });
      const out: StepSpec = { op: "madvise", mapping: st.mapping };
      if (st.offset !== undefined) out.offset = st.offset;
      if (st.note !== undefined) out.note = st.note;
      return out;
    }
    if (st.swSimulated) return st;
    notes.push({ path, note: st.pfn !== undefined ? "runs as sysfs hard_offline_page: memory_failure(pfn, MF_SW_SIMULATED)" : "runs as hwpoison-inject's corrupt-pfn: memory_failure(pfn, MF_SW_SIMULATED)" });
    return { ...st, swSimulated: true };
  });
  const machine = version === undefined ? spec.machine : { ...spec.machine, kernel: version };
  return { spec: { ...spec, machine, steps }, notes };
}
