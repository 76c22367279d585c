// Exercise 2.1 — The MFD_MF_KEEP_UE_MAPPED decision (Chapter 2).
// Write the rules yourself from the RFC and mm/memory-failure.c; the tests run the course's
// Machine (src/mfr/) on the same cases and compare what it does with what you return.
import { EINVAL, MFD_HUGETLB, MFD_MF_KEEP_UE_MAPPED } from "../../src/index.js";

/** A memfd as memfd_create() gets it, and how many distinct 4K pages of one folio go bad. */
export interface UeCase {
  /** memfd_create() flags: MFD_HUGETLB, MFD_MF_KEEP_UE_MAPPED, maybe MFD_CLOEXEC / MFD_ALLOW_SEALING. */
  flags: number;
  /** HugeTLB page size when MFD_HUGETLB is set; absent otherwise (a shmem memfd of 4K pages). */
  hugetlb?: "2M" | "1G";
  /** Distinct raw 4K pages with an error, all in the folio of the first one (1 for 4K shmem). */
  errors: number;
  /**
   * How the errors arrive: "hardware" (a patrol scrubber reports real errors, memory_failure(pfn, 0))
   * or "madvise" (a test injects them with MADV_HWPOISON: MF_ACTION_REQUIRED | MF_COUNT_INCREASED |
   * MF_SW_SIMULATED; the cells stay intact).
   */
  via: "hardware" | "madvise";
}

/** What the process sees after the errors. */
export interface UeOutcome {
  /** Does the mapping of the first bad page survive (true), or is it replaced by a hwpoison entry (false)? */
  keptMapped: boolean;
  /** si_addr_lsb of the SIGBUS when the process then reads the first bad page, or null if the read completes. */
  siAddrLsb: number | null;
  /** Can the process still read a healthy 4K page of the same folio (for 4K shmem: a neighbouring page)? */
  neighbourReadable: boolean;
  /**
   * References memory-failure holds on the folio of the first bad page after all the errors:
   * the one it took itself, or the ones callers handed over with MF_COUNT_INCREASED.
   */
  mfRefs: number;
}

/** memfd_create()'s flag check (sanitize_flags() with the RFC): 0 if accepted, else -EINVAL. */
export function memfdCreateRet(flags: number): number {
  throw new Error("TODO: MFD_MF_KEEP_UE_MAPPED is only accepted together with MFD_HUGETLB");
}

/** What happens to a live memfd with these flags when `errors` raw pages of one folio go bad. */
export function ueOutcome(c: UeCase): UeOutcome {
  throw new Error("TODO: decide by folio kind (4K shmem, HugeTLB), whether the mapping keeps UE mapped, and how the errors arrived");
}
