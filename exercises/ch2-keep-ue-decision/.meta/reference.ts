// Exercise 2.1 — The MFD_MF_KEEP_UE_MAPPED decision (Chapter 2).
// Write the rules yourself from the RFC and mm/memory-failure.c; the tests run the course's
// Machine (src/mfr/) on the same cases and compare what it does with what you return.
// Reference solution: the student's file is generated from this one (see src/grader/stubs.ts). // reference-only
import { EINVAL, MFD_HUGETLB, MFD_MF_KEEP_UE_MAPPED } from "../../../src/index.js";

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
  // BEGIN SOLUTION: MFD_MF_KEEP_UE_MAPPED is only accepted together with MFD_HUGETLB
  return flags & MFD_MF_KEEP_UE_MAPPED && !(flags & MFD_HUGETLB) ? -EINVAL : 0;
  // END SOLUTION
}

/** What happens to a live memfd with these flags when `errors` raw pages of one folio go bad. */
export function ueOutcome(c: UeCase): UeOutcome {
  // BEGIN SOLUTION: decide by folio kind (4K shmem, HugeTLB), whether the mapping keeps UE mapped, and how the errors arrived
  const huge = (c.flags & MFD_HUGETLB) !== 0;
  const keep = huge && (c.flags & MFD_MF_KEEP_UE_MAPPED) !== 0;
  if (!huge) {
    // shmem: only the raw 4K page is unmapped and kept poisoned in the page cache.
    return { keptMapped: false, siAddrLsb: 12, neighbourReadable: true, mfRefs: 1 };
  }
  const shift = c.hugetlb === "1G" ? 30 : 21;
  if (keep) {
    // RFC: no unmap. A real error is consumed again on every read (size_shift = PAGE_SHIFT); an
    // injected one left the data intact, so the read completes. References: a hardware error takes
    // one only while the folio is hugetlb_migratable (the first); each MADV_HWPOISON hands over its
    // GUP reference (MF_COUNT_INCREASED) for every new raw page.
    return { keptMapped: true, siAddrLsb: c.via === "hardware" ? 12 : null, neighbourReadable: true, mfRefs: c.via === "madvise" ? c.errors : 1 };
  }
  // Default HugeTLB: the whole folio is poisoned and unmapped; later raw errors find it poisoned
  // already (a hardware one: MF_MSG_HUGE / MF_FAILED, no new reference; MADV_HWPOISON fails in GUP).
  return { keptMapped: false, siAddrLsb: shift, neighbourReadable: false, mfRefs: 1 };
  // END SOLUTION
}
