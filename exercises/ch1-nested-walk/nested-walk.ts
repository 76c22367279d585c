// Exercise 1.2 — 2D page walks and the effective page size (Chapter 1).
// Write these without the library's versions (src/pgtable/walk.ts): the tests compare with them.
import type { PageSize } from "../../src/index.js";

/**
 * Levels an x86-64 walk reads to reach a leaf of `size`: with 4-level paging
 * (PML4 → PDPT → PD → PT) a 4K leaf is in the PT (4 levels), a 2M leaf in the PD (3) and a
 * 1G leaf in the PDPT (2). 5-level paging (LA57) adds one level to each.
 */
export function walkLevels(size: PageSize, pagingLevels: 4 | 5 = 4): number {
  throw new Error("TODO: 4K → 4, 2M → 3, 1G → 2 with 4-level paging; one more each with 5-level");
}

/**
 * Memory references of a nested (2D) walk with `n` guest levels and `m` host levels.
 * Every guest page-table entry sits at a guest-physical address that the host must translate
 * first (an m-level host walk), then the entry itself is read; finally the guest-physical
 * address of the data needs one more host walk. (Bhargava et al., ASPLOS 2008: 24 for 4 × 4.)
 */
export function walkRefs2D(n: number, m: number): number {
  throw new Error("TODO: count host walks and guest entry reads; 4 × 4 must give 24");
}

/**
 * A TLB entry filled by a 2D walk can only cover what both stages map contiguously:
 * the smaller of the guest page and the host page.
 */
export function effectivePageSize(guest: PageSize, host: PageSize): PageSize {
  throw new Error("TODO: the smaller of the two page sizes");
}

/** References of a 2D walk when the guest maps with `guest` pages and the host with `host` pages. */
export function nestedWalkRefs(guest: PageSize, host: PageSize, pagingLevels: 4 | 5 = 4): number {
  throw new Error("TODO: combine walkLevels for each stage with walkRefs2D");
}
