// MFR Lab simulation library: the single source of truth for notebooks, site, exercises and CLI.
export * from "./core/errors.js";
export * from "./core/units.js";
export * from "./core/rng.js";
export * from "./tlb/lru-tlb.js";
export * from "./tlb/hierarchy.js";
export * from "./tlb/presets.js";
export * from "./tlb/simulate.js";
export * from "./mm/address-space.js";
export * from "./pgtable/walk.js";
export * from "./workload/trace.js";
export * from "./workload/run.js";
export * from "./poison/index.js";
export * from "./viz/index.js";
export * from "./thp/memcycle.js";
export * from "./iommu/iotlb.js";
export * from "./mfr/index.js";
