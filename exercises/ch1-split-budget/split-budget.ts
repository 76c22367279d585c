// Exercise 1.5 — A split budget from the MemCycle model (Chapter 1).
// A policy question with a measurable answer: how much memory can memory-failure recovery split
// from 2M to 4K before the guest's throughput drops by more than a given percentage?
// Use the model's predict(); the grader draws seeded machines and budgets and checks you
// against the same model.
import { pageSizeBytes, type MemCycleModel } from "../../src/index.js";

/** Throughput lost, in percent (a positive number), when `fraction` of guest memory is split. */
export function dropPercent(model: MemCycleModel, fraction: number): number {
  throw new Error("TODO: the model's predicted throughput change, as a positive drop");
}

/**
 * The largest split fraction f in [0, 1] whose predicted drop is at most `maxDropPercent`,
 * to within 0.001 (the drop grows with f). Return 1 if even splitting everything stays within.
 */
export function splitBudget(model: MemCycleModel, maxDropPercent: number): number {
  throw new Error("TODO: bisect on the fraction until the interval is narrower than 0.001");
}

/**
 * Each poison event splits one host page (model.params.hostPageSize) of the guest's memory
 * (model.params.guestBytes). How many events can the guest absorb with a drop of at most
 * `maxDropPercent`? Return the exact whole number k: k events stay within, k + 1 do not
 * (or every host page of the guest, if all of them stay within).
 */
export function poisonEventsBudget(model: MemCycleModel, maxDropPercent: number): number {
  throw new Error("TODO: bisect on the whole number of split host pages, not on the fraction");
}
