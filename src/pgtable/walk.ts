import { checkInt, ParameterError } from "../core/errors.js";
import { PAGE_SIZE_SHIFT, type PageSize } from "../core/units.js";

/**
 * Page-table levels walked to reach a leaf of each size with x86-64 4-level paging
 * (PML4 → PDPT → PD → PT): a 4K leaf is at level 4, a 2M leaf (PMD) at 3, a 1G leaf (PUD) at 2.
 * With 5-level paging (LA57) every count is one higher.
 */
export function walkLevels(size: PageSize, pagingLevels: 4 | 5 = 4): number {
  const base = size === "4K" ? 4 : size === "2M" ? 3 : 2;
  return base + (pagingLevels - 4);
}

/** A native (1D) walk reads one entry per level. */
export function walkRefs1D(levels: number): number {
  checkInt("levels", levels, 1, 6);
  return levels;
}

/**
 * Memory references of a nested (2D) walk, with `n` guest levels and `m` host levels:
 * each guest entry's guest-physical address needs an m-step host walk, plus the entry itself,
 * and the final guest-physical address needs one more host walk: n(m+1) + m = (n+1)(m+1) − 1.
 * 4×4 gives 24 (Bhargava et al., "Accelerating Two-Dimensional Page Walks for Virtualized
 * Systems", ASPLOS 2008).
 */
export function walkRefs2D(n: number, m: number): number {
  checkInt("guest levels", n, 1, 6);
  checkInt("host levels", m, 1, 6);
  return (n + 1) * (m + 1) - 1;
}

/**
 * 2D walk with page-walk caches: the top `guestSkip` guest levels and the top `hostSkip`
 * levels of every host walk hit in a paging-structure cache and cost no memory reference.
 * (n−g)(m−h+1) + (m−h); with no skips this is walkRefs2D(n, m).
 */
export function walkRefs2DWithPwc(n: number, m: number, guestSkip: number, hostSkip: number): number {
  walkRefs2D(n, m);
  if (guestSkip < 0 || guestSkip >= n) throw new ParameterError("guestSkip", `must be 0..${n - 1}, got ${guestSkip}`, "a walk always reads the leaf entry");
  if (hostSkip < 0 || hostSkip >= m) throw new ParameterError("hostSkip", `must be 0..${m - 1}, got ${hostSkip}`, "a walk always reads the leaf entry");
  return (n - guestSkip) * (m - hostSkip + 1) + (m - hostSkip);
}

/**
 * A TLB entry filled by a 2D walk can cover no more than both stages map contiguously:
 * min(guest page, host page). A guest 2M page over host 4K pages is cached as 4K pieces —
 * the reason a host-side split hurts a guest that still uses 2M pages.
 */
export function effectivePageSize(guest: PageSize, host: PageSize): PageSize {
  return PAGE_SIZE_SHIFT[guest] <= PAGE_SIZE_SHIFT[host] ? guest : host;
}

/** References for a guest/host pair of leaf sizes (4-level paging in both stages). */
export function nestedWalkRefs(guest: PageSize, host: PageSize, pagingLevels: 4 | 5 = 4): number {
  return walkRefs2D(walkLevels(guest, pagingLevels), walkLevels(host, pagingLevels));
}
