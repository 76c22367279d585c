// Exercise 0.1 — Predict the SIGBUS: AR, AO or nothing, and si_addr_lsb (Chapter 0).
// Predict, without running the model, what signal memory_failure() sends at once; the grader
// runs each seeded scenario on the library's Machine and compares.
// Reference solution: the student's file is generated from this one (see src/grader/stubs.ts). // reference-only
import { PAGE_SIZE_SHIFT } from "../../../src/index.js";

/** How the page that goes bad is backed. Every page was written by its owner (so it is dirty). */
export type Backing =
  | "anon-4K" // private anonymous memory, 4K pages
  | "anon-THP" // private anonymous memory in a 2M transparent huge page
  | "anon-THP-pinned" // the same THP, pinned with FOLL_LONGTERM (as VFIO/iommufd/RDMA do)
  | "shmem-4K" // a shmem memfd, 4K pages
  | "hugetlb-2M-memfd" // a HugeTLB memfd of 2M pages
  | "hugetlb-1G-memfd" // a HugeTLB memfd of 1G pages
  | "hugetlb-1G-memfd-keep"; // a 1G HugeTLB memfd created with MFD_MF_KEEP_UE_MAPPED (the RFC's flag)

/**
 * How the error reaches memory_failure():
 * - "consumed": the owner read the bad data; the MCE handler's kill_me_maybe() calls
 *   memory_failure(pfn, MF_ACTION_REQUIRED) with the owner as the current task;
 * - "found": a scrubber or firmware found it; memory_failure_queue() calls memory_failure(pfn, 0);
 * - "madvise": the owner injected it with madvise(MADV_HWPOISON).
 */
export type ErrorKind = "consumed" | "found" | "madvise";

/** prctl(PR_MCE_KILL) of a process: "default" follows vm.memory_failure_early_kill. */
export type MceKill = "default" | "early" | "late";

export interface SignalScenario {
  backing: Backing;
  error: ErrorKind;
  /** vm.memory_failure_early_kill. */
  earlyKillSysctl: boolean;
  /** The owner: the process that mapped and wrote the page. */
  owner: MceKill;
  /**
   * A second process that maps the same memfd (memfd backings only; null otherwise). It never
   * touched the bad page.
   */
  sharer: MceKill | null;
}

/** The SIGBUS a process receives while memory_failure() runs, or nulls for no signal. */
export interface SignalPrediction {
  code: "BUS_MCEERR_AR" | "BUS_MCEERR_AO" | null;
  lsb: number | null;
}

/**
 * What `who` receives at once. Think about: which flags each ErrorKind passes; who counts as the
 * current task; which tasks collect_procs() picks (task_early_kill()); and the folio size
 * __add_to_kill() sees when the signal is built (after a THP split? with the RFC's flag?).
 */
export function predictSignal(s: SignalScenario, who: "owner" | "sharer"): SignalPrediction {
  // BEGIN SOLUTION: decide AR, AO or nothing for `who`, then the si_addr_lsb
  if (who === "sharer" && s.sharer === null) return { code: null, lsb: null };
  const policy = who === "owner" ? s.owner : (s.sharer as MceKill);
  const actionRequired = s.error === "consumed" || s.error === "madvise";
  const current = who === "owner";
  // task_early_kill(): the consumer is always collected; otherwise prctl, else the sysctl.
  const early = policy === "early" ? true : policy === "late" ? false : s.earlyKillSysctl;
  if (!(actionRequired && current) && !early) return { code: null, lsb: null };
  const code = actionRequired && current ? "BUS_MCEERR_AR" : "BUS_MCEERR_AO";
  return { code, lsb: sizeShift(s.backing) };
  // END SOLUTION
}

// BEGIN SOLUTION
/** __add_to_kill(): the folio's shift when the signal is built. */
function sizeShift(b: Backing): number {
  switch (b) {
    case "anon-THP-pinned": // the split was refused: kill_procs_now() sees the 2M folio
    case "hugetlb-2M-memfd":
      return PAGE_SIZE_SHIFT["2M"];
    case "hugetlb-1G-memfd":
      return PAGE_SIZE_SHIFT["1G"];
    default: // 4K pages, a THP already split to 4K, or MFD_MF_KEEP_UE_MAPPED (PAGE_SHIFT)
      return PAGE_SIZE_SHIFT["4K"];
  }
}
// END SOLUTION
