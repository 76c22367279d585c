import type { Machine } from "../machine.js";
import { folioMaybeDmaPinned, folioNrPages, folioTest, PG_hugetlb, PG_hwpoison, type Folio } from "../mm/folio.js";
import type { MmAddressSpace } from "../mm/mapping.js";
import { entriesIn } from "../mm/pagetable.js";
import type { ReleasePath } from "./hooks.js";

/**
 * Removes the folios of [startIdx, endIdx) (4K page offsets) from a memfd: truncate, hole
 * punch, or release of the inode (hugetlbfs remove_inode_hugepages(), shmem truncation).
 * Mappings of the range are zapped first (unmap_mapping_range). For a memfd with
 * AS_MF_KEEP_UE_MAPPED the poisoned folios are then offlined by MFR:
 * - v1: populate_memfd_hwp_folios() collects them before removal and
 *   offline_memfd_hwp_folios() offlines them after the filesystem removed every folio;
 * - v2: filemap_offline_hwpoison_folio() right after each folio's removal
 *   (remove_inode_single_folio());
 * - v1-buggy: v1, but a raw page is taken off the buddy allocator only if it is a buddy head
 *   (PageBuddy), the bug William Roche reported on 19 Sep 2025.
 */
export function removeMappingRange(m: Machine, as: MmAddressSpace, startIdx: number, endIdx: number, reason: string): void {
  // Not in mainline: the memory owner tells importers (iommufd) first, so they can drop their pins.
  for (const n of m.notifiers) n.fileRangeRemove?.(as, startIdx, endIdx, reason);
  // unmap_mapping_range()/hugetlb_vmdelete_list(): zap user mappings of the range.
  for (const t of m.tasks.values()) {
    if (!t.alive) continue;
    for (const v of t.vmas) {
      if (v.file !== as) continue;
      const a0 = Math.max(v.start, v.start + (startIdx - v.pgoff) * 4096);
      const a1 = Math.min(v.end, v.start + (endIdx - v.pgoff) * 4096);
      if (a1 <= a0) continue;
      for (const e of entriesIn(t, a0, a1)) m.zapEntry(t, e.base, e.size);
    }
  }
  const victims: Folio[] = [];
  for (const f of as.pages.values()) if (f.index >= startIdx && f.index + folioNrPages(f) <= endIdx) victims.push(f);
  victims.sort((a, b) => a.index - b.index);
  const keep = as.keepUeMapped();
  let path: ReleasePath = m.opts.policyVariant;
  const hook = m.opts.policyHooks.releasePath;
  if (keep && hook) {
    // Not in mainline or the RFC: a userspace MFR policy (Chapter 6) picks the release path.
    const poisoned = victims.filter((f) => folioTest(f, PG_hwpoison));
    if (poisoned.length > 0) path = hook(as, poisoned, reason);
  }
  const perFolio = path === "v2" || path === "deferred";
  const batch = keep && (path === "v1" || path === "v1-buggy") ? victims.filter((f) => folioTest(f, PG_hwpoison)) : [];
  if (batch.length > 0) m.log.push({ kind: "policy", what: `populate_memfd_hwp_folios: ${batch.length} HWPoison folio(s) before ${reason}` });
  for (const f of victims) {
    as.pages.delete(f.index);
    f.mapping = null;
    m.mem.putFolio(f, folioNrPages(f), `${reason}: page cache removal`);
    if (keep && perFolio && folioTest(f, PG_hwpoison)) filemapOfflineHwpoisonFolio(m, as, f, path);
  }
  if (batch.length > 0) {
    m.log.push({ kind: "policy", what: `offline_memfd_hwp_folios: ${batch.length} folio(s) after ${reason}` });
    for (const f of batch) filemapOfflineHwpoisonFolio(m, as, f, path);
  }
}

/**
 * filemap_offline_hwpoison_folio() → filemap_offline_hwpoison_folio_hugetlb() (RFC series):
 * drop MF's reference per raw poisoned page, dissolve the now free folio into 4K pages
 * (healthy ones go back to the buddy allocator), and keep each raw poisoned page off it.
 */
export function filemapOfflineHwpoisonFolio(m: Machine, as: MmAddressSpace, f: Folio, path: ReleasePath = m.opts.policyVariant): void {
  if (!as.keepUeMapped() || !folioTest(f, PG_hugetlb) || path === "leave") return;
  const mem = m.mem;
  const pinned = folioMaybeDmaPinned(f) ? m.opts.policyHooks.offlinePinned?.(f) ?? m.opts.offlinePinned : "try";
  if (pinned === "ebusy") {
    // Jiaqi Yan (21 Jan 2025): a DMA-pinned folio is never offlined; MF keeps its references.
    m.log.push({ kind: "policy", what: `filemap_offline_hwpoison_folio: -EBUSY, folio at pfn ${f.pfn} is DMA-pinned (${f.pincount} pins), left in place`, pfn: f.pfn });
    return;
  }
  const raws = f.rawHwp ? [...f.rawHwp] : [];
  m.log.push({ kind: "policy", what: `filemap_offline_hwpoison_folio: ${raws.length} raw page(s), ${f.mfRefs} reference(s) held for MF`, pfn: f.pfn });
  // llist_del_all(raw_hwp_list_head(folio)), then the references MF holds. The v3 diff puts one
  // reference per raw entry; the model puts the ones actually taken. They are equal only when
  // every error came with its own reference: MADV_HWPOISON's GUP reference, handed over with
  // MF_COUNT_INCREASED. A hardware error after the first takes none (get_huge_page_for_hwpoison():
  // the folio is no longer hugetlb_migratable), the point raised in review of v3 (Mar 2026).
  f.rawHwp = null;
  const held = f.mfRefs;
  if (path === "deferred" && f.ref > held) {
    // The proposal: MF lets go now and the folio is offlined when its last reference drops.
    mem.offlineWhenFreed(f, raws);
    m.log.push({ kind: "policy", what: `deferred: folio at pfn ${f.pfn} still has ${f.ref - held} other reference(s); offline when the last one drops`, pfn: f.pfn });
  }
  f.mfRefs = 0;
  if (held > 0) mem.putFolio(f, held, "filemap_offline_hwpoison_folio");
  if (mem.isDeferredOffline(f) || !mem.folios.has(f.pfn)) return;
  const ret = mem.dissolveFreeHugetlbFolio(f);
  if (ret !== 0) {
    // The raw list is gone; the folio stays HWPoison as a whole and, once free, is never dequeued again.
    // The per-node counters already counted these pages when they failed; how the RFC accounts for a
    // failed dissolve here is not modelled (counting them again would break total = sum of outcomes).
    m.log.push({ kind: "policy", what: `failed to dissolve hugetlb folio: ${ret}`, pfn: f.pfn });
    return;
  }
  for (const raw of raws) {
    const buggy = path === "v1-buggy";
    if (buggy && !mem.buddy.isBuddyHead(raw)) {
      // `if (PageBuddy(page) && !take_page_off_buddy(page))`: a page inside a merged block is not PageBuddy.
      m.log.push({ kind: "offline", pfn: raw, how: "left-in-buddy", by: "filemap_offline_hwpoison_folio_hugetlb (v1)" });
    } else {
      mem.takePageOffBuddy(raw, "filemap_offline_hwpoison_folio_hugetlb");
    }
    mem.hwpoison.add(raw);
  }
}
