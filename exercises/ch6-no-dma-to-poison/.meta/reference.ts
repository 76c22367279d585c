// Exercise 6.2 — A policy under which no DMA reaches poison and no pinned folio leaks (Chapter 6).
// The tests score it on the whole battery, seeded. Jason Gunthorpe (20 Jan 2025): iommufd holds
// guest memory pinned for the VM's life, and nothing calls into the IOMMU, so a guest can still
// DMA to memory memory-failure handling took away.
// Reference solution: the student's file is generated from this one (see src/grader/stubs.ts). // reference-only
import type { Policy } from "../../../src/index.js";

export const policy: Policy = {
  name: "no DMA to poison",

  /** Asked once per guest memfd; ctx.forDevice says the VMM also maps it for a device through iommufd. */
  memfdUe(ctx) {
    // BEGIN SOLUTION: answer "unmap", "keep-mapped" or "split" for this memfd
    return ctx.fs === "hugetlbfs" ? "keep-mapped" : "unmap";
    // END SOLUTION
  },

  /** Asked when poisoned folios leave a memfd that kept its UEs mapped. */
  release(ctx) {
    // BEGIN SOLUTION: answer "leave", "at-once", "per-folio" or "deferred"
    return "per-folio";
    // END SOLUTION
  },

  /** Asked when a poisoned folio is long-term pinned: at the error (ctx.when "error") and at release. */
  pinned(ctx) {
    // BEGIN SOLUTION: answer "offline", "ebusy" or "revoke"
    return "revoke";
    // END SOLUTION
  },

  // Mainline's answers: zapping a confidential guest's folio also takes it away from its device.
  gmemError: "zap-folio",
  pfnError: "driver",
};
