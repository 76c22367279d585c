import { ParameterError } from "../core/errors.js";
import { PAGE_SHIFT, PAGE_SIZE_SHIFT, pageSizeBytes, type PageSize } from "../core/units.js";

/**
 * What one uncorrected error in a single 4K page of a folio costs, by how the folio is backed.
 * A table-driven model of mm/memory-failure.c (7.3.4; these cases read the same in 6.12.117) and of the proposed
 * MFD_MF_KEEP_UE_MAPPED memfd policy (Jiaqi Yan, RFC v1 Jan 2025 … v3 Feb 2026).
 */
export type PoisonBacking = "hugetlb" | "thp" | "4k";
/** hugetlb only: "file" = hugetlbfs / memfd(MFD_HUGETLB); "anon" = MAP_ANONYMOUS|MAP_HUGETLB. */
export type PoisonMapping = "file" | "anon";
export type MfResult = "MF_IGNORED" | "MF_FAILED" | "MF_DELAYED" | "MF_RECOVERED";

export interface PoisonOutcomeInput {
  backing: PoisonBacking;
  /** Size of the folio that holds the poisoned page: 1G/2M for hugetlb, 2M for THP, 4K for "4k". */
  folioSize: PageSize;
  /** memfd created with MFD_MF_KEEP_UE_MAPPED (proposed; hugetlb memfd only). */
  keepUeMapped?: boolean;
  /** hugetlb only; default "file" (the memfd case the course is about). */
  mapping?: PoisonMapping;
  /** The folio has an extra reference, e.g. a FOLL_LONGTERM pin held by VFIO/iommufd/RDMA. */
  pinned?: boolean;
}

export interface PoisonOutcome {
  backing: PoisonBacking;
  folioSize: PageSize;
  mapping: PoisonMapping;
  keepUeMapped: boolean;
  pinned: boolean;
  folioBytes: number;
  /** `si_addr_lsb` of the SIGBUS: log2 of the extent userspace is told is poisoned. */
  siAddrLsb: number;
  /** 2^siAddrLsb bytes. */
  signalledBytes: number;
  /** What happened to the folio. */
  folioFate: "kept in page cache" | "dissolved to buddy" | "split to 4K" | "split refused" | "kept mapped until release" | "isolated";
  /** Bytes of the folio's range the process can no longer use right after recovery. */
  bytesLostImmediately: number;
  /** Bytes of the folio nobody (process or page allocator) can use afterwards; see `notes` for until when. */
  bytesUnusable: number;
  /** Is the range still translated by one huge (PMD/PUD) mapping? */
  hugeMappingKept: boolean;
  /** Translations needed to map the folio's range before the error (always 1). */
  tlbEntriesBefore: number;
  /** Translations needed afterwards for the part of the range that is still mapped. */
  tlbEntriesAfter: number;
  /** Page-state type reported by action_result(). */
  mfType: string;
  /** Outcome code, or null where the proposed series does not say. */
  result: MfResult | null;
  /** Kernel functions that decide this outcome, in call order. */
  decidedBy: string[];
  notes: string[];
  sources: string[];
}

const FOUR_K = 4096;

function bad(parameter: string, problem: string, hint?: string): never {
  throw new ParameterError(parameter, problem, hint);
}

/**
 * Outcome of memory_failure() on one raw 4K page of a folio (brief §1.4–1.6, §1.10, §2.6).
 * Throws ParameterError for combinations the kernel (or the proposal) does not have.
 */
export function poisonOutcome(input: PoisonOutcomeInput): PoisonOutcome {
  const { backing, folioSize } = input ?? ({} as PoisonOutcomeInput);
  if (backing !== "hugetlb" && backing !== "thp" && backing !== "4k") {
    bad("backing", `"${String(backing)}" is not a backing`, 'use "hugetlb", "thp" or "4k"');
  }
  if (folioSize !== "4K" && folioSize !== "2M" && folioSize !== "1G") {
    bad("folioSize", `"${String(folioSize)}" is not a page size`, "use 4K, 2M or 1G");
  }
  const keep = input.keepUeMapped === true;
  const pinned = input.pinned === true;
  if (input.mapping !== undefined && input.mapping !== "file" && input.mapping !== "anon") {
    bad("mapping", `"${String(input.mapping)}" is not a mapping`, 'use "file" or "anon"');
  }
  if (backing === "hugetlb" && folioSize === "4K") bad("folioSize", "a HugeTLB folio is 2M or 1G, not 4K", 'use backing "4k" for base pages');
  if (backing === "thp" && folioSize !== "2M") bad("folioSize", `THP is PMD-sized (2M) in this model, got ${folioSize}`, 'use backing "hugetlb" for 1G pages');
  if (backing === "4k" && folioSize !== "4K") bad("folioSize", `backing "4k" means a 4K folio, got ${folioSize}`);
  if (backing !== "hugetlb" && input.mapping !== undefined) bad("mapping", "only HugeTLB distinguishes file and anonymous here", "omit mapping for THP and 4K pages");
  const mapping: PoisonMapping = input.mapping ?? (backing === "hugetlb" ? "file" : "anon");
  if (keep && (backing !== "hugetlb" || mapping !== "file")) {
    // v3 mm/memfd.c sanitize_flags(): the flag is rejected without MFD_HUGETLB.
    bad("keepUeMapped", "MFD_MF_KEEP_UE_MAPPED exists only for a HugeTLB memfd", 'use backing "hugetlb" with mapping "file"');
  }

  const folioBytes = pageSizeBytes(folioSize);
  const hugeShift = PAGE_SIZE_SHIFT[folioSize];
  const base = { backing, folioSize, mapping, keepUeMapped: keep, pinned, folioBytes, tlbEntriesBefore: 1 };
  const out = (o: Omit<PoisonOutcome, keyof typeof base | "signalledBytes">): PoisonOutcome => ({
    ...base,
    ...o,
    signalledBytes: 2 ** o.siAddrLsb,
  });

  if (backing === "hugetlb" && keep) {
    return out({
      siAddrLsb: PAGE_SHIFT,
      folioFate: "kept mapped until release",
      bytesLostImmediately: FOUR_K,
      bytesUnusable: pinned ? folioBytes : FOUR_K,
      hugeMappingKept: true,
      tlbEntriesAfter: 1,
      mfType: "MF_MSG_HUGE",
      result: null,
      decidedBy: [
        "__add_to_kill (size_shift = PAGE_SHIFT for an AS_MF_KEEP_UE_MAPPED mapping)",
        "me_huge_page (returns early; MF keeps its reference)",
        "hwpoison_user_mappings (skips unmap_poisoned_folio)",
        "filemap_offline_hwpoison_folio_hugetlb (at release/truncate: dissolve, keep raw pages off)",
      ],
      notes: [
        "proposed, not merged: only the raw 4K page SIGBUSes on access, the rest of the folio stays mapped",
        pinned
          ? "a long-term pin (iommufd holds it for the VM's life) prevents the final dissolve, so the whole folio stays out of use after release (Jason Gunthorpe, 20 Jan 2025)"
          : "after close/truncate the folio is dissolved and only the raw poisoned page is kept off the allocator",
      ],
      sources: ["RFC v1 cover letter, 18 Jan 2025", "v3 1/3 diff as quoted by William Roche, 4 Feb 2026", "mfd_mfr_policy doc (v3 3/3)"],
    });
  }

  if (backing === "hugetlb") {
    const file = mapping === "file";
    return out({
      siAddrLsb: hugeShift,
      folioFate: pinned ? "isolated" : file ? "kept in page cache" : "dissolved to buddy",
      bytesLostImmediately: folioBytes,
      bytesUnusable: pinned || file ? folioBytes : FOUR_K,
      hugeMappingKept: false,
      tlbEntriesAfter: 0,
      mfType: "MF_MSG_HUGE",
      result: pinned ? "MF_FAILED" : "MF_RECOVERED",
      decidedBy: [
        "__add_to_kill (size_shift = folio_shift(): the whole hugepage)",
        "hwpoison_user_mappings (unmaps the whole folio)",
        file
          ? "me_huge_page → truncate_error_folio (hugetlbfs error_remove_folio keeps the folio in page cache)"
          : "me_huge_page → __page_handle_poison → dissolve_free_hugetlb_folio + take_page_off_buddy",
        ...(pinned ? ["has_extra_refcount (an extra pin → MF_FAILED)"] : []),
      ],
      notes: [
        `the whole ${folioSize} folio is flagged HWPoison; the raw error page is recorded on its raw_hwp_page list`,
        "a later fault returns VM_FAULT_HWPOISON_LARGE (hugetlb_no_page)",
        pinned
          ? "the extra reference keeps the folio from being dissolved or freed"
          : file
            ? "the folio stays in page cache; after truncate it is effectively leaked (free_hugepages drops, nr_hugepages does not; Jiaqi Yan, 21 Jan 2025)"
            : "healthy subpages return to the buddy allocator, but the process's data in them is gone; with HVO, restoring the vmemmap can fail with -ENOMEM and then MF_FAILED",
      ],
      sources: ["mm/memory-failure.c __add_to_kill, me_huge_page, __page_handle_poison, has_extra_refcount", "mm/hugetlb.c hugetlb_no_page"],
    });
  }

  if (backing === "thp") {
    if (pinned) {
      return out({
        // kill_procs_now() signals before any split: __add_to_kill's folio_shift() is the PMD shift.
        siAddrLsb: hugeShift,
        folioFate: "split refused",
        bytesLostImmediately: folioBytes,
        bytesUnusable: folioBytes,
        hugeMappingKept: true,
        tlbEntriesAfter: 1,
        mfType: "MF_MSG_UNSPLIT_THP",
        result: "MF_FAILED",
        decidedBy: [
          "try_to_split_thp_page → split_huge_page (refused: unexpected extra references)",
          "kill_procs_now → __add_to_kill (size_shift = folio_shift() of the unsplit folio)",
        ],
        notes: [
          "the comment in memory_failure() says the page 'might have been RDMA pinned'",
          "the folio is not isolated: a re-access may raise another machine check",
          "si_addr_lsb = 21 is derived from __add_to_kill's folio_shift(), not from a measured run",
          "before Jane Chu's 2024 series this case was MF_IGNORED with no SIGBUS",
        ],
        sources: ["mm/memory-failure.c memory_failure, kill_procs_now, try_to_split_thp_page", "Jane Chu, 'mm/memory-failure: send SIGBUS in the event of thp split fail', 2024"],
      });
    }
    return out({
      siAddrLsb: PAGE_SHIFT,
      folioFate: "split to 4K",
      bytesLostImmediately: FOUR_K,
      bytesUnusable: FOUR_K,
      hugeMappingKept: false,
      tlbEntriesAfter: folioBytes / FOUR_K - 1,
      mfType: "MF_MSG_CLEAN_LRU",
      result: "MF_RECOVERED",
      decidedBy: [
        "try_to_split_thp_page → split_huge_page",
        "hwpoison_user_mappings (unmaps the one raw page)",
        "me_pagecache_clean (the raw page is handled as a 4K LRU page)",
        "__add_to_kill (size_shift = PAGE_SHIFT after the split)",
      ],
      notes: [
        `the other ${folioBytes / FOUR_K - 1} pages become ordinary 4K pages: 4K of data is lost, the huge mapping is lost too`,
        "assumes the raw page is a clean anonymous LRU page (anon clean → MF_RECOVERED)",
      ],
      sources: ["mm/memory-failure.c memory_failure, try_to_split_thp_page, me_pagecache_clean", "RFC v1 cover letter, 'Extensibility: THP SHMEM/TMPFS'"],
    });
  }

  // backing "4k"
  return out({
    siAddrLsb: PAGE_SHIFT,
    folioFate: "isolated",
    bytesLostImmediately: FOUR_K,
    bytesUnusable: FOUR_K,
    hugeMappingKept: false,
    tlbEntriesAfter: 0,
    mfType: "MF_MSG_CLEAN_LRU",
    result: pinned ? "MF_FAILED" : "MF_RECOVERED",
    decidedBy: [
      "hwpoison_user_mappings",
      "me_pagecache_clean",
      "__add_to_kill (size_shift = PAGE_SHIFT)",
      ...(pinned ? ["has_extra_refcount (an extra pin → MF_FAILED)"] : []),
    ],
    notes: ["assumes a clean anonymous LRU page (anon clean → MF_RECOVERED)"],
    sources: ["mm/memory-failure.c hwpoison_user_mappings, me_pagecache_clean, __add_to_kill, has_extra_refcount"],
  });
}
