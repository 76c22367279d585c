// Exercise 0.3 — action_result(): return values and the per-node counters (Chapter 0).
// Write what action_result() returns and counts; the grader replays seeded runs of
// memory_failure() on the library's Machine and compares every return value and the counters.
// Reference solution: the student's file is generated from this one (see src/grader/stubs.ts). // reference-only
import { EBUSY, EHWPOISON, type MfMsg, type MfResult } from "../../../src/index.js";

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
  // BEGIN SOLUTION: 0 for MF_RECOVERED and MF_DELAYED, -EBUSY for the others
  return result === "MF_RECOVERED" || result === "MF_DELAYED" ? 0 : -EBUSY;
  // END SOLUTION
}

/**
 * Counts one action_result() in the per-node counters (update_per_node_mf_stats()): `total`
 * and the counter of the outcome go up by one. An MF_MSG_ALREADY_POISONED report is not a new
 * poisoned page and is not counted (Kyle Meyer's 2025 patch, which the model follows).
 */
export function countOutcome(counters: MfCounters, type: MfMsg, result: MfResult): void {
  // BEGIN SOLUTION: skip MF_MSG_ALREADY_POISONED; otherwise total + the outcome's counter
  if (type === "MF_MSG_ALREADY_POISONED") return;
  counters.total++;
  if (result === "MF_IGNORED") counters.ignored++;
  else if (result === "MF_FAILED") counters.failed++;
  else if (result === "MF_DELAYED") counters.delayed++;
  else counters.recovered++;
  // END SOLUTION
}

/**
 * What memory_failure(pfn, 0) returns to its caller after logging `type`/`result`. Usually
 * action_result()'s value; but two paths return -EHWPOISON instead, to say "this page is poisoned
 * and any process that needed a signal has had it": an already poisoned page, and a THP whose
 * split failed (kill_procs_now() has signalled).
 */
export function memoryFailureRet(type: MfMsg, result: MfResult): number {
  // BEGIN SOLUTION: -EHWPOISON for MF_MSG_ALREADY_POISONED and MF_MSG_UNSPLIT_THP, else actionResultRet
  if (type === "MF_MSG_ALREADY_POISONED" || type === "MF_MSG_UNSPLIT_THP") return -EHWPOISON;
  return actionResultRet(result);
  // END SOLUTION
}
