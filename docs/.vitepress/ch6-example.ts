// Chapter 6's live scorecard: the picker's state, the built-in policies as picker presets, and the
// policy a state stands for. Shared by the chart component and the site test, so the page and the
// test build the same policies.
import { BUILTIN_POLICIES, MAINLINE, RFC_V2 } from "../../src/policy/builtins.js";
import type { ChoiceOf, MemfdUeContext, Policy } from "../../src/policy/types.js";

/** One choice per decision point; memfdUe split by the memfd's kind, as the RFC's flag needs MFD_HUGETLB. */
export interface PickerState {
  memfdHugetlb: ChoiceOf["memfdUe"];
  memfdThp: ChoiceOf["memfdUe"];
  release: ChoiceOf["release"];
  pinned: ChoiceOf["pinned"];
  gmemError: ChoiceOf["gmemError"];
  pfnError: ChoiceOf["pfnError"];
}

export const PICKER_FIELDS: readonly { key: keyof PickerState; decision: keyof ChoiceOf; label: string }[] = [
  { key: "memfdHugetlb", decision: "memfdUe", label: "UE in a HugeTLB memfd" },
  { key: "memfdThp", decision: "memfdUe", label: "UE in a THP memfd" },
  { key: "release", decision: "release", label: "release of poisoned folios" },
  { key: "pinned", decision: "pinned", label: "poisoned folio pinned" },
  { key: "gmemError", decision: "gmemError", label: "error in guest_memfd" },
  { key: "pfnError", decision: "pfnError", label: "error in device memory" },
];

const ctx = (fs: "hugetlbfs" | "shmem"): MemfdUeContext => ({ decision: "memfdUe", workload: fs === "shmem" ? "vm-thp" : "vm-1g", fs, folioSize: fs === "shmem" ? "2M" : "1G", memfdBytes: 2 ** 30, forDevice: false });

function constant<T>(rule: unknown, what: string): T {
  if (typeof rule === "function") throw new Error(`${what}: the picker needs a constant here`);
  return rule as T;
}

/** A built-in policy as picker choices (its memfdUe asked for each kind of memfd). */
export function presetOf(p: Policy): PickerState {
  const ue = (fs: "hugetlbfs" | "shmem") => (typeof p.memfdUe === "function" ? p.memfdUe(ctx(fs)) : p.memfdUe);
  return {
    memfdHugetlb: ue("hugetlbfs"),
    memfdThp: ue("shmem"),
    release: constant(p.release, `${p.name}.release`),
    pinned: constant(p.pinned, `${p.name}.pinned`),
    gmemError: constant(p.gmemError, `${p.name}.gmemError`),
    pfnError: constant(p.pfnError, `${p.name}.pfnError`),
  };
}

export const CH6_PRESETS: readonly { name: string; state: PickerState }[] = BUILTIN_POLICIES.map((p) => ({ name: p.name, state: presetOf(p) }));

/** The policy a picker state stands for. */
export function pickerPolicy(s: PickerState, name = "your policy"): Policy {
  return {
    name,
    memfdUe: (c) => (c.fs === "hugetlbfs" ? s.memfdHugetlb : s.memfdThp),
    release: s.release,
    pinned: s.pinned,
    gmemError: s.gmemError,
    pfnError: s.pfnError,
  };
}

/** The chart compares your policy with these two. */
export const CH6_BASELINES: readonly Policy[] = [MAINLINE, RFC_V2];
