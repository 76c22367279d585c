import { PAGE_SIZE_SHIFT, type PageSize } from "../../core/units.js";
import type { Pte, Task } from "./process.js";
import { notePte } from "./watch.js";

/** A resolved page-table entry: the entry, its level, and the virtual address it starts at. */
export interface WalkResult {
  pte: Pte;
  size: PageSize;
  base: number;
}

const UNIT: Readonly<Record<PageSize, number>> = { "4K": 2 ** PAGE_SIZE_SHIFT["4K"], "2M": 2 ** PAGE_SIZE_SHIFT["2M"], "1G": 2 ** PAGE_SIZE_SHIFT["1G"] };

function table(t: Task, size: PageSize): Map<number, Pte> {
  return size === "1G" ? t.pud : size === "2M" ? t.pmd : t.pte;
}

/** Page-size unit in bytes. */
export function unitOf(size: PageSize): number {
  return UNIT[size];
}

/** Rounds an address down to a page-size boundary (addresses exceed 2^32: no bit operations). */
export function alignDown(addr: number, size: PageSize): number {
  return addr - (addr % UNIT[size]);
}

/** Walks PUD, PMD then PTE level for `addr` (follow_page / the hwpoison page walk). */
export function walk(t: Task, addr: number): WalkResult | undefined {
  for (const size of ["1G", "2M", "4K"] as const) {
    const base = alignDown(addr, size);
    const pte = table(t, size).get(base / UNIT[size]);
    if (pte) return { pte, size, base };
  }
  return undefined;
}

export function getEntry(t: Task, base: number, size: PageSize): Pte | undefined {
  return table(t, size).get(base / UNIT[size]);
}

export function setEntry(t: Task, base: number, size: PageSize, pte: Pte): void {
  const tbl = table(t, size);
  const old = tbl.get(base / UNIT[size]);
  tbl.set(base / UNIT[size], pte);
  notePte(t, base, size, old, pte);
}

export function clearEntry(t: Task, base: number, size: PageSize): void {
  const tbl = table(t, size);
  const old = tbl.get(base / UNIT[size]);
  tbl.delete(base / UNIT[size]);
  notePte(t, base, size, old, undefined);
}

/** Every entry of a task, for teardown and the invariant checker. */
export function* entries(t: Task): IterableIterator<WalkResult> {
  for (const size of ["1G", "2M", "4K"] as const) {
    for (const [k, pte] of table(t, size)) yield { pte, size, base: k * UNIT[size] };
  }
}

/** Entries in [start, end) of a task (zap_page_range). */
export function entriesIn(t: Task, start: number, end: number): WalkResult[] {
  const out: WalkResult[] = [];
  for (const e of entries(t)) if (e.base >= start && e.base < end) out.push(e);
  return out;
}
