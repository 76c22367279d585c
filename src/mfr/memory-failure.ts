import type { MfResult } from "./result.js";
import { MfrLabError } from "../core/errors.js";
import {
  EBUSY, EHWPOISON, EIO, ENOTRECOVERABLE, ENXIO, MF_ACTION_REQUIRED, MF_COUNT_INCREASED, MF_MUST_KILL, MF_NO_RETRY, MF_SW_SIMULATED,
  type MfMsg, } from "./constants.js";
import { hasChange } from "./kernel-version.js";
import { collectProcs, killAccessingProcess, killProcs, killProcsNow } from "./kill.js";
import type { Machine, MemoryFailureResult } from "./machine.js";
import {
  folioNrPages, folioTest, PG_dirty, PG_has_hwpoisoned, PG_hugetlb, PG_hugetlb_freed, PG_hugetlb_raw_hwp_unreliable,
  PG_hugetlb_migratable, PG_hwpoison, PG_lru, PG_mlocked, PG_swapcache, PG_unevictable, type Folio,
} from "./mm/folio.js";
import { clearEntry, setEntry } from "./mm/pagetable.js";
import { splitFolio } from "./split.js";
import { demoteHugetlbFolio } from "./policy/hugetlb-split.js";

/**
 * action_result(): logs, counts (per-node stats and num_poisoned_pages) and returns 0 for
 * RECOVERED/DELAYED, -EBUSY otherwise. MF_MSG_ALREADY_POISONED is not counted (both kernels;
 * Kyle Meyer's 2025 patch), nor MF_MSG_PFN_MAP (7.x). Since 7.x, with
 * vm.panic_on_unrecoverable_memory_failure set, MF_MSG_KERNEL / MF_IGNORED panics
 * (panic_on_unrecoverable_mf(), KERNEL_CHANGES["panic-on-unrecoverable"]).
 */
export function actionResult(m: Machine, pfn: number, flags: number, type: MfMsg, result: MfResult): MemoryFailureResult {
  if (type !== "MF_MSG_ALREADY_POISONED" && type !== "MF_MSG_PFN_MAP") {
    m.numPoisonedPages++;
    m.stats.total++;
    if (result === "MF_IGNORED") m.stats.ignored++;
    else if (result === "MF_FAILED") m.stats.failed++;
    else if (result === "MF_DELAYED") m.stats.delayed++;
    else m.stats.recovered++;
  }
  const ret = result === "MF_RECOVERED" || result === "MF_DELAYED" ? 0 : -EBUSY;
  m.log.push({ kind: "memory_failure", pfn, flags, type, result, ret });
  if (m.opts.panicOnUnrecoverableMemoryFailure && type === "MF_MSG_KERNEL" && result === "MF_IGNORED") {
    m.panicked = true;
    m.log.push({ kind: "policy", what: `panic: Memory failure: ${pfn.toString(16)}: unrecoverable page (vm.panic_on_unrecoverable_memory_failure = 1)`, pfn });
    throw new MfrLabError(`Kernel panic: memory failure on unrecoverable page ${pfn.toString(16)}`, "vm.panic_on_unrecoverable_memory_failure is 1");
  }
  return { ret, type, result };
}

/**
 * memory_failure(pfn, flags) (mm/memory-failure.c): the order of checks follows the mainline
 * function: hw_memory_failure latch, try_memory_failure_hugetlb(), TestSetPageHWPoison(),
 * get_hwpoison_page() (free buddy page → take_page_off_buddy()), THP split
 * (try_to_split_thp_page(), kill_procs_now() on failure), hwpoison_user_mappings(), then
 * identify_page_state() over error_states[].
 */
export function memoryFailure(m: Machine, pfn: number, flags: number, current: number): MemoryFailureResult {
  if (!m.opts.memoryFailureRecovery) {
    m.panicked = true;
    m.log.push({ kind: "policy", what: `panic: Memory failure on page ${pfn.toString(16)} (vm.memory_failure_recovery = 0)`, pfn });
    throw new MfrLabError(`Kernel panic: memory failure on page ${pfn.toString(16)}`, "vm.memory_failure_recovery is 0");
  }
  if (!(flags & MF_SW_SIMULATED)) m.hwMemoryFailure = true;
  const mem = m.mem;
  if (Number.isInteger(pfn) && pfn >= mem.nrFrames && hasChange(m.opts.kernel, "pfn-without-struct-page")) {
    // pfn_to_online_page() fails and !pfn_valid(): memory_failure_pfn(). The Machine has no
    // device memory registered (src/vfio models that), so interval_tree_iter_first() finds nothing.
    m.log.push({ kind: "policy", what: `memory_failure_pfn: no pfn_address_space registered for pfn ${pfn.toString(16)}`, pfn });
    return actionResult(m, pfn, flags, "MF_MSG_PFN_MAP", "MF_IGNORED");
  }
  if (!Number.isInteger(pfn) || pfn < 0 || pfn >= mem.nrFrames) {
    // Until 6.12: pfn_to_online_page() fails and there is no dev_pagemap: "memory outside kernel control".
    m.log.push({ kind: "policy", what: `memory outside kernel control: pfn ${pfn}` });
    return { ret: -ENXIO };
  }
  mem.markBad(pfn, (flags & MF_SW_SIMULATED) !== 0);
  // Not in mainline: a registered subsystem (src/iommufd's revoke policy) hears of the error first.
  for (const n of m.notifiers) n.memoryFailure?.(pfn);

  const hres = tryMemoryFailureHugetlb(m, pfn, flags, current);
  if (hres) return hres;

  // TestSetPageHWPoison()
  if (mem.hwpoison.has(pfn)) {
    let ret = -EHWPOISON;
    if (flags & MF_ACTION_REQUIRED) ret = killAccessingProcess(m, current, pfn, flags);
    if (flags & MF_COUNT_INCREASED) {
      const f = mem.pageFolio(pfn);
      if (f) mem.putFolio(f, 1, "put_page of the injector's reference");
    }
    actionResult(m, pfn, flags, "MF_MSG_ALREADY_POISONED", "MF_FAILED");
    return { ret, type: "MF_MSG_ALREADY_POISONED", result: "MF_FAILED" };
  }
  mem.hwpoison.add(pfn);

  // 6.12 skips get_hwpoison_page() when the caller holds a reference (MF_COUNT_INCREASED); 7.x
  // always calls it, and get_any_page() keeps the caller's reference for a handlable page.
  if (!(flags & MF_COUNT_INCREASED) || hasChange(m.opts.kernel, "kernel-owned-page")) {
    const got = getHwpoisonPage(m, pfn, flags);
    if (got === 0) {
      if (mem.buddy.isFree(pfn)) {
        const ok = mem.takePageOffBuddy(pfn, "memory_failure");
        return actionResult(m, pfn, flags, "MF_MSG_BUDDY", ok ? "MF_RECOVERED" : "MF_FAILED");
      }
      return actionResult(m, pfn, flags, "MF_MSG_KERNEL_HIGH_ORDER", "MF_IGNORED");
    }
    // 7.x: a stable kernel-owned page (is_kernel_owned_page()) is named as such.
    if (got === -ENOTRECOVERABLE) return actionResult(m, pfn, flags, "MF_MSG_KERNEL", "MF_IGNORED");
    if (got < 0) return actionResult(m, pfn, flags, "MF_MSG_GET_HWPOISON", "MF_IGNORED");
  }

  let folio = mem.pageFolio(pfn) as Folio;
  folio.mfRefs++;
  if (folio.order > 0) {
    folio.flags |= PG_has_hwpoisoned;
    // Not in mainline: a policy hook (Chapter 6) may keep the folio whole, as if the split had failed.
    const split = m.opts.policyHooks.splitLargeFolio?.(folio, pfn) ?? true;
    if (!split || !splitFolio(m, folio, pfn)) {
      killProcsNow(m, folio, pfn, flags, current);
      folio.mfRefs--;
      mem.putFolio(folio, 1, "put_page after failed split");
      actionResult(m, pfn, flags, "MF_MSG_UNSPLIT_THP", "MF_FAILED");
      return { ret: -EHWPOISON, type: "MF_MSG_UNSPLIT_THP", result: "MF_FAILED" };
    }
    folio = mem.pageFolio(pfn) as Folio;
  }

  const pageFlags = folio.flags;
  if (folioTest(folio, PG_lru)) {
    if (!hwpoisonUserMappings(m, folio, pfn, flags, current)) {
      return actionResult(m, pfn, flags, "MF_MSG_UNMAP_FAILED", "MF_FAILED");
    }
  }
  return identifyPageState(m, pfn, folio, pageFlags, flags);
}

/**
 * get_hwpoison_page() → get_any_page(): 1 with a reference for a handlable (LRU) page (with
 * MF_COUNT_INCREASED the caller's reference is kept as MF's), 0 for a free buddy page (or a page
 * with refcount 0), -EIO for a page MF cannot handle (HWPoisonHandlable() is false, retried
 * GET_PAGE_MAX_RETRY_NUM times). Since 7.x a kernel-owned page (PG_reserved; slab, page tables
 * and large kmalloc, which the model does not allocate) is recognised first by
 * is_kernel_owned_page(): -ENOTRECOVERABLE (KERNEL_CHANGES["kernel-owned-page"]); until 6.12 a
 * reserved page fails HWPoisonHandlable() like any other and ends as -EIO.
 */
function getHwpoisonPage(m: Machine, pfn: number, flags: number): number {
  const mem = m.mem;
  if (mem.isReserved(pfn)) return hasChange(m.opts.kernel, "kernel-owned-page") ? -ENOTRECOVERABLE : -EIO;
  const f = mem.pageFolio(pfn);
  if (!f) return 0;
  if (!folioTest(f, PG_lru)) return f.ref === 0 ? 0 : -EIO;
  if (!(flags & MF_COUNT_INCREASED)) mem.getFolio(f);
  return 1;
}

/**
 * hwpoison_user_mappings(): collect the tasks to signal, unmap every mapping with
 * TTU_HWPOISON (a hwpoison entry replaces the PTE), then kill_procs() if the folio was dirty,
 * MF_MUST_KILL was given, or unmapping failed. With AS_MF_KEEP_UE_MAPPED on a hugetlb
 * mapping the unmap is skipped (RFC v3 patch 1/3) and the tasks are still signalled.
 */
function hwpoisonUserMappings(m: Machine, f: Folio, p: number, flags: number, current: number): boolean {
  if (!(folioTest(f, PG_lru) || folioTest(f, PG_hugetlb))) return true;
  if (f.mapcount === 0) return true;
  const tokill = collectProcs(m, f, p, (flags & MF_ACTION_REQUIRED) !== 0, current);
  const keep = folioTest(f, PG_hugetlb) && f.mapping !== null && f.mapping.keepUeMapped();
  // unmap_poisoned_folio(): a clean page of a mapping that can write back (a disk file) is just
  // unmapped, without TTU_HWPOISON: it can be read again from disk.
  const dropClean = !(flags & MF_MUST_KILL) && !folioTest(f, PG_dirty) && f.mapping !== null && f.mapping.canWriteback();
  if (dropClean) m.log.push({ kind: "policy", what: `${p.toString(16)}: corrupted page was clean: dropped without side effects`, pfn: p });
  for (const r of m.rmap(f)) {
    if (dropClean && !m.opts.unmapFails) {
      m.zapEntry(r.task, r.base, r.size);
      m.log.push({ kind: "unmap", pid: r.task.pid, addr: r.base, pfn: p, result: "dropped" });
    } else if (keep) {
      m.log.push({ kind: "unmap", pid: r.task.pid, addr: r.base, pfn: p, result: "kept-mapped" });
    } else if (m.opts.unmapFails) {
      m.log.push({ kind: "unmap", pid: r.task.pid, addr: r.base, pfn: p, result: "failed" });
    } else {
      clearEntry(r.task, r.base, r.size);
      setEntry(r.task, r.base, r.size, { pfn: p, size: r.size, hwpoison: true });
      f.mapcount--;
      m.mem.putFolio(f, 1, "try_to_unmap");
      m.log.push({ kind: "unmap", pid: r.task.pid, addr: r.base, pfn: p, result: "hwpoison-entry" });
    }
  }
  const unmapSuccess = f.mapcount === 0;
  const forcekill = folioTest(f, PG_dirty) || (flags & MF_MUST_KILL) !== 0 || !unmapSuccess;
  killProcs(m, tokill, forcekill, !unmapSuccess && !keep, flags, current, "hardware memory corruption");
  return unmapSuccess || keep;
}

type Handler = (m: Machine, p: number, f: Folio) => MfResult;

interface PageState {
  mask: number;
  res: number;
  type: MfMsg;
  action: Handler;
}

const PG_head = 1 << 30;
const PG_reserved = 1 << 29;

/** error_states[]: matched in order against the page flags (mm/memory-failure.c). */
const ERROR_STATES: readonly PageState[] = [
  { mask: PG_reserved, res: PG_reserved, type: "MF_MSG_KERNEL", action: () => "MF_IGNORED" },
  { mask: PG_head, res: PG_head, type: "MF_MSG_HUGE", action: meHugePage },
  { mask: PG_swapcache | PG_dirty, res: PG_swapcache | PG_dirty, type: "MF_MSG_DIRTY_SWAPCACHE", action: meSwapcacheDirty },
  { mask: PG_swapcache | PG_dirty, res: PG_swapcache, type: "MF_MSG_CLEAN_SWAPCACHE", action: mePagecacheClean },
  { mask: PG_mlocked | PG_dirty, res: PG_mlocked | PG_dirty, type: "MF_MSG_DIRTY_MLOCKED_LRU", action: mePagecacheDirty },
  { mask: PG_mlocked | PG_dirty, res: PG_mlocked, type: "MF_MSG_CLEAN_MLOCKED_LRU", action: mePagecacheClean },
  { mask: PG_unevictable | PG_dirty, res: PG_unevictable | PG_dirty, type: "MF_MSG_DIRTY_UNEVICTABLE_LRU", action: mePagecacheDirty },
  { mask: PG_unevictable | PG_dirty, res: PG_unevictable, type: "MF_MSG_CLEAN_UNEVICTABLE_LRU", action: mePagecacheClean },
  { mask: PG_lru | PG_dirty, res: PG_lru | PG_dirty, type: "MF_MSG_DIRTY_LRU", action: mePagecacheDirty },
  { mask: PG_lru | PG_dirty, res: PG_lru, type: "MF_MSG_CLEAN_LRU", action: mePagecacheClean },
  { mask: 0, res: 0, type: "MF_MSG_UNKNOWN", action: () => "MF_IGNORED" },
];

function pageFlagsOf(m: Machine, p: number, f: Folio, folioFlags: number): number {
  let fl = folioFlags;
  if (folioTest(f, PG_hugetlb)) fl |= PG_head;
  if (m.mem.isReserved(p)) fl |= PG_reserved;
  return fl;
}

/** identify_page_state(): first with the current flags, then with the flags saved before unmapping. */
function identifyPageState(m: Machine, pfn: number, f: Folio, savedFlags: number, flags: number): MemoryFailureResult {
  const cur = pageFlagsOf(m, pfn, f, f.flags);
  let ps = ERROR_STATES.find((s) => (cur & s.mask) === s.res) as PageState;
  if (ps.mask === 0) {
    const saved = pageFlagsOf(m, pfn, f, savedFlags | (f.flags & PG_dirty));
    ps = ERROR_STATES.find((s) => (saved & s.mask) === s.res) as PageState;
  }
  return actionResult(m, pfn, flags, ps.type, ps.action(m, pfn, f));
}

/**
 * has_extra_refcount(): page_count - 1 (MF's own reference), minus folio_nr_pages when the
 * page legitimately stays in a cache. Anything left (a FOLL_LONGTERM pin) means MF_FAILED.
 */
function hasExtraRefcount(m: Machine, f: Folio, extraPins: boolean): boolean {
  if (!m.mem.folios.has(f.pfn)) return false;
  let count = f.ref - 1;
  if (extraPins) count -= folioNrPages(f);
  if (count > 0) m.log.push({ kind: "policy", what: `pfn ${f.pfn}: still referenced by ${count} users`, pfn: f.pfn });
  return count > 0;
}

/**
 * me_pagecache_clean(): anon → MF_RECOVERED (only MF's reference should be left); shmem
 * keeps the page in the page cache (shmem_error_remove_folio), so one cache reference is
 * expected, and a further reference (a pin) gives MF_FAILED.
 */
function mePagecacheClean(m: Machine, p: number, f: Folio): MfResult {
  f.flags &= ~PG_lru; // delete_from_lru_cache()
  if (f.anon) return "MF_RECOVERED";
  if (!f.mapping) return "MF_FAILED";
  // truncate_error_folio(): shmem keeps the folio (shmem_error_remove_folio returns 0); a disk
  // file system removes it from the page cache (generic_error_remove_folio). A hugetlbfs page only
  // gets here after a policy demoted its folio (Chapter 6); hugetlbfs keeps it too.
  const keeps = f.mapping.fs === "shmem" || f.mapping.fs === "hugetlbfs";
  if (!keeps) removeFromPageCache(m, f);
  let ret: MfResult = "MF_RECOVERED";
  if (hasExtraRefcount(m, f, keeps)) ret = "MF_FAILED";
  return ret;
}

/** me_pagecache_dirty(): mapping_set_error(-EIO) (the next fsync() reports it), then as clean. */
function mePagecacheDirty(m: Machine, p: number, f: Folio): MfResult {
  if (f.mapping) f.mapping.setError();
  return mePagecacheClean(m, p, f);
}

/** truncate_inode_folio() for a poisoned page-cache folio: out of the cache, its cache references dropped. */
function removeFromPageCache(m: Machine, f: Folio): void {
  const as = f.mapping;
  if (!as || as.pages.get(f.index) !== f) return;
  as.pages.delete(f.index);
  f.mapping = null;
  f.flags &= ~PG_dirty;
  m.mem.putFolio(f, folioNrPages(f), "truncate_error_folio");
}

/** me_swapcache_dirty(): kept in swap cache, dirty bit cleared → MF_DELAYED (no swap is modelled). */
function meSwapcacheDirty(m: Machine, p: number, f: Folio): MfResult {
  f.flags &= ~(PG_dirty | PG_lru);
  return hasExtraRefcount(m, f, true) ? "MF_FAILED" : "MF_DELAYED";
}

/**
 * me_huge_page(): a file-backed hugetlb folio stays in the page cache (hugetlbfs'
 * error_remove_folio keeps it, extra_pins); an anonymous one is freed and dissolved with
 * __page_handle_poison() so its healthy 4K pages go back to the buddy allocator. With
 * AS_MF_KEEP_UE_MAPPED, MF keeps its reference for filemap_offline_hwpoison_folio() later.
 */
function meHugePage(m: Machine, p: number, f: Folio): MfResult {
  const mapping = f.mapping;
  let res: MfResult;
  let extraPins = false;
  if (mapping) {
    res = "MF_RECOVERED";
    extraPins = true;
  } else {
    f.mfRefs--;
    m.mem.putFolio(f, 1, "me_huge_page folio_put");
    res = pageHandlePoison(m, p, "me_huge_page") ? "MF_RECOVERED" : "MF_FAILED";
  }
  if (mapping && mapping.keepUeMapped()) return res;
  if (hasExtraRefcount(m, f, extraPins)) res = "MF_FAILED";
  return res;
}

/** __page_handle_poison(): dissolve a free hugetlb folio (if it is one), then take the raw page off buddy. */
export function pageHandlePoison(m: Machine, p: number, by: string): boolean {
  const f = m.mem.pageFolio(p);
  if (f && folioTest(f, PG_hugetlb)) {
    if (m.mem.dissolveFreeHugetlbFolio(f) !== 0) return false;
  } else if (f) return false;
  return m.mem.takePageOffBuddy(p, by);
}

/** Return codes of get_huge_page_for_hwpoison() (mm/memory-failure.c, both kernels). */
const MF_HUGETLB_FREED = 0;
const MF_HUGETLB_IN_USED = 1;
// MF_HUGETLB_NON_HUGEPAGE (2): the model returns null instead.
const MF_HUGETLB_FOLIO_PRE_POISONED = 3;
const MF_HUGETLB_PAGE_PRE_POISONED = 4;
const MF_HUGETLB_RETRY = 5;

/**
 * hugetlb_update_hwpoison() (6.12.117 and 7.3; folio_set_hugetlb_hwpoison() in older trees): sets
 * the folio's HWPoison and records the raw page in the raw_hwp list. Returns
 * MF_HUGETLB_PAGE_PRE_POISONED if this raw page is recorded already, MF_HUGETLB_FOLIO_PRE_POISONED
 * if the folio was poisoned before (or its list is unreliable), else 0. If the GFP_ATOMIC
 * allocation fails the folio becomes hugetlb_raw_hwp_unreliable and the list is dropped
 * (__folio_free_raw_hwp(), which uncounts each entry). With AS_MF_KEEP_UE_MAPPED a new raw page
 * counts as a new error (RFC v3 patch 1/3, not merged).
 */
function hugetlbUpdateHwpoison(m: Machine, f: Folio, p: number): number {
  const pre = folioTest(f, PG_hwpoison) ? MF_HUGETLB_FOLIO_PRE_POISONED : 0;
  f.flags |= PG_hwpoison;
  if (folioTest(f, PG_hugetlb_raw_hwp_unreliable)) return MF_HUGETLB_FOLIO_PRE_POISONED;
  if (!f.rawHwp) f.rawHwp = new Set();
  if (f.rawHwp.has(p)) return MF_HUGETLB_PAGE_PRE_POISONED;
  if (m.opts.rawHwpAllocFails) {
    f.flags |= PG_hugetlb_raw_hwp_unreliable;
    m.numPoisonedPages -= f.rawHwp.size;
    f.rawHwp.clear();
    return pre;
  }
  f.rawHwp.add(p);
  if (f.mapping && f.mapping.keepUeMapped()) return 0;
  return pre;
}

/**
 * get_huge_page_for_hwpoison(): which case the hugetlb folio is in, and whether a reference was
 * taken for MF. The caller's reference (MF_COUNT_INCREASED: MADV_HWPOISON's GUP reference) is
 * used as is; otherwise folio_try_get() happens only while the folio is hugetlb_migratable, which
 * the first error clears. A later error on an in-use folio therefore takes the MF_HUGETLB_RETRY
 * path (retried once with MF_NO_RETRY) and takes no reference. A pre-poisoned result drops the
 * reference taken.
 *
 * With AS_MF_KEEP_UE_MAPPED (RFC v3, not merged) a new raw page on that RETRY path is a new error.
 * What v3 does there was not in the material read: run unchanged, the 7.3 code would end it as
 * MF_MSG_GET_HWPOISON / MF_IGNORED. The model follows the cover letter instead ("whenever it runs
 * into a new UE ... sends SIGBUS to the consuming thread") and handles it as in use, without a
 * reference: the references come from MF_COUNT_INCREASED, as found in review of v3 (Mar 2026).
 */
function getHugePageForHwpoison(m: Machine, f: Folio, p: number, flags: number): { res: number; countIncreased: boolean } {
  let res: number;
  let countIncreased = false;
  if (flags & MF_COUNT_INCREASED) {
    res = MF_HUGETLB_IN_USED;
    countIncreased = true;
  } else if (folioTest(f, PG_hugetlb_freed)) {
    res = MF_HUGETLB_FREED;
  } else if (folioTest(f, PG_hugetlb_migratable)) {
    m.mem.getFolio(f);
    res = MF_HUGETLB_IN_USED;
    countIncreased = true;
  } else {
    res = MF_HUGETLB_RETRY;
    if (!(flags & MF_NO_RETRY)) return { res, countIncreased };
  }
  const rc = hugetlbUpdateHwpoison(m, f, p);
  if (rc >= MF_HUGETLB_FOLIO_PRE_POISONED) {
    if (countIncreased) m.mem.putFolio(f, 1, "already poisoned hugetlb");
    return { res: rc, countIncreased: false };
  }
  if (countIncreased) f.flags &= ~PG_hugetlb_migratable;
  if (res === MF_HUGETLB_RETRY && f.mapping && f.mapping.keepUeMapped()) res = MF_HUGETLB_IN_USED; // the RFC, see above
  return { res, countIncreased };
}

/**
 * try_memory_failure_hugetlb(): null when the page is not hugetlb (normal handling follows).
 * A new raw page in a poisoned folio is MF_MSG_HUGE / MF_FAILED, the same raw page again
 * MF_MSG_ALREADY_POISONED / MF_FAILED (MF_HUGETLB_FOLIO_PRE_POISONED vs _PAGE_PRE_POISONED),
 * both signalling the current task through kill_accessing_process() for an action-required
 * error. A free folio is dissolved at once (MF_MSG_FREE_HUGE); an in-use one has its mappings
 * handled and goes to me_huge_page(). Unchanged between 6.12.117 and 7.3.
 */
function tryMemoryFailureHugetlb(m: Machine, pfn: number, flags: number, current: number): MemoryFailureResult | null {
  const f = m.mem.pageFolio(pfn);
  if (!f || !folioTest(f, PG_hugetlb)) return null; // MF_HUGETLB_NON_HUGEPAGE
  // Not in mainline: a policy hook (Chapter 6) may demote the folio; the page is then handled as a small one.
  if (m.opts.policyHooks.splitHugetlbFolio?.(f, pfn) && demoteHugetlbFolio(m, f, pfn)) return null;
  let got = getHugePageForHwpoison(m, f, pfn, flags);
  if (got.res === MF_HUGETLB_RETRY) {
    flags |= MF_NO_RETRY;
    got = getHugePageForHwpoison(m, f, pfn, flags);
    if (got.res === MF_HUGETLB_RETRY) return actionResult(m, pfn, flags, "MF_MSG_GET_HWPOISON", "MF_IGNORED");
  }
  const res = got.res;
  if (res === MF_HUGETLB_FOLIO_PRE_POISONED || res === MF_HUGETLB_PAGE_PRE_POISONED) {
    let ret = -EHWPOISON;
    if (flags & MF_ACTION_REQUIRED) ret = killAccessingProcess(m, current, pfn, flags);
    const type: MfMsg = res === MF_HUGETLB_PAGE_PRE_POISONED ? "MF_MSG_ALREADY_POISONED" : "MF_MSG_HUGE";
    actionResult(m, pfn, flags, type, "MF_FAILED");
    return { ret, type, result: "MF_FAILED" };
  }
  if (res === MF_HUGETLB_FREED) {
    const ok = pageHandlePoison(m, pfn, "memory_failure (free hugetlb)");
    return actionResult(m, pfn, flags, "MF_MSG_FREE_HUGE", ok ? "MF_RECOVERED" : "MF_FAILED");
  }
  // MF_HUGETLB_IN_USED: the reference taken (or handed over by the caller) is MF's.
  if (got.countIncreased) f.mfRefs++;
  const saved = f.flags;
  if (!hwpoisonUserMappings(m, f, pfn, flags, current)) {
    return actionResult(m, pfn, flags, "MF_MSG_UNMAP_FAILED", "MF_FAILED");
  }
  return identifyPageState(m, pfn, f, saved, flags);
}
