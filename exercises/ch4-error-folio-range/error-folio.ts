// Exercise 4.1 — kvm_gmem_error_folio(): which GFNs a memory error zaps (Chapter 4).
// guest_memfd's .error_remove_folio takes the index range of the whole folio that holds the
// poisoned page and, for every memslot bound to the file, zaps that range's GFNs from stage-2.
// The tests compare your answer with the library's kvmGmemErrorFolio() on seeded bindings.
import { basePagesPer, type PageSize } from "../../src/index.js";

/**
 * A memslot bound to the guest_memfd file (kvm_gmem_commit_memory_region(); kvm_gmem_bind() until 6.12): GFNs [baseGfn, baseGfn + npages)
 * are backed by file pages [pgoff, pgoff + npages). Bindings of one file never overlap.
 */
export interface Binding {
  slot: number;
  baseGfn: number;
  npages: number;
  pgoff: number;
}

/** GFNs [start, end) zapped in one memslot. */
export interface ZappedRange {
  slot: number;
  start: number;
  end: number;
}

export interface ErrorFolioAnswer {
  /** What kvm_gmem_error_folio() returns. */
  returns: "MF_DELAYED";
  /** File pages [start, end) of the whole folio holding the poisoned page. */
  index: [number, number];
  /** One range per memslot that binds part of the folio, in any order. */
  ranges: ZappedRange[];
  /** GFNs zapped in all, over every memslot. */
  zappedGfns: number;
  /** Does it truncate the folio out of the file? */
  truncated: boolean;
}

/**
 * kvm_gmem_error_folio() for a poisoned page at file page `index`, in a file whose folios are
 * all `folioSize` (aligned in the file: a 2M folio starts at a multiple of 512 pages).
 * Think about: folio->index and folio_nr_pages(); kvm_gmem_invalidate_start() clamping the range
 * to each binding and translating file pages into that binding's GFNs.
 */
export function errorFolioZap(bindings: Binding[], index: number, folioSize: PageSize): ErrorFolioAnswer {
  throw new Error("TODO: the whole folio's file range, then each binding's share of it as GFNs");
}
