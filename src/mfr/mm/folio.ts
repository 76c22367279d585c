import { PAGE_SHIFT } from "../../core/units.js";
import type { MmAddressSpace } from "./mapping.js";

/** Folio-level flags (the PG_* bits the model needs, as folio_test_*() sees them). */
export const PG_dirty = 1 << 0;
export const PG_lru = 1 << 1;
export const PG_swapcache = 1 << 2;
export const PG_mlocked = 1 << 3;
export const PG_unevictable = 1 << 4;
export const PG_hugetlb = 1 << 5;
/** Folio-level HWPoison of a hugetlb folio (set on the head by hugetlb_update_hwpoison). */
export const PG_hwpoison = 1 << 6;
/** A large non-hugetlb folio with a poisoned subpage (folio_set_has_hwpoisoned). */
export const PG_has_hwpoisoned = 1 << 7;
export const PG_hugetlb_raw_hwp_unreliable = 1 << 8;
export const PG_hugetlb_vmemmap_optimized = 1 << 9;
/** On the hugetlb free list (folio_test_hugetlb_freed). */
export const PG_hugetlb_freed = 1 << 10;
export const PG_anon = 1 << 11;
/**
 * folio_test_hugetlb_migratable(): set when hugetlb_no_page() faults a new folio in, cleared when
 * it is freed and by the first memory_failure() that takes a reference on it
 * (get_huge_page_for_hwpoison()). Without it an in-use folio gets no new reference.
 */
export const PG_hugetlb_migratable = 1 << 12;

/**
 * One allocated folio (struct folio): 2^order contiguous frames from `pfn` (the head).
 * Only allocated folios have a record; free memory lives in the buddy allocator.
 */
export interface Folio {
  readonly pfn: number;
  readonly order: number;
  /** _refcount: page cache (nr pages), each mapping (1), MF's own reference, pins. */
  ref: number;
  /** Number of page-table entries mapping the folio (PMD/PUD-mapped counts once). */
  mapcount: number;
  /** FOLL_LONGTERM pins (for order 0 they also add GUP_PIN_COUNTING_BIAS to ref). */
  pincount: number;
  flags: number;
  /** File mapping (shmem, hugetlbfs) and page offset in 4K units; null for anon. */
  mapping: MmAddressSpace | null;
  index: number;
  /** Anon owner: the only process and virtual address mapping an anon folio (no fork modelled). */
  anon: { pid: number; addr: number } | null;
  /** folio->_hugetlb_hwpoison: raw poisoned pages (struct raw_hwp_page list). */
  rawHwp: Set<number> | null;
  /** References memory_failure() holds on this folio (one per raw page it handled). */
  mfRefs: number;
  /** Allocation sequence number, to tell a poisoned frame handed out again. */
  readonly allocSeq: number;
}

export function newFolio(pfn: number, order: number, flags: number, allocSeq: number): Folio {
  return { pfn, order, ref: 0, mapcount: 0, pincount: 0, flags, mapping: null, index: 0, anon: null, rawHwp: null, mfRefs: 0, allocSeq };
}

export function folioNrPages(f: Folio): number {
  return 2 ** f.order;
}

/** folio_shift(): log2 of the folio size in bytes. */
export function folioShift(f: Folio): number {
  return PAGE_SHIFT + f.order;
}

export function folioTest(f: Folio, flag: number): boolean {
  return (f.flags & flag) !== 0;
}

/** folio_maybe_dma_pinned(). */
export function folioMaybeDmaPinned(f: Folio): boolean {
  return f.pincount > 0;
}
