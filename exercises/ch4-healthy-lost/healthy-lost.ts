// Exercise 4.2 — Healthy GFNs lost: what errors in guest_memfd cost the guest (Chapter 4).
// After seeded memory errors in a confidential VM's private memory, count the GFNs zapped from
// stage-2, the healthy GFNs the guest can no longer fault back in, and the stage-2 leaf entries
// left. The tests build each VM with the library's GuestMemfdVm and compare.
import { basePagesPer, parseSize, type GmemPolicy, type PageSize } from "../../src/index.js";

export interface LossScenario {
  /** Private memory, e.g. "16G": one guest_memfd file bound at GFN 0, a whole number of folios. */
  memory: string;
  /** Every folio of the file has this size ("4K" mainline; "2M" and "1G" the 1G RFC's). */
  folioSize: PageSize;
  /** zap-folio (mainline), keep-mapped (Jason), split-then-zap (a proposal). */
  policy: GmemPolicy;
  /**
   * "folio": after an error the whole folio refuses to fault back in (folio_test_hwpoison() on the
   * head page); "page": only the poisoned GFN does.
   */
  hwpoisonScope: "folio" | "page";
  /** The poisoned GFNs, distinct, in the order the errors arrive. */
  errorGfns: number[];
}

export interface LossAnswer {
  /** GFNs not mapped in stage-2 after the errors. */
  zappedGfns: number;
  /** Healthy (not poisoned) GFNs that are zapped and whose re-fault is refused. */
  healthyGfnsLost: number;
  /** Stage-2 leaf entries mapping private memory: one per whole folio, fewer or more after a zap or a split. */
  stage2Leaves: number;
}

/**
 * GFNs zapped, healthy GFNs lost and stage-2 leaves after the errors, with no vCPU access since.
 * - zap-folio: each error zaps its whole folio (kvm_gmem_error_folio()); a zapped folio has no leaf.
 * - keep-mapped: nothing is zapped; every folio keeps its one leaf.
 * - split-then-zap: the folio is split down to the poisoned 4K page (a 1G folio into 512 × 2M,
 *   and only the 2M pieces that hold a poisoned page into 512 × 4K; a 2M folio into 512 × 4K) and
 *   only the poisoned 4K pages are zapped; every piece left is one leaf.
 */
export function lossAfterErrors(s: LossScenario): LossAnswer {
  throw new Error("TODO: group the errors by folio, then count per policy");
}
