// Exercise 6.4 — Predict which objections a policy fails, and where (Chapter 6).
// The tests score policies of constant choices on the default battery (3 errors per workload,
// retouch 2, probes 4, the confidential guest under TDX Connect with 1G folios) and compare.
import type { ObjectionId, PolicyChoices, WorkloadId } from "../../src/index.js";

/** One objection the policy fails, and the workloads whose costs show it, in battery order (vm-thp, vm-1g, dma, cvm, vfio). */
export interface Failure {
  objection: ObjectionId;
  workloads: WorkloadId[];
}

/**
 * The objections a policy with these choices fails on the default battery, in the order of
 * OBJECTION_IDS (split-cost, pinned-memory, no-iommu-callback, secure-world, device-memory,
 * repeated-consumption), each with the workloads where its failing cost appears. Reason from what
 * each choice does in Chapter 6's table; do not run the scorecard.
 */
export function predictFailures(c: PolicyChoices): Failure[] {
  throw new Error("TODO: for each objection, list the workloads where these choices produce its cost");
}
