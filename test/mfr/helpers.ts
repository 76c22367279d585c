import { Machine, type MachineOptions, type MfrEvent } from "../../src/mfr/index.js";

/** A small machine with both hugetlb pool sizes: 4G, two 1G and eight 2M pages. */
export function smallMachine(o: Partial<MachineOptions> = {}): Machine {
  return new Machine({ memory: "4G", hugetlb: { "1G": 2, "2M": 8 }, ...o });
}

export function mfEvents(m: Machine): Extract<MfrEvent, { kind: "memory_failure" }>[] {
  return m.events.filter((e): e is Extract<MfrEvent, { kind: "memory_failure" }> => e.kind === "memory_failure");
}

export function lastMf(m: Machine): Extract<MfrEvent, { kind: "memory_failure" }> {
  const all = mfEvents(m);
  if (all.length === 0) throw new Error("memory_failure() logged no action_result");
  return all[all.length - 1];
}

export function violationText(m: Machine): string {
  return m.violations.map((v) => `${v.name}: ${v.detail}`).join("\n");
}
