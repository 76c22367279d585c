// Exercise 6.4 — Predict which objections a policy fails, and where (Chapter 6).
// The tests score policies of constant choices on the default battery (3 errors per workload,
// retouch 2, probes 4, the confidential guest under TDX Connect with 1G folios) and compare.
// Reference solution: the student's file is generated from this one (see src/grader/stubs.ts). // reference-only
import type { ObjectionId, PolicyChoices, WorkloadId } from "../../../src/index.js";

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
  // BEGIN SOLUTION: for each objection, list the workloads where these choices produce its cost
  const out: Failure[] = [];
  const add = (objection: ObjectionId, pairs: [WorkloadId, boolean][]) => {
    const workloads = pairs.filter(([, on]) => on).map(([w]) => w);
    if (workloads.length) out.push({ objection, workloads });
  };
  const revoke = c.pinned === "revoke";
  const keep = c.memfdUe === "keep-mapped";
  // A revoke at the error drops the device's pins before memory_failure() handles the folio, so a split is no longer refused.
  const dmaSplit = c.memfdUe === "split" && revoke;
  add("split-cost", [
    ["vm-thp", !keep],
    ["vm-1g", c.memfdUe === "split"],
    ["dma", dmaSplit],
    ["cvm", c.gmemError === "split-then-zap"],
    ["vfio", c.pfnError === "unmap"],
  ]);
  const offlined = keep && c.release !== "leave" && (revoke || (c.release === "deferred" && c.pinned === "offline"));
  add("pinned-memory", [["dma", !(offlined || dmaSplit)]]);
  add("no-iommu-callback", [
    ["dma", !revoke],
    ["cvm", c.gmemError === "keep-mapped"],
  ]);
  add("secure-world", [["cvm", c.gmemError === "zap-folio"]]);
  add("device-memory", [["vfio", c.pfnError === "driver"]]);
  add("repeated-consumption", [
    ["vm-thp", keep],
    ["vm-1g", keep],
    ["dma", keep],
    ["cvm", c.gmemError === "keep-mapped"],
    ["vfio", c.pfnError !== "unmap"],
  ]);
  return out;
  // END SOLUTION
}
