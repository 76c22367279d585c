// Exercise 0.3 — action_result(): return values and the per-node counters (Chapter 0).
// Write what action_result() returns and counts; the grader replays seeded runs of
// memory_failure() on the library's Machine and compares every return value and the counters.
import { EBUSY, EHWPOISON, type MfMsg, type MfResult } from "../../src/index.js";

/** /sys/devices/system/node/nodeX/memory_failure/{total,ignored,failed,delayed,recovered}. */
export interface MfCounters {
  total: number;
  ignored: number;
  failed: number;
  delayed: number;
  recovered: number;
}

/** What action_result() returns for an outcome: 0 when the page is handled, else -EBUSY. */
export function actionResultRet(result: MfResult): number {
  throw new Error("TODO: 0 for MF_RECOVERED and MF_DELAYED, -EBUSY for the others");
}

/**
 * Counts one action_result() in the per-node counters (update_per_node_mf_stats()): `total`
 * and the counter of the outcome go up by one. An MF_MSG_ALREADY_POISONED report is not a new
 * poisoned page and is not counted (Kyle Meyer's 2025 patch, which the model follows).
 */
export function countOutcome(counters: MfCounters, type: MfMsg, result: MfResult): void {
  throw new Error("TODO: skip MF_MSG_ALREADY_POISONED; otherwise total + the outcome's counter");
}

/**
 * What memory_failure(pfn, 0) returns to its caller after logging `type`/`result`. Usually
 * action_result()'s value; but two paths return -EHWPOISON instead, to say "this page is poisoned
 * and any process that needed a signal has had it": an already poisoned page, and a THP whose
 * split failed (kill_procs_now() has signalled).
 */
export function memoryFailureRet(type: MfMsg, result: MfResult): number {
  throw new Error("TODO: -EHWPOISON for MF_MSG_ALREADY_POISONED and MF_MSG_UNSPLIT_THP, else actionResultRet");
}
