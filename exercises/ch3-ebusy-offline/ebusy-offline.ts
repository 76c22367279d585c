// Exercise 3.3 — Never offline a DMA-pinned folio: the -EBUSY path (Chapter 3).
// Jiaqi Yan's answer to Jason Gunthorpe (21 Jan 2025): a folio_maybe_dma_pinned() folio should
// never be offlined; a no-op or -EBUSY is acceptable. Write filemap_offline_hwpoison_folio() with
// and without that rule; the tests truncate the same memfd in the course's Machine and compare.

/** A poisoned HugeTLB folio just removed from its memfd's page cache (the mapping is already zapped). */
export interface RemovedFolio {
  pfn: number;
  /** 9 for 2M, 18 for 1G. */
  order: number;
  /** The memfd was created with MFD_MF_KEEP_UE_MAPPED. */
  keepUeMapped: boolean;
  /** Raw poisoned frames on the folio's raw_hwp list. */
  rawHwp: number[];
  /** References memory_failure() holds (one per raw page it handled). */
  mfRefs: number;
  /** FOLL_LONGTERM pins (iommufd, VFIO); each pin is also one reference. */
  pincount: number;
  /** _refcount now: the pins plus memory-failure's references. */
  refcount: number;
}

export interface OfflineResult {
  /**
   * "skipped": not a kept HugeTLB folio, nothing to do; "ebusy": left alone because it is
   * DMA-pinned; "dissolved": freed into 4K pages; "dissolve-failed": MFR's references dropped but
   * other references remain, so dissolve_free_hugetlb_folio() failed (-EBUSY).
   */
  action: "skipped" | "ebusy" | "dissolved" | "dissolve-failed";
  /** memory-failure's references left on the folio (0 once it is dissolved). */
  mfRefsAfter: number;
  /** The raw_hwp list afterwards, ascending (empty once it was taken). */
  rawHwpAfter: number[];
  /** 4K frames returned to the buddy allocator. */
  toBuddyFrames: number;
  /** Raw frames taken off the buddy allocator for good, ascending. */
  takenOff: number[];
}

/**
 * filemap_offline_hwpoison_folio() for the memfd MFR policy (RFC v2/v3): only for a HugeTLB folio
 * of a keep-UE-mapped memfd. With `offlinePinned: "ebusy"` a folio_maybe_dma_pinned() folio is
 * left alone; otherwise the raw list is taken, one reference is dropped per raw page (each also
 * releasing one of memory-failure's), and the folio is dissolved if that left it free.
 */
export function offlineHwpoisonFolio(f: RemovedFolio, offlinePinned: "try" | "ebusy"): OfflineResult {
  throw new Error("TODO: skip, refuse a pinned folio with -EBUSY, or drop MFR's references and try to dissolve");
}
