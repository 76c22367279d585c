// VFIO MMIO poison dispatch (Chapter 5): device memory without struct page, registered by its
// driver in the PFN interval tree; memory_failure_pfn() dispatches on the physical address.
export * from "./pfn-address-space.js";
export * from "./memory-failure-pfn.js";
export * from "./nvgrace-gpu.js";
export * from "./zap-cost.js";
export * from "./series.js";
