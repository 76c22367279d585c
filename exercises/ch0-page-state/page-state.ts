// Exercise 0.2 — identify_page_state(): from page flags to MF_MSG type (Chapter 0).
// Write the table lookup; the grader sets the same flags on pages of the library's model,
// runs memory_failure() on them and compares the MF_MSG type it reports.
import type { MfMsg } from "../../src/index.js";

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
  throw new Error("TODO: walk error_states[] in order and return the type of the first row that matches");
}

// TODO: add what you need here
