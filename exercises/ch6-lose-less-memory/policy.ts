// Exercise 6.1 — A policy that loses less memory than mainline on 1G HugeTLB (Chapter 6).
// A policy answers the five decisions of Chapter 6 (src/policy/types.ts). The tests score it on the
// battery's "VM on 1G HugeTLB" workload, seeded, next to mainline 7.3.
import type { Policy } from "../../src/index.js";

export const policy: Policy = {
  name: "lose less on 1G",

  /**
   * Asked once per guest memfd, when the VMM creates it. ctx.fs is "hugetlbfs" or "shmem" (THP),
   * ctx.folioSize "2M" or "1G". Mainline unmaps: a 1G folio is lost whole (SIGBUS lsb 30).
   */
  memfdUe(ctx) {
    throw new Error("TODO: answer \"unmap\", \"keep-mapped\" or \"split\" for this memfd");
  },

  /** Asked when poisoned folios leave a memfd that kept its UEs mapped (truncate, release). */
  release(ctx) {
    throw new Error("TODO: answer \"leave\", \"at-once\", \"per-folio\" or \"deferred\"");
  },

  // Not graded here: mainline's answers.
  pinned: "offline",
  gmemError: "zap-folio",
  pfnError: "driver",
};
