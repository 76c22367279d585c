import type { PageSize } from "../../core/units.js";
import type { Folio } from "./folio.js";

/**
 * One HugeTLB pool (struct hstate) for a page size: nr_hugepages counts every hugetlb folio of
 * this size, free_hugepages the ones on the free list. Poisoned free folios stay counted as
 * free but dequeue_hugetlb_folio_node_exact() skips them.
 */
export class Hstate {
  nrHugepages = 0;
  readonly freeList: Folio[] = [];

  constructor(readonly size: PageSize, readonly order: number) {}

  get freeHugepages(): number {
    return this.freeList.length;
  }

  removeFree(f: Folio): void {
    const i = this.freeList.indexOf(f);
    if (i >= 0) this.freeList.splice(i, 1);
  }
}
