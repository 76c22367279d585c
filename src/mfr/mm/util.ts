// Small helpers shared by machine.ts and the modules it calls. They live here, not in
// machine.ts, so that no module imports a value from machine.ts (tslab cannot load import cycles).
import type { PageSize } from "../../core/units.js";
import type { Machine } from "../machine.js";
import { ORDER_1G, ORDER_2M } from "../constants.js";
import type { Folio } from "./folio.js";
import { entries } from "./pagetable.js";
import type { Task, Vma } from "./process.js";

/** Page size of a folio's mapping unit. */
export function folioPageSize(f: Folio): PageSize {
  return f.order >= ORDER_1G ? "1G" : f.order >= ORDER_2M ? "2M" : "4K";
}

/** vma_address(): the user address of page offset `index` in a file VMA, or -1 outside it. */
export function vmaAddress(v: Vma, index: number): number {
  const a = v.start + (index - v.pgoff) * 4096;
  return a >= v.start && a < v.end ? a : -1;
}

/** All entries of all tasks, for the invariant checker. */
export function* allEntries(m: Machine): IterableIterator<{ task: Task; pte: { pfn: number; hwpoison: boolean }; size: PageSize; base: number }> {
  for (const task of m.tasks.values()) {
    if (!task.alive) continue;
    for (const e of entries(task)) yield { task, pte: e.pte, size: e.size, base: e.base };
  }
}
