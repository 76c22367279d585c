// Where a decision point's mainline answer is something a real kernel does, the kernel lab can
// replay it and put the kernel's result beside the model's. One slot per decision point.
//
// KERNEL-LAB: the integrator fills `result` from the kernel lab's committed result data (issue
// "Real kernels in the loop"); until then every slot says "pending" on the page, in the notebook
// and in the CLI. Nothing here is a measurement yet.
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
  /** KERNEL-LAB: null until the kernel lab's result data is merged. */
  results: KernelLabResult[] | null;
}

export const KERNEL_LAB_SLOTS: readonly KernelLabSlot[] = [
  {
    decision: "memfdUe", choice: "unmap",
    observable: "a UE in a 1G HugeTLB memfd page: SIGBUS BUS_MCEERR_AR with si_addr_lsb 30 at the next access, and HugeTLB nr/free after the memfd is closed",
    scenario: "scenarios/hugetlb-1g-default.yaml", replayable: true, results: null,
  },
  {
    decision: "memfdUe", choice: "unmap",
    observable: "a UE in a THP: the folio is split (try_to_split_thp_page()), only the 4K page is unmapped, SIGBUS si_addr_lsb 12 (the scenario uses anonymous THP, the battery a shmem THP memfd)",
    scenario: "scenarios/random-thp-errors.yaml", replayable: true, results: null,
  },
  {
    decision: "release", choice: "leave",
    observable: "a poisoned 1G HugeTLB folio truncated from its memfd stays out of use: nr_hugepages unchanged, free_hugepages one lower (Jiaqi Yan, 21 Jan 2025)",
    scenario: "scenarios/hugetlb-1g-default.yaml", replayable: true, results: null,
  },
  {
    decision: "pinned", choice: "offline",
    observable: "a UE in a long-term pinned THP: the split is refused, MF_MSG_UNSPLIT_THP / MF_FAILED, SIGBUS si_addr_lsb 21 from kill_procs_now(), and nothing tells the pin holder",
    scenario: "scenarios/pinned-thp.yaml", replayable: true, results: null,
  },
  {
    decision: "gmemError", choice: "zap-folio",
    observable: "kvm_gmem_error_folio() zaps the folio and memory_failure() returns -EBUSY (MF_DELAYED read as a failure)",
    scenario: null, replayable: "needs KVM with guest_memfd inside the lab's VM (nested virtualisation); model only for now", results: null,
  },
  {
    decision: "pfnError", choice: "driver",
    observable: "memory_failure_pfn() on a registered range: SIGBUS to the mapping process, MF_MSG_PFN_MAP, no unmap",
    scenario: null, replayable: "needs a device whose driver registers a pfn_address_space (nvgrace-gpu); model only", results: null,
  },
];

/** The slots of one decision point. */
export function kernelLabSlots(decision: DecisionId): KernelLabSlot[] {
  return KERNEL_LAB_SLOTS.filter((s) => s.decision === decision);
}
