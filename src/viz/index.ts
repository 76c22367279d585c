// Browser-safe chart builders and their data series (src/viz/node.ts is Node-only and not re-exported).
export * from "./charts.js";
export * from "./series.js";
export * from "./timeline.js";
export * from "./pinning.js";
export * from "./vfio.js";
export * from "./guest-memfd.js";
export * from "./policy.js";
