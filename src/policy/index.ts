// Chapter 6: design a userspace MFR policy and have it scored against every objection in the thread.
// Browser-safe (the site imports it); loading a policy from a file is load.ts, for Node only.
export * from "./types.js";
export * from "./decisions.js";
export * from "./builtins.js";
export * from "./consult.js";
export * from "./metrics.js";
export * from "./objections.js";
export * from "./scorecard.js";
export * from "./kernel-lab.js";
export type { BatteryParams, WorkloadInfo, WorkloadRun } from "./workloads/common.js";
