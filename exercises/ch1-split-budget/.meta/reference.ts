// Exercise 1.5 — A split budget from the MemCycle model (Chapter 1).
// A policy question with a measurable answer: how much memory can memory-failure recovery split
// from 2M to 4K before the guest's throughput drops by more than a given percentage?
// Use the model's predict(); the grader draws seeded machines and budgets and checks you
// against the same model.
// Reference solution: the student's file is generated from this one (see src/grader/stubs.ts). // reference-only
import { pageSizeBytes, type MemCycleModel } from "../../../src/index.js";

/** Throughput lost, in percent (a positive number), when `fraction` of guest memory is split. */
export function dropPercent(model: MemCycleModel, fraction: number): number {
  // BEGIN SOLUTION: the model's predicted throughput change, as a positive drop
  return -model.predict(fraction).throughputChangePercent;
  // END SOLUTION
}

/**
 * The largest split fraction f in [0, 1] whose predicted drop is at most `maxDropPercent`,
 * to within 0.001 (the drop grows with f). Return 1 if even splitting everything stays within.
 */
export function splitBudget(model: MemCycleModel, maxDropPercent: number): number {
  // BEGIN SOLUTION: bisect on the fraction until the interval is narrower than 0.001
  if (dropPercent(model, 1) <= maxDropPercent) return 1;
  let lo = 0; // within budget
  let hi = 1; // over budget
  while (hi - lo > 1e-4) {
    const mid = (lo + hi) / 2;
    if (dropPercent(model, mid) <= maxDropPercent) lo = mid;
    else hi = mid;
  }
  return lo;
  // END SOLUTION
}

/**
 * Each poison event splits one host page (model.params.hostPageSize) of the guest's memory
 * (model.params.guestBytes). How many events can the guest absorb with a drop of at most
 * `maxDropPercent`? Return the exact whole number k: k events stay within, k + 1 do not
 * (or every host page of the guest, if all of them stay within).
 */
export function poisonEventsBudget(model: MemCycleModel, maxDropPercent: number): number {
  // BEGIN SOLUTION: bisect on the whole number of split host pages, not on the fraction
  const pages = Math.floor(model.params.guestBytes / pageSizeBytes(model.params.hostPageSize));
  const within = (k: number): boolean => dropPercent(model, k / pages) <= maxDropPercent;
  if (within(pages)) return pages;
  let lo = 0; // within budget (0 splits cost nothing)
  let hi = pages; // over budget
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (within(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
  // END SOLUTION
}
