// Work limits of the CLI's model commands. Flags that are each in range can still ask for
// minutes and gigabytes together (`pin-life --days 10000 --dma-per-day 10000`). Each command
// estimates its work from the flags before it starts, in the units its model's time grows
// with, and refuses what is past a few seconds of a laptop's time, saying which flags to lower.
//
// Calibration: the budgets below are what each model does in about 3 s of one core of the
// development machine (Node 20); `npm run bench` runs every command at its budget and reports
// the seconds, so the figures stay honest as the models change.
import { MfrLabError } from "../core/errors.js";

/** One part of a command's work: `amount` units, of which `budget` fill the whole allowance. */
export interface WorkPart {
  /** What is counted, e.g. "device DMAs" or "2M folios". */
  what: string;
  amount: number;
  budget: number;
  /** How the amount follows from the flags, with their values: "3 policies × 30 days × (8 + 3)". */
  how?: string;
}

export interface WorkEstimate {
  command: string;
  parts: WorkPart[];
  /** What to do instead, naming the flags: "lower --days, --dma-per-day or --errors". */
  lower: string;
}

const n = (x: number): string => Math.round(x).toLocaleString("en-US");

/** The share of the allowance the flags ask for (1 = the whole budget). */
export function workShare(e: WorkEstimate): number {
  return e.parts.reduce((s, p) => s + p.amount / p.budget, 0);
}

/** Refuses (one line, exit code 2) flags whose work is past the command's allowance. */
export function limitWork(e: WorkEstimate): void {
  const share = workShare(e);
  if (share <= 1) return;
  const asked = e.parts.filter((p) => p.amount > 0).map((p) => `${n(p.amount)} ${p.what}${p.how ? ` (${p.how})` : ""}`).join(" and ");
  const allowed = e.parts.map((p) => `${n(p.budget)} ${p.what}`).join(", or ");
  const times = share < 10 ? share.toFixed(1) : n(share);
  throw new MfrLabError(`${e.command}: the flags ask for ${asked}: ${times} times what it does in a few seconds (at most ${allowed}); ${e.lower}`);
}

/** The budgets (units per ~3 s of one core), one table so that bench and commands agree. */
export const WORK_BUDGETS = {
  /** tlb: accesses simulated, and pages of a zipf working set (its table is built first). */
  tlbAccesses: 20_000_000,
  tlbZipfPages: 10_000_000,
  /** iotlb: DMA accesses over all points and page sizes. */
  iotlbAccesses: 20_000_000,
  /** memory-lost: folios of the guest, over both policies; errors, over both policies. */
  memoryLostFolios: 150_000,
  memoryLostErrors: 8_000,
  /** pin-life: device DMAs over all policies (each day's random ones plus those to poisoned pages). */
  pinLifeDmas: 2_000_000,
  /** gmem: vCPU accesses and DMAs over all policy × design runs; errors over all runs. */
  gmemAccesses: 40_000_000,
  gmemErrors: 300_000,
} as const;
