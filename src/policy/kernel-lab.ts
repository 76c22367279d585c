// Where a decision point's mainline answer is something a real kernel does, the kernel lab replays
// it and puts the kernel's result beside the model's. Each slot names a scenario file; its results
// come from the kernel suite's committed run (src/fidelity/suite-results.ts), so they are
// measurements of Debian's 6.12 and 7.3 under QEMU with the provenance the Fidelity page shows.
import { SUITE_RESULTS } from "../fidelity/suite-results.js";
import type { DecisionId } from "./types.js";

/** What a kernel run reported for a slot (filled in by the kernel lab). */
export interface KernelLabResult {
  /** "6.12.117", "7.3.4". */
  kernel: string;
  /** What the kernel did, in the words of the model's observable. */
  observed: string;
  /** The model and the kernel agree on the observable. */
  agrees: boolean;
  /** Date of the run (ISO). */
  date: string;
}

export interface KernelLabSlot {
  decision: DecisionId;
  /** The mainline choice the slot is about. */
  choice: string;
  /** The observable a kernel run would compare with the model. */
  observable: string;
  /** A scenario file that exercises it on the model today (scenarios/), if one does. */
  scenario: string | null;
  /** Whether a mainline kernel under QEMU can run it, and why not when it cannot. */
  replayable: true | string;
  /** The committed kernel-suite run of `scenario`, one entry per kernel (null when it is not replayable or not in the suite). */
  results: KernelLabResult[] | null;
}

/**
 * The kernel-suite results of a scenario file: per kernel, what the kernel did at the steps that
 * say something (errors, accesses), and whether the model agreed.
 */
export function suiteResultsFor(scenario: string | null): KernelLabResult[] | null {
  const row = scenario ? SUITE_RESULTS.rows.find((r) => r.file === scenario) : undefined;
  if (!row) return null;
  const out: KernelLabResult[] = [];
  for (const k of SUITE_RESULTS.kernels) {
    const cell = row.kernels[k.id];
    if (!cell || cell.steps.length === 0) continue;
    const text = new Map(row.steps.map((s) => [s.path, s.text]));
    const telling = cell.steps.filter((s) => s.kernel !== "—" && !/^check /.test(text.get(s.path) ?? "") && /MF_|SIGBUS|sigbus|ret -/.test(s.kernel));
    out.push({
      kernel: k.release, date: SUITE_RESULTS.ran, agrees: cell.status === "agree" || cell.status === "known",
      observed: telling.map((s) => `${s.path}: ${s.kernel}`).join("; ") || "no error-related outcome",
    });
  }
  return out.length ? out : null;
}

const SLOTS: readonly Omit<KernelLabSlot, "results">[] = [
  {
    decision: "memfdUe", choice: "unmap",
    observable: "a UE in a 1G HugeTLB memfd page: SIGBUS BUS_MCEERR_AR with si_addr_lsb 30 at the next access, and HugeTLB nr/free after the memfd is closed",
    scenario: "scenarios/hugetlb-1g-default.yaml", replayable: true,
  },
  {
    decision: "memfdUe", choice: "unmap",
    observable: "a UE in a THP: the folio is split (try_to_split_thp_page()), only the 4K page is unmapped, SIGBUS si_addr_lsb 12 (the scenario uses anonymous THP, the battery a shmem THP memfd)",
    scenario: "scenarios/random-thp-errors.yaml", replayable: true,
  },
  {
    decision: "release", choice: "leave",
    observable: "a poisoned HugeTLB folio removed from its memfd (hole punch, release) stays out of use: nr_hugepages unchanged, free_hugepages one lower (Jiaqi Yan, 21 Jan 2025)",
    scenario: "scenarios/hugetlb-2m-memfd-release.yaml", replayable: true,
  },
  {
    decision: "pinned", choice: "offline",
    observable: "a UE in a long-term pinned THP: the split is refused, MF_MSG_UNSPLIT_THP / MF_FAILED, SIGBUS si_addr_lsb 21 from kill_procs_now(), and nothing tells the pin holder",
    scenario: "scenarios/pinned-thp.yaml", replayable: true,
  },
  {
    decision: "pinned", choice: "offline",
    observable: "a UE in a long-term pinned shmem page: MF_MSG_DIRTY_LRU / MF_FAILED, the pin is the extra reference has_extra_refcount() finds; a pinned anonymous page is still recovered",
    scenario: "scenarios/pin-longterm.yaml", replayable: true,
  },
  {
    decision: "gmemError", choice: "zap-folio",
    observable: "kvm_gmem_error_folio() zaps the folio and memory_failure() returns -EBUSY (MF_DELAYED read as a failure)",
    scenario: null, replayable: "needs KVM with guest_memfd inside the lab's VM (nested virtualisation); model only for now",
  },
  {
    decision: "pfnError", choice: "driver",
    observable: "memory_failure_pfn() on a registered range: SIGBUS to the mapping process, MF_MSG_PFN_MAP, no unmap",
    scenario: null, replayable: "needs a device whose driver registers a pfn_address_space (nvgrace-gpu); model only",
  },
  {
    decision: "pfnError", choice: "driver",
    observable: "memory_failure() on a PFN without struct page that no driver registered: MF_MSG_PFN_MAP / MF_IGNORED in 7.3 (memory_failure_pfn()), -ENXIO in 6.12",
    scenario: "scenarios/pfn-no-struct-page.yaml", replayable: true,
  },
];

export const KERNEL_LAB_SLOTS: readonly KernelLabSlot[] = SLOTS.map((s) => ({ ...s, results: s.replayable === true ? suiteResultsFor(s.scenario) : null }));

/** The slots of one decision point. */
export function kernelLabSlots(decision: DecisionId): KernelLabSlot[] {
  return KERNEL_LAB_SLOTS.filter((s) => s.decision === decision);
}
