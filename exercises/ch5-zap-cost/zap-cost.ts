// Exercise 5.4 — What a zap would cost: entries, TLB reach, walk references (Chapter 5).
// memory_failure_pfn() leaves a huge pfnmap mapped because breaking it into 4K PTEs mirrored into
// stage-2 "can greatly increase the cost of table walks" (Ankit Agrawal's commit message). Put
// numbers on it with Chapter 1's machinery; the tests compare with the library's zapCost().
import {
  TlbHierarchy, effectivePageSize, nestedWalkRefs, pageSizeBytes, type PageSize, type TlbHierarchyConfig,
} from "../../src/index.js";

/** One way of mapping the device region in stage-2. */
export interface MappingCost {
  /** Stage-2 leaf entries needed to map the whole region (a partial leaf still takes one entry). */
  entries: number;
  /** Size one CPU TLB entry covers after a 2D walk: the smaller of the guest's and the stage-2 page. */
  effectivePageSize: PageSize;
  /** Share of the region the CPU's TLB hierarchy can translate at once, at most 1. */
  stlbReachFraction: number;
  /** Memory references of one 2D walk (guest page size over the stage-2 page size, 4-level tables). */
  walkRefs2D: number;
}

export interface ZapCostAnswer {
  /** The region kept at `keptPage`, as memory_failure_pfn() leaves it. */
  kept: MappingCost;
  /** The whole region broken into 4K stage-2 PTEs. */
  zapped: MappingCost;
  /** Entries added if only the kept-size leaf holding the poisoned page were broken into 4K PTEs. */
  oneLeafAdded: number;
}

/**
 * The cost of keeping vs zapping a device region of `regionBytes` (a multiple of 4K) that the guest
 * maps with `guestPage` pages and stage-2 keeps at `keptPage`, on a CPU with TLB hierarchy `cpu`.
 * You may use Chapter 1's pieces (TlbHierarchy, effectivePageSize, nestedWalkRefs, pageSizeBytes),
 * not zapCost() itself.
 */
export function zapCostOf(regionBytes: number, guestPage: PageSize, keptPage: PageSize, cpu: TlbHierarchyConfig): ZapCostAnswer {
  throw new Error("TODO: one MappingCost for keptPage and one for 4K, then the entries one broken leaf adds");
}
