// The kernel log lines the lab reads (/dev/kmsg), mapped back to the model's names. The strings
// are action_page_types[] and action_name[] of mm/memory-failure.c, as printed by
// action_result(): "Memory failure: %#lx: recovery action for %s: %s". Browser-safe.
import { ACTION_PAGE_TYPES, type MfMsg } from "../mfr/constants.js";
import type { MfResult } from "../mfr/result.js";

/** action_name[] (mm/memory-failure.c), the same in 6.12 and 7.3. */
const ACTION_NAME: Readonly<Record<string, MfResult>> = { Ignored: "MF_IGNORED", Failed: "MF_FAILED", Delayed: "MF_DELAYED", Recovered: "MF_RECOVERED" };

/**
 * action_page_types[] text → MF_MSG_*. Built from the model's table plus the spellings both
 * kernels print where the model's table has a shorter one ("already poisoned page" in 6.12 and
 * 7.3) and the type 7.3 added for PFNs without struct page.
 */
const PAGE_TYPE: ReadonlyMap<string, string> = new Map<string, string>([
  ...Object.entries(ACTION_PAGE_TYPES).map(([k, v]) => [v, k] as [string, string]),
  ["already poisoned page", "MF_MSG_ALREADY_POISONED"],
  ["non struct page pfn", "MF_MSG_PFN_MAP"],
]);

/** One action_result() line. `type` is undefined for a page type the table does not know. */
export interface RecoveryLine {
  pfn: number;
  type: MfMsg | undefined;
  typeText: string;
  result: MfResult | undefined;
}

const RECOVERY = /^Memory failure: (0x[0-9a-f]+): recovery action for (.+): (\w+)$/;

/** Parses "Memory failure: 0x2a01: recovery action for dirty LRU page: Recovered". */
export function parseRecoveryLine(line: string): RecoveryLine | null {
  const m = RECOVERY.exec(line.trim());
  if (!m) return null;
  return { pfn: parseInt(m[1], 16), typeText: m[2], type: PAGE_TYPE.get(m[2]) as MfMsg | undefined, result: ACTION_NAME[m[3]] };
}

/** action_result()'s return: 0 for RECOVERED and DELAYED, -EBUSY otherwise. */
export function actionResultRet(result: MfResult | undefined): number {
  return result === "MF_RECOVERED" || result === "MF_DELAYED" ? 0 : -16;
}

const PANIC = /Kernel panic - not syncing: (.*)$/;

/** The panic message in console output, if the kernel panicked. */
export function findPanic(console: string[]): string | undefined {
  for (const l of console) {
    const m = PANIC.exec(l);
    if (m) return m[1].trim();
  }
  return undefined;
}
