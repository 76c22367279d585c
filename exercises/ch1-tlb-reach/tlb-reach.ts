// Exercise 1.1 — TLB reach, and what a split costs in translations (Chapter 1).
// Edit the functions below; the grader compares them with the library's TLB model.
import { pageSizeBytes, PAGE_SIZE_SHIFT, type PageSize, type TlbHierarchyConfig } from "../../src/index.js";

/**
 * TLB reach: how much memory `entries` translations of `pageSize` pages cover at once, in bytes.
 * Example: 1536 entries of 4K pages reach 6M.
 */
export function tlbReach(entries: number, pageSize: PageSize): number {
  throw new Error("TODO: return the bytes that `entries` translations of `pageSize` cover");
}

/**
 * Reach of a CPU's data-TLB hierarchy for one page size, in bytes. The L1 DTLB for that size
 * (if any) and the STLB (if it holds that size) are filled inclusively: every L1 entry is also
 * in the STLB, so reach is set by the larger of the two, not their sum.
 */
export function presetReach(cpu: TlbHierarchyConfig, pageSize: PageSize): number {
  throw new Error("TODO: use cpu.l1[pageSize]?.entries and cpu.stlb (only if cpu.stlb.sizes includes pageSize)");
}

/**
 * A guest of `guestBytes` (a multiple of 2M) is mapped entirely with 2M pages. Memory-failure
 * recovery splits `splitRegions` of those 2M pages to 4K (try_to_split_thp_page()). How many
 * translations does the guest's memory need now?
 */
export function translationsAfterSplit(guestBytes: number, splitRegions: number): number {
  throw new Error("TODO: count the 2M pages left whole, plus the 4K pages of the split ones");
}
