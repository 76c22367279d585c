import { MAX_PAGE_ORDER } from "../constants.js";

/**
 * The buddy allocator (mm/page_alloc.c): free blocks per order with split on allocation and
 * merge on free. Blocks are kept by head pfn, so asking "is this pfn free?" looks at most
 * MAX_PAGE_ORDER+1 candidates and never scans frames. Allocation is LIFO (the most recently
 * freed block first), which is how per-CPU lists hand back hot pages (__rmqueue_pcplist).
 */
export class BuddyAllocator {
  private readonly free: Set<number>[] = [];
  /** LIFO stacks with lazy deletion: an entry is valid only while `free[order]` has it. */
  private readonly stack: number[][] = [];
  /** Number of free 4K frames. */
  nrFree = 0;

  constructor(readonly nrFrames: number) {
    for (let o = 0; o <= MAX_PAGE_ORDER; o++) {
      this.free.push(new Set());
      this.stack.push([]);
    }
  }

  private add(pfn: number, order: number): void {
    this.free[order].add(pfn);
    this.stack[order].push(pfn);
    this.nrFree += 2 ** order;
  }

  private remove(pfn: number, order: number): void {
    this.free[order].delete(pfn);
    this.nrFree -= 2 ** order;
  }

  /** Puts [pfn, pfn+count) on the free lists as the largest aligned blocks (boot, dissolve). */
  freeRange(pfn: number, count: number): void {
    let p = pfn;
    const end = pfn + count;
    while (p < end) {
      let o = MAX_PAGE_ORDER;
      while (o > 0 && (p % 2 ** o !== 0 || p + 2 ** o > end)) o--;
      this.freeBlock(p, o);
      p += 2 ** o;
    }
  }

  /** __free_one_page(): frees a block and merges it with free buddies. */
  freeBlock(pfn: number, order: number): void {
    let p = pfn;
    let o = order;
    while (o < MAX_PAGE_ORDER) {
      const buddy = p ^ (2 ** o);
      if (buddy + 2 ** o > this.nrFrames || !this.free[o].has(buddy)) break;
      this.remove(buddy, o);
      p = Math.min(p, buddy);
      o++;
    }
    this.add(p, o);
  }

  /** __rmqueue(): takes a block of `order`, splitting a larger one if needed; -1 when none. */
  alloc(order: number): number {
    for (let o = order; o <= MAX_PAGE_ORDER; o++) {
      const st = this.stack[o];
      while (st.length > 0) {
        const pfn = st.pop() as number;
        if (!this.free[o].has(pfn)) continue;
        this.remove(pfn, o);
        // expand(): give back the upper halves.
        for (let k = o - 1; k >= order; k--) this.add(pfn + 2 ** k, k);
        return pfn;
      }
    }
    return -1;
  }

  /** The free block containing pfn, if any: its head and order. */
  blockOf(pfn: number): { head: number; order: number } | null {
    for (let o = 0; o <= MAX_PAGE_ORDER; o++) {
      const head = pfn - (pfn % 2 ** o);
      if (this.free[o].has(head)) return { head, order: o };
    }
    return null;
  }

  /** is_free_buddy_page(). */
  isFree(pfn: number): boolean {
    return this.blockOf(pfn) !== null;
  }

  /** PageBuddy(page): true only for the head page of a free block. */
  isBuddyHead(pfn: number): boolean {
    for (let o = 0; o <= MAX_PAGE_ORDER; o++) if (this.free[o].has(pfn)) return true;
    return false;
  }

  /**
   * take_page_off_buddy(): removes exactly one page from the free lists, giving the rest of
   * its block back as smaller blocks (break_down_buddy_pages). False if pfn is not free.
   */
  takePageOff(pfn: number): boolean {
    const b = this.blockOf(pfn);
    if (!b) return false;
    this.remove(b.head, b.order);
    let head = b.head;
    for (let o = b.order - 1; o >= 0; o--) {
      const half = 2 ** o;
      if (pfn < head + half) {
        this.add(head + half, o);
      } else {
        this.add(head, o);
        head += half;
      }
    }
    return true;
  }

  /** Every free block, for the invariant checker and summaries. */
  *blocks(): IterableIterator<{ head: number; order: number }> {
    for (let o = 0; o <= MAX_PAGE_ORDER; o++) for (const head of this.free[o]) yield { head, order: o };
  }

  /** Free blocks per order (/proc/buddyinfo). */
  buddyinfo(): number[] {
    return this.free.map((s) => s.size);
  }
}
