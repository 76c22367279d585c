// Exercise 6.1 — A policy that loses less memory than mainline on 1G HugeTLB (Chapter 6).
// A policy answers the five decisions of Chapter 6 (src/policy/types.ts). The tests score it on the
// battery's "VM on 1G HugeTLB" workload, seeded, next to mainline 7.3.
// Reference solution: the student's file is generated from this one (see src/grader/stubs.ts). // reference-only
import type { Policy } from "../../../src/index.js";

export const policy: Policy = {
  name: "lose less on 1G",

  /**
   * Asked once per guest memfd, when the VMM creates it. ctx.fs is "hugetlbfs" or "shmem" (THP),
   * ctx.folioSize "2M" or "1G". Mainline unmaps: a 1G folio is lost whole (SIGBUS lsb 30).
   */
  memfdUe(ctx) {
    // BEGIN SOLUTION: answer "unmap", "keep-mapped" or "split" for this memfd
    return ctx.fs === "hugetlbfs" ? "keep-mapped" : "unmap";
    // END SOLUTION
  },

  /** Asked when poisoned folios leave a memfd that kept its UEs mapped (truncate, release). */
  release(ctx) {
    // BEGIN SOLUTION: answer "leave", "at-once", "per-folio" or "deferred"
    return "per-folio";
    // END SOLUTION
  },

  // Not graded here: mainline's answers.
  pinned: "offline",
  gmemError: "zap-folio",
  pfnError: "driver",
};
