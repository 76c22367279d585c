// Exercise 6.3 — Keep a confidential guest running through three errors (Chapter 6).
// The tests score it on the battery's confidential guest (guest_memfd) under several CoCo designs
// and folio sizes. Jason Gunthorpe (20 Jan 2025): "you can't just unmap 1G of memory without
// completely breaking the guest" when the secure world shares stage-2 between CPU and IOMMU.
import type { Policy } from "../../src/index.js";

export const policy: Policy = {
  name: "keep the guest running",

  // Mainline's answers for the memfd, pin and device-memory decisions.
  memfdUe: "unmap",
  release: "leave",
  pinned: "offline",

  /**
   * Asked at each error in private memory. ctx.folioSize is the guest_memfd folio size, ctx.design
   * and ctx.iommuSharesStage2 describe the secure world, ctx.errorsInFolio counts earlier errors in
   * the same folio.
   */
  gmemError(ctx) {
    throw new Error("TODO: answer \"zap-folio\", \"keep-mapped\" or \"split-then-zap\"");
  },

  pfnError: "driver",
};
