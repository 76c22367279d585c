// Exercise 2.2 — Offline on truncate, one folio at a time (Chapter 2).
// The release path of the memfd policy in RFC v2: as hugetlbfs removes each folio from the page
// cache, filemap_offline_hwpoison_folio() offlines it if it is poisoned. Write it yourself; the
// tests truncate the same memfd in the course's Machine and compare.

/** One HugeTLB folio in the page cache of a memfd created with MFD_MF_KEEP_UE_MAPPED. */
export interface CachedFolio {
  /** Page offset in the file, in 4K pages (a multiple of the folio's size in pages). */
  index: number;
  /** First physical frame. */
  pfn: number;
  /** 9 for 2M, 18 for 1G. */
  order: number;
  /** Raw poisoned frames recorded for this folio (its raw_hwp list); empty if healthy. */
  rawHwp: number[];
  /** Pinned with FOLL_LONGTERM (iommufd, VFIO): the pin outlives the truncate. */
  pinned: boolean;
}

/** What ftruncate() did, as the allocator sees it. */
export interface TruncateOutcome {
  /** Indices (file offsets) of the removed folios, ascending. */
  removed: number[];
  /** Healthy folios that went back to the HugeTLB pool's free list. */
  backToPool: number;
  /** Poisoned folios dissolved into 4K pages (nr_hugepages drops by this many). */
  dissolved: number;
  /** Removed folios that could not be freed or dissolved because a pin still holds them. */
  stuck: number;
  /** 4K frames returned to the buddy allocator. */
  toBuddyFrames: number;
  /** Raw frames taken off the buddy allocator for good, ascending. */
  takenOff: number[];
}

/**
 * ftruncate(fd, newSizePages * 4096) on a memfd with MFD_MF_KEEP_UE_MAPPED (RFC v2): every folio
 * at or past the new end is removed; a poisoned one is then offlined by
 * filemap_offline_hwpoison_folio(): memory-failure drops its references, dissolves the free
 * folio (dissolve_free_hugetlb_folio(), -EBUSY while still referenced) and takes the raw pages
 * off the buddy allocator (take_page_off_buddy()).
 */
export function truncateKeptMemfd(folios: CachedFolio[], newSizePages: number): TruncateOutcome {
  throw new Error("TODO: remove the folios past the end, then free, dissolve or leave each one stuck");
}
