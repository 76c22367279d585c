import { ParameterError } from "../../core/errors.js";
import { basePagesPer, type PageSize } from "../../core/units.js";
import { EBUSY, ENOMEM, GUP_PIN_COUNTING_BIAS, MAX_PAGE_ORDER, ORDER_1G, ORDER_2M } from "../constants.js";
import type { EventLog } from "../events.js";
import { BuddyAllocator } from "./buddy.js";
import {
  newFolio, folioNrPages, folioTest, type Folio,
  PG_has_hwpoisoned, PG_hugetlb, PG_hugetlb_freed, PG_hugetlb_migratable, PG_hugetlb_raw_hwp_unreliable, PG_hugetlb_vmemmap_optimized, PG_hwpoison,
} from "./folio.js";
import { Hstate } from "./hugetlb.js";
import type { MemWatch } from "./watch.js";

export interface PhysMemOptions {
  nrFrames: number;
  reservedFrames: number;
  hugetlb: Partial<Record<"2M" | "1G", number>>;
  /** HugeTLB Vmemmap Optimization on: dissolving needs vmemmap pages back. */
  hvo: boolean;
  /** With HVO, make hugetlb_vmemmap_restore_folio() fail, so dissolve returns -ENOMEM. */
  hvoRestoreFails: boolean;
  /** free_has_hwpoisoned() (Jiaqi Yan's 2026 page_alloc series): free only the healthy pages of a has_hwpoisoned folio. */
  freeHasHwpoisoned?: boolean;
}

/**
 * Physical memory: frames [0, nrFrames) split into reserved kernel frames, the buddy
 * allocator, allocated folios (a Map keyed by head pfn), HugeTLB pools, and pages taken off
 * the buddy lists after poison. Per-page state is sparse (Sets and Maps), so a 640G machine
 * costs memory only for what is allocated or poisoned.
 */
export class PhysMem {
  readonly nrFrames: number;
  readonly reservedFrames: number;
  readonly buddy: BuddyAllocator;
  readonly folios = new Map<number, Folio>();
  readonly hstates = new Map<PageSize, Hstate>();
  /** PG_hwpoison on raw (non-hugetlb) pages, including pages taken off buddy. */
  readonly hwpoison = new Set<number>();
  /** PageHWPoisonTakenOff: raw pages removed from the buddy allocator by MF or soft offline. */
  readonly takenOff = new Set<number>();
  /** Frames memory_failure() was told are bad (hardware or injected), and when. */
  readonly badFrames = new Map<number, number>();
  /**
   * The subset of badFrames that only software declared bad (MF_SW_SIMULATED: MADV_HWPOISON, the
   * hwpoison-inject module): the kernel's flags say poisoned, but the cells hold good data, so a
   * load or a DMA that still reaches the frame completes normally.
   */
  readonly injected = new Set<number>();
  /** Bad frames per 4M block, so an allocation checks one bucket instead of every bad frame. */
  private readonly badPerBlock = new Map<number, number>();
  folioFrames = 0;
  private seq = 0;
  /** The incremental invariant checker, told of every change it needs (set by ../invariants.ts). */
  watch: MemWatch | undefined;

  constructor(opts: PhysMemOptions, readonly log: EventLog) {
    this.nrFrames = opts.nrFrames;
    this.reservedFrames = opts.reservedFrames;
    this.buddy = new BuddyAllocator(opts.nrFrames);
    // hugetlb_hstate_alloc_pages() at boot: gigantic pages first, from the top of memory.
    let top = opts.nrFrames;
    for (const [size, order] of [["1G", ORDER_1G], ["2M", ORDER_2M]] as const) {
      const h = new Hstate(size, order);
      this.hstates.set(size, h);
      const n = opts.hugetlb[size] ?? 0;
      const per = 2 ** order;
      if (n === 0) continue;
      top -= top % per;
      if (top - n * per < opts.reservedFrames) {
        throw new ParameterError(`hugetlb.${size}`, `${n} pages do not fit in memory`, "use a smaller pool or more memory");
      }
      for (let i = 0; i < n; i++) {
        top -= per;
        const f = newFolio(top, order, PG_hugetlb | PG_hugetlb_freed | (opts.hvo ? PG_hugetlb_vmemmap_optimized : 0), this.seq++);
        this.folios.set(top, f);
        this.folioFrames += per;
        h.nrHugepages++;
        h.freeList.push(f);
      }
    }
    this.buddy.freeRange(opts.reservedFrames, top - opts.reservedFrames);
    this.hvoRestoreFails = opts.hvo && opts.hvoRestoreFails;
    this.freeHasHwpoisoned = opts.freeHasHwpoisoned ?? false;
  }

  private readonly freeHasHwpoisoned: boolean;

  /** Hugetlb folios whose poisoned raw pages are to be offlined when the folio is freed ("deferred" release, Chapter 6). */
  private readonly deferredOffline = new Map<Folio, number[]>();

  /** Marks a hugetlb folio to be dissolved, its `raws` kept off the allocator, when its last reference drops. */
  offlineWhenFreed(f: Folio, raws: readonly number[]): void {
    this.deferredOffline.set(f, [...raws]);
  }

  isDeferredOffline(f: Folio): boolean {
    return this.deferredOffline.has(f);
  }

  private readonly hvoRestoreFails: boolean;

  /** page_folio(pfn): the allocated folio containing pfn, if any. */
  pageFolio(pfn: number): Folio | undefined {
    let f = this.folios.get(pfn);
    if (f) return f;
    f = this.folios.get(pfn - (pfn % 2 ** ORDER_2M));
    if (f && f.order >= ORDER_2M) return f;
    f = this.folios.get(pfn - (pfn % 2 ** ORDER_1G));
    if (f && f.order >= ORDER_1G) return f;
    return undefined;
  }

  isReserved(pfn: number): boolean {
    return pfn < this.reservedFrames;
  }

  /** Records an error reported on a frame; `injected` when software declared it (MF_SW_SIMULATED). */
  markBad(pfn: number, injected = false): void {
    if (!injected) this.injected.delete(pfn);
    if (this.badFrames.has(pfn)) return;
    if (injected) this.injected.add(pfn);
    this.badFrames.set(pfn, this.seq++);
    this.watch?.bad(pfn);
    const b = Math.floor(pfn / 2 ** MAX_PAGE_ORDER);
    this.badPerBlock.set(b, (this.badPerBlock.get(b) ?? 0) + 1);
  }

  /** unpoison_memory() of a software-injected error clears the frame. */
  clearBad(pfn: number): void {
    if (!this.badFrames.delete(pfn)) return;
    const b = Math.floor(pfn / 2 ** MAX_PAGE_ORDER);
    const n = (this.badPerBlock.get(b) ?? 1) - 1;
    if (n > 0) this.badPerBlock.set(b, n);
    else this.badPerBlock.delete(b);
  }

  /** A real uncorrected error: reading the frame consumes poison (a machine check, an SEA, a poisoned DMA completion). */
  isCorrupt(pfn: number): boolean {
    return this.badFrames.has(pfn) && !this.injected.has(pfn);
  }

  /** Bad frames inside [pfn, pfn + 2^order) for order ≤ MAX_PAGE_ORDER. */
  badIn(pfn: number, order: number): number[] {
    const b = Math.floor(pfn / 2 ** MAX_PAGE_ORDER);
    if (!this.badPerBlock.has(b)) return [];
    const out: number[] = [];
    for (let p = pfn; p < pfn + 2 ** order; p++) if (this.badFrames.has(p)) out.push(p);
    return out;
  }

  /** Allocates a folio from the buddy allocator; checks the invariant that no bad frame is handed out. */
  allocFolio(order: number, flags: number, what: string): Folio | null {
    const pfn = this.buddy.alloc(order);
    if (pfn < 0) return null;
    const f = newFolio(pfn, order, flags, this.seq++);
    this.folios.set(pfn, f);
    this.folioFrames += 2 ** order;
    this.watch?.folio(f);
    this.log.push({ kind: "alloc", pfn, order, what });
    for (const bad of this.badIn(pfn, order)) {
      this.log.violation("poisoned-frame-allocated", `the allocator handed out poisoned pfn ${bad} (in a ${what} folio at pfn ${pfn})`);
    }
    return f;
  }

  /** dequeue_hugetlb_folio_node_exact(): a free pool folio, skipping HWPoison ones. */
  dequeueHugetlb(size: PageSize): Folio | null {
    const h = this.hstates.get(size);
    if (!h) return null;
    for (let i = h.freeList.length - 1; i >= 0; i--) {
      const f = h.freeList[i];
      if (folioTest(f, PG_hwpoison)) continue;
      h.freeList.splice(i, 1);
      f.flags &= ~PG_hugetlb_freed;
      f.flags |= PG_hugetlb_migratable; // hugetlb_no_page() on a new folio
      this.watch?.folio(f);
      this.log.push({ kind: "alloc", pfn: f.pfn, order: f.order, what: `hugetlb ${size}` });
      return f;
    }
    return null;
  }

  hstateOf(f: Folio): Hstate {
    return this.hstates.get(f.order === ORDER_1G ? "1G" : "2M") as Hstate;
  }

  /** folio_get / page_ref_add. */
  getFolio(f: Folio, n = 1): void {
    f.ref += n;
    this.watch?.folio(f);
  }

  /** folio_put(): drops references; at zero the folio goes back to the buddy or the hugetlb pool. */
  putFolio(f: Folio, n = 1, why = "put"): void {
    f.ref -= n;
    this.watch?.folio(f);
    if (f.ref < 0) {
      this.log.violation("refcount-negative", `folio at pfn ${f.pfn} has refcount ${f.ref} after ${why}`);
      f.ref = 0;
    }
    if (f.ref === 0) this.freeFolio(f);
  }

  /** pin_user_pages(FOLL_LONGTERM) on a folio; `n` pins of a large folio (one per page, as try_grab_folio / folio_add_pins). */
  pin(f: Folio, n = 1): void {
    f.pincount += n;
    f.ref += f.order === 0 ? GUP_PIN_COUNTING_BIAS * n : n;
    this.watch?.folio(f);
  }

  unpin(f: Folio, n = 1): void {
    const k = Math.min(n, f.pincount);
    if (k === 0) return;
    f.pincount -= k;
    this.putFolio(f, f.order === 0 ? GUP_PIN_COUNTING_BIAS * k : k, "unpin");
  }

  /** free_huge_folio() for hugetlb, else __free_pages() back to the buddy allocator. */
  private freeFolio(f: Folio): void {
    if (folioTest(f, PG_hugetlb)) {
      const h = this.hstateOf(f);
      f.mapping = null;
      f.anon = null;
      f.flags = (f.flags & (PG_hugetlb | PG_hwpoison | PG_hugetlb_raw_hwp_unreliable | PG_hugetlb_vmemmap_optimized)) | PG_hugetlb_freed;
      h.freeList.push(f);
      this.log.push({ kind: "free", pfn: f.pfn, order: f.order, what: `hugetlb ${h.size} to pool` });
      const raws = this.deferredOffline.get(f);
      if (raws) {
        // The "deferred" release path (a proposal): the free_folio time offline.
        this.deferredOffline.delete(f);
        if (this.dissolveFreeHugetlbFolio(f) === 0) {
          for (const raw of raws) {
            this.takePageOffBuddy(raw, "deferred offline at free");
            this.hwpoison.add(raw);
          }
        }
      }
      return;
    }
    this.folios.delete(f.pfn);
    this.folioFrames -= folioNrPages(f);
    this.watch?.folioGone(f);
    if (f.order === 0 && this.hwpoison.has(f.pfn)) {
      // free_pages_prepare() (mm/page_alloc.c): "Do not let hwpoison pages hit pcplists/buddy";
      // an order-0 poisoned page is dropped on free instead of being returned.
      this.takenOff.add(f.pfn);
      this.log.push({ kind: "offline", pfn: f.pfn, how: "held-by-mf", by: "free_pages_prepare" });
      return;
    }
    if (f.order > 0 && folioTest(f, PG_has_hwpoisoned) && this.freeHasHwpoisoned) {
      // free_has_hwpoisoned(): healthy pages go back, poisoned ones stay off.
      let run = f.pfn;
      for (let p = f.pfn; p <= f.pfn + folioNrPages(f); p++) {
        const end = p === f.pfn + folioNrPages(f);
        if (!end && !this.hwpoison.has(p)) continue;
        if (p > run) {
          this.buddy.freeRange(run, p - run);
          this.watch?.freed(run, p - run);
        }
        if (!end) {
          this.takenOff.add(p);
          this.log.push({ kind: "offline", pfn: p, how: "held-by-mf", by: "free_has_hwpoisoned" });
        }
        run = p + 1;
      }
      this.log.push({ kind: "free", pfn: f.pfn, order: f.order, what: "healthy pages to buddy (free_has_hwpoisoned)" });
      return;
    }
    // Mainline __free_pages(): a high-order folio goes back whole, poisoned subpages included.
    this.buddy.freeBlock(f.pfn, f.order);
    this.watch?.freed(f.pfn, folioNrPages(f));
    this.log.push({ kind: "free", pfn: f.pfn, order: f.order, what: "to buddy" });
  }

  /**
   * dissolve_free_hugetlb_folio() (mm/hugetlb.c): a free hugetlb folio goes back to the buddy
   * allocator as 4K pages. 0 on success (or not hugetlb), -EBUSY while referenced, -ENOMEM when
   * HVO cannot restore the vmemmap. On success the folio's HWPoison moves to its raw pages
   * (folio_clear_hugetlb_hwpoison), which stay in the buddy lists until taken off.
   */
  dissolveFreeHugetlbFolio(f: Folio): number {
    if (!folioTest(f, PG_hugetlb) || !this.folios.has(f.pfn)) return 0;
    let ret = 0;
    if (f.ref !== 0 || !folioTest(f, PG_hugetlb_freed)) ret = -EBUSY;
    // A folio whose raw error list is unreliable must never be freed (hugetlb_update_hwpoison).
    else if (folioTest(f, PG_hugetlb_raw_hwp_unreliable)) ret = -EBUSY;
    else if (folioTest(f, PG_hugetlb_vmemmap_optimized) && this.hvoRestoreFails) ret = -ENOMEM;
    this.log.push({ kind: "dissolve", pfn: f.pfn, order: f.order, ret });
    if (ret !== 0) return ret;
    const h = this.hstateOf(f);
    h.removeFree(f);
    h.nrHugepages--;
    this.folios.delete(f.pfn);
    this.folioFrames -= folioNrPages(f);
    this.watch?.folioGone(f);
    if (folioTest(f, PG_hwpoison) && f.rawHwp) for (const raw of f.rawHwp) this.hwpoison.add(raw);
    f.rawHwp = null;
    f.flags = 0;
    this.buddy.freeRange(f.pfn, folioNrPages(f));
    this.watch?.freed(f.pfn, folioNrPages(f));
    this.log.push({ kind: "free", pfn: f.pfn, order: f.order, what: `dissolved hugetlb ${h.size} to buddy` });
    return 0;
  }

  /** take_page_off_buddy(): removes a free raw page from the allocator for good. */
  takePageOffBuddy(pfn: number, by: string): boolean {
    if (!this.buddy.takePageOff(pfn)) return false;
    this.takenOff.add(pfn);
    this.log.push({ kind: "offline", pfn, how: "take_page_off_buddy", by });
    return true;
  }

  /** put_page_back_buddy() (unpoison of a taken-off page). */
  putPageBackBuddy(pfn: number): boolean {
    if (!this.takenOff.delete(pfn)) return false;
    this.buddy.freeBlock(pfn, 0);
    this.watch?.freed(pfn, 1);
    return true;
  }

  /** Pages of `size` in 4K frames. */
  static framesOf(size: PageSize): number {
    return basePagesPer(size);
  }
}
