import { checkInt } from "../core/errors.js";
import { formatSize, PAGE_SIZE_SHIFT, pageSizeBytes, type PageSize } from "../core/units.js";
import { effectivePageSize, nestedWalkRefs } from "../pgtable/walk.js";
import { TlbHierarchy, type TlbHierarchyConfig } from "../tlb/hierarchy.js";
import { GOLDEN_COVE } from "../tlb/presets.js";

/**
 * Why memory_failure_pfn() does not unmap (Ankit Agrawal, "mm: handle poisoning of pfn without
 * struct pages", v4 2/3, Oct 2025): huge pfnmap (Peter Xu's series) maps VM_PFNMAP VMAs at PMD or
 * PUD level; zapping the poisoned PFN would break the mapping into PTEs "mirrored into the S2",
 * which "can greatly increase the cost of table walks". A model with the chapter-1 machinery:
 * stage-2 leaf entries needed to map the region, how much of it the STLB can cover, and the
 * references of one 2D walk. No hardware latency is invented.
 */

export interface ZapCost {
  /** Stage-2 (host) leaf size mapping the region. */
  pageSize: PageSize;
  regionBytes: number;
  /** Stage-2 leaf entries needed for the whole region. */
  entries: number;
  /** Size of one CPU TLB entry after a 2D walk: min(guest page, host page). */
  effectivePageSize: PageSize;
  /** Fraction of the region the STLB can translate at once (capped at 1). */
  stlbReachFraction: number;
  /** Memory references of one 2D walk (guest page-table levels × stage-2 levels). */
  walkRefs2D: number;
}

export interface ZapCostOptions {
  /** CPU TLB geometry (default: Golden Cove from the brief). */
  cpu?: TlbHierarchyConfig;
  /** The guest's own page size for the region (default "2M", an assumption). */
  guestPage?: PageSize;
  /** Leaf size of the kept huge pfnmap (default "1G", PUD level). */
  keptPage?: PageSize;
  pagingLevels?: 4 | 5;
}

function cost(regionBytes: number, host: PageSize, guest: PageSize, tlb: TlbHierarchy, levels: 4 | 5): ZapCost {
  const eff = effectivePageSize(guest, host);
  return {
    pageSize: host,
    regionBytes,
    entries: Math.ceil(regionBytes / pageSizeBytes(host)),
    effectivePageSize: eff,
    stlbReachFraction: Math.min(1, tlb.reachBytes(eff) / regionBytes),
    walkRefs2D: nestedWalkRefs(guest, host, levels),
  };
}

/**
 * kept: the region mapped at `keptPage` (1G), as memory_failure_pfn() leaves it. zapped: the
 * region broken into 4K PTEs, as the v4 commit message describes a zap. Also `zappedOneLeaf`: only
 * the kept-size leaf holding the poisoned PFN broken into 4K, the rest kept.
 */
export function zapCost(regionBytes: number, opts: ZapCostOptions = {}): { kept: ZapCost; zapped: ZapCost; zappedOneLeaf: { entries: number; addedEntries: number }; assumptions: string[] } {
  checkInt("regionBytes", regionBytes, 4096, Number.MAX_SAFE_INTEGER);
  const cpu = opts.cpu ?? GOLDEN_COVE;
  const guest = opts.guestPage ?? "2M";
  const keptPage = opts.keptPage ?? "1G";
  const levels = opts.pagingLevels ?? 4;
  const tlb = new TlbHierarchy(cpu);
  const kept = cost(regionBytes, keptPage, guest, tlb, levels);
  const zapped = cost(regionBytes, "4K", guest, tlb, levels);
  const leafPieces = 2 ** (PAGE_SIZE_SHIFT[keptPage] - 12);
  const oneLeafEntries = kept.entries - 1 + Math.min(leafPieces, Math.ceil(regionBytes / 4096));
  const assumptions = [
    `CPU TLB geometry: ${cpu.name} (${cpu.source ?? "preset"}); the Grace CPU's (Neoverse V2) TLB sizes are not in the brief`,
    `guest maps the region with ${guest} pages; a TLB entry after a 2D walk covers min(guest, host) (effectivePageSize)`,
    `kept mapping: the whole ${formatSize(regionBytes)} at ${keptPage} (huge pfnmap at PUD level when aligned)`,
    "zapped: every leaf broken into 4K PTEs mirrored into stage-2, as Ankit's v4 commit message puts it",
    `2D walk without page-walk caches, ${levels}-level guest and stage-2 tables (Bhargava et al., ASPLOS 2008)`,
    "only translation structure is modelled: no latencies, no IOTLB (a device sharing stage-2 would add its own misses)",
  ];
  return { kept, zapped, zappedOneLeaf: { entries: oneLeafEntries, addedEntries: oneLeafEntries - kept.entries }, assumptions };
}
