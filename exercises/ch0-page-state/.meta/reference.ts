// Exercise 0.2 — identify_page_state(): from page flags to MF_MSG type (Chapter 0).
// Write the table lookup; the grader sets the same flags on pages of the library's model,
// runs memory_failure() on them and compares the MF_MSG type it reports.
// Reference solution: the student's file is generated from this one (see src/grader/stubs.ts). // reference-only
import type { MfMsg } from "../../../src/index.js";

/** The page flags identify_page_state() looks at (the PG_* bits of struct page / folio). */
export interface PageFlags {
  /** The page belongs to a compound (here: HugeTLB) folio: PG_head on its head. */
  head: boolean;
  /** PG_dirty: the page holds data not written back anywhere. */
  dirty: boolean;
  /** PG_swapcache: the page is in the swap cache. */
  swapcache: boolean;
  /** PG_mlocked: locked in memory by mlock(). */
  mlocked: boolean;
  /** PG_unevictable: on the unevictable LRU list. */
  unevictable: boolean;
  /** PG_lru: on an LRU list (every user page the model hands to the table is). */
  lru: boolean;
}

/**
 * identify_page_state() with error_states[] (mm/memory-failure.c): the first row whose mask
 * matches decides the type. Rows in the kernel's order, each "mask → value": see README.md.
 */
export function identifyPageState(flags: PageFlags): MfMsg {
  // BEGIN SOLUTION: walk error_states[] in order and return the type of the first row that matches
  for (const row of ERROR_STATES) {
    if (row.mask.every((f) => flags[f] === row.value.includes(f))) return row.type;
  }
  return "MF_MSG_UNKNOWN";
  // END SOLUTION
}

// BEGIN SOLUTION
type Flag = keyof PageFlags;
/** error_states[] without the reserved row (get_hwpoison_page() refuses reserved pages earlier). */
const ERROR_STATES: { mask: Flag[]; value: Flag[]; type: MfMsg }[] = [
  { mask: ["head"], value: ["head"], type: "MF_MSG_HUGE" },
  { mask: ["swapcache", "dirty"], value: ["swapcache", "dirty"], type: "MF_MSG_DIRTY_SWAPCACHE" },
  { mask: ["swapcache", "dirty"], value: ["swapcache"], type: "MF_MSG_CLEAN_SWAPCACHE" },
  { mask: ["mlocked", "dirty"], value: ["mlocked", "dirty"], type: "MF_MSG_DIRTY_MLOCKED_LRU" },
  { mask: ["mlocked", "dirty"], value: ["mlocked"], type: "MF_MSG_CLEAN_MLOCKED_LRU" },
  { mask: ["unevictable", "dirty"], value: ["unevictable", "dirty"], type: "MF_MSG_DIRTY_UNEVICTABLE_LRU" },
  { mask: ["unevictable", "dirty"], value: ["unevictable"], type: "MF_MSG_CLEAN_UNEVICTABLE_LRU" },
  { mask: ["lru", "dirty"], value: ["lru", "dirty"], type: "MF_MSG_DIRTY_LRU" },
  { mask: ["lru", "dirty"], value: ["lru"], type: "MF_MSG_CLEAN_LRU" },
];
// END SOLUTION
