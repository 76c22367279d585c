// Exercise 3.2 — When can this folio be freed? (Chapter 3).
// One 2M HugeTLB folio of guest RAM, maybe pinned for a device, maybe poisoned, maybe released by
// the VMM: predict where it ends up. The tests play the same story on the course's Machine.

/** Who holds a FOLL_LONGTERM pin on the folio for a device. */
export type Holder = "none" | "iommufd-file" | "iommufd-va" | "vfio";

/** The story of one folio, in order: pin, error, release, unpin. */
export interface FolioStory {
  /** The memfd was created with MFD_MF_KEEP_UE_MAPPED (RFC v2/v3 release path). */
  keepUeMapped: boolean;
  /** The pin: iommufd by memfd (IOMMU_IOAS_MAP_FILE), iommufd by address (IOMMU_IOAS_MAP), VFIO type1, or nobody. */
  holder: Holder;
  /**
   * The iommufd context's policy (only meaningful for the iommufd holders): "none" (mainline),
   * "ebusy" (filemap_offline_hwpoison_folio leaves a pinned folio alone, Jiaqi Yan 21 Jan 2025),
   * "revoke" (the memfd owner revokes iommufd areas over a range it removes or that is poisoned).
   */
  policy: "none" | "ebusy" | "revoke";
  /** memory_failure() hits one 4K page of the folio after the pin is taken. */
  poisoned: boolean;
  /** "truncate": the VMM munmaps and truncates the memfd to 0; "keep": it keeps the memfd. */
  release: "keep" | "truncate";
  /** When the pin holder unmaps: before the release, after it, or never (the VM runs on). */
  unpin: "before" | "after" | "never";
}

/**
 * - "in use": still in the memfd's page cache;
 * - "pending": removed from the memfd but still allocated because a pin holds it;
 * - "free": the allocator got the memory back (a healthy folio to the HugeTLB pool, or a dissolved
 *   poisoned folio's healthy 4K pages to the buddy allocator, its raw poisoned page kept off);
 * - "leaked": nobody can use or free it (held only by memory-failure's references, or a poisoned
 *   folio sitting in the pool that the allocator will never hand out).
 */
export type Fate = "in use" | "pending" | "free" | "leaked";

export interface FolioOutcome {
  fate: Fate;
  /** free_hugepages of the 2M pool afterwards; the pool has 2 pages and the memfd used one. */
  freeHugepages: number;
}

/** Where the folio ends up, and what the pool's free count says about it. */
export function folioFate(s: FolioStory): FolioOutcome {
  throw new Error("TODO: decide whether a pin is still held when the memfd lets go, then what release does");
}
