// Exercise 0.4 — When unpoison_memory() refuses (Chapter 0).
// Decide what unpoison_memory() returns, and why, from what it can see of a page; the grader
// builds seeded page states on the library's Machine, calls its unpoison and compares.
import { EBUSY, ENXIO, EOPNOTSUPP } from "../../src/index.js";

/** What unpoison_memory(pfn) can see when it is called. */
export interface UnpoisonView {
  /** pfn_valid(pfn): the frame exists. */
  pfnValid: boolean;
  /** hw_memory_failure: some memory_failure() without MF_SW_SIMULATED has run on this machine. */
  hwMemoryFailure: boolean;
  /** PageHWPoison(p): the page (for HugeTLB: the folio, asked at its head page) is marked poisoned. */
  hwpoison: boolean;
  /** folio_ref_count(): references held on the page's folio (0 when the page is not in a folio). */
  refcount: number;
  /** A reserved kernel page (or slab, page table). */
  reserved: boolean;
  /** folio_mapped(): page-table entries still map the folio. */
  mapped: boolean;
  /** folio_mapping(): the folio still belongs to a file (page cache). */
  hasMapping: boolean;
  /** The folio is HugeTLB and its list of raw error pages is unreliable or empty. */
  hugetlbRawListUnreliable: boolean;
}

export type UnpoisonReason =
  | "ok" // unpoisoned: returns 0
  | "invalid-pfn" // -ENXIO
  | "hw-memory-failure" // "Disabled after HW memory failure": -EOPNOTSUPP
  | "not-poisoned" // "Page was already unpoisoned": -EBUSY
  | "referenced" // "Someone grabs the hwpoison page": -EBUSY
  | "reserved" // a kernel page: -EBUSY
  | "mapped" // "Someone maps the hwpoison page": -EBUSY
  | "has-mapping" // "the hwpoison page has non-NULL mapping": -EBUSY
  | "raw-list-unreliable"; // a HugeTLB folio whose raw error list cannot be trusted: -EBUSY

/**
 * unpoison_memory() (mm/memory-failure.c): the checks in the kernel's order; the first one that
 * refuses gives the reason. Return the value and the reason.
 */
export function unpoisonVerdict(v: UnpoisonView): { ret: number; reason: UnpoisonReason } {
  throw new Error("TODO: check in the kernel's order and return { ret, reason } for the first refusal, or { ret: 0, reason: \"ok\" }");
}
