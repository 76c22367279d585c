import type { Folio } from "../mm/folio.js";
import type { MmAddressSpace } from "../mm/mapping.js";

/**
 * How the poisoned folios of an AS_MF_KEEP_UE_MAPPED memfd are offlined when they leave it
 * (truncate, hole punch, release): "v1" batch (populate_/offline_memfd_hwp_folios), "v1-buggy"
 * (v1 as posted: a raw page taken off the buddy only if PageBuddy), "v2" one folio at a time
 * (filemap_offline_hwpoison_folio() from remove_inode_single_folio()), "deferred" (a proposal:
 * offline when the folio's last reference drops, the free_folio hook Jason Gunthorpe mentions,
 * 20 Jan 2025), "leave" (nothing: MF keeps its references and the folio stays unusable).
 */
export type ReleasePath = "v1" | "v1-buggy" | "v2" | "deferred" | "leave";

/**
 * Decision hooks a userspace MFR policy (src/policy, Chapter 6) installs on a Machine. Every hook
 * is optional and absent by default; absent, the model does exactly what it did without it. They
 * let the capstone ask a policy at the point where the kernel, or the RFC, decides. None of them
 * is kernel code.
 */
export interface MfPolicyHooks {
  /** memory_failure() is about to split a large non-hugetlb folio (try_to_split_thp_page()): false keeps it whole, as if the split had failed. */
  splitLargeFolio?(f: Folio, pfn: number): boolean;
  /** memory_failure() meets an in-use file hugetlb folio: true demotes it first (demoteHugetlbFolio(); no kernel does this for hugetlbfs). */
  splitHugetlbFolio?(f: Folio, pfn: number): boolean;
  /** A keep-UE-mapped memfd is losing folios, `poisoned` among them: which release path offlines them. */
  releasePath?(as: MmAddressSpace, poisoned: readonly Folio[], reason: string): ReleasePath;
  /** filemap_offline_hwpoison_folio() meets a folio_maybe_dma_pinned() folio: "try" (the RFC as posted) or "ebusy" (leave it, Jiaqi Yan, 21 Jan 2025). */
  offlinePinned?(f: Folio): "try" | "ebusy";
}
