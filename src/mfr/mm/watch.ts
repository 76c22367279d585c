// Hooks for the incremental invariant checks (../invariants.ts). The few places that change what
// the invariants are about (folios, free frames, bad frames, page-table entries) report it here,
// and after each step the checker looks at those changes only, so a step costs what it changed,
// not what the machine holds. Nothing is recorded unless a checker is watching.
import type { PageSize } from "../../core/units.js";
import type { Folio } from "./folio.js";
import type { Pte, Task } from "./process.js";

export interface MemWatch {
  /** A folio was created (allocated, split off) or its counts or flags changed. */
  folio(f: Folio): void;
  /** A folio left the folio map (freed to the buddy allocator, dissolved, split). */
  folioGone(f: Folio): void;
  /** Frames [pfn, pfn + count) went (back) to the buddy allocator. */
  freed(pfn: number, count: number): void;
  /** A frame got an uncorrected error. */
  bad(pfn: number): void;
  /** The page-table entry of `t` at `base` changed from `old` to `now` (undefined: none). */
  pte(t: Task, base: number, size: PageSize, old: Pte | undefined, now: Pte | undefined): void;
}

/** Page-table changes go to the checker of the machine whose step is running (set by invariants.ts). */
let stepWatch: MemWatch | undefined;

export function setStepWatch(w: MemWatch | undefined): MemWatch | undefined {
  const prev = stepWatch;
  stepWatch = w;
  return prev;
}

export function notePte(t: Task, base: number, size: PageSize, old: Pte | undefined, now: Pte | undefined): void {
  stepWatch?.pte(t, base, size, old, now);
}
