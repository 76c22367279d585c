// Exercise 4.4 — A policy per CoCo design: what the device's DMA meets (Chapter 4).
// Whether the IOMMU translates an assigned device's DMA through the CPU's stage-2 or through tables
// of its own decides what each guest_memfd policy does to the device. The tests build each VM with
// the library's GuestMemfdVm under the design, poison one page, run the DMA and compare.
import type { CocoDesign, GmemPolicy, PageSize } from "../../src/index.js";

/** What a device's DMA to a private GFN does (GuestMemfdVm.dma()). */
export type DmaResult = "ok" | "dma-fault" | "poison-consumed" | "no-device";

/** Where the DMA goes, relative to the one poisoned page: that page, another page of its folio, another folio. */
export type DmaTarget = "poisoned" | "same-folio" | "other-folio";

export const POLICIES: readonly GmemPolicy[] = ["zap-folio", "keep-mapped", "split-then-zap"];

/**
 * A device's DMA right after one memory error (no vCPU access in between), under `design` and
 * `policy`. Think about: which GFNs the policy unmapped from the CPU's stage-2; whether the design's
 * IOMMU walks that stage-2 (design.iommuSharesStage2) or keeps its own tables that nothing
 * unmapped; whether the design has a device at all (design.hasDevice).
 */
export function dmaAfterError(design: CocoDesign, policy: GmemPolicy, folioSize: PageSize, target: DmaTarget): DmaResult {
  throw new Error("TODO: no device?; unmapped in a shared stage-2 → fault; poisoned and reachable → consumed");
}

/**
 * The policies that, under `design` and for `folioSize` folios, keep the device away from the
 * poisoned page (its DMA there does not read poison) while every healthy page stays usable for it
 * (its DMA there is "ok", or there is no device). In the order of POLICIES.
 */
export function safePolicies(design: CocoDesign, folioSize: PageSize): GmemPolicy[] {
  throw new Error("TODO: try each policy against every target");
}
