import type { TlbHierarchyConfig } from "./hierarchy.js";

/**
 * CPU TLB geometries from the fact brief (§6.1). Values not confirmed by a read source are
 * listed in `assumed`, and charts that use a preset must say so.
 */
export const GOLDEN_COVE: TlbHierarchyConfig = {
  name: "Intel Golden Cove (Sapphire Rapids P-core)",
  l1: { "4K": { entries: 96, ways: 6 }, "2M": { entries: 32, ways: 4 }, "1G": { entries: 8, ways: 8 } },
  stlb: { geometry: { entries: 2048, ways: 16 }, sizes: ["4K", "2M", "1G"] },
  source: "Hennessy & Patterson, CAQA, 'Intel Core i9 12900' section (secondary notes): L1 DTLB 96×4K, 32×2M, 8×1G; STLB 2048 entries 16-way",
  assumed: ["L1 associativity (6-way 4K, 4-way 2M)", "applying Golden Cove to Emerald Rapids (the RFC's host)"],
};

export const SKYLAKE_SP: TlbHierarchyConfig = {
  name: "Intel Skylake-SP",
  l1: { "4K": { entries: 64, ways: 4 }, "2M": { entries: 32, ways: 4 }, "1G": { entries: 4, ways: 4 } },
  stlb: { geometry: { entries: 1536, ways: 6 }, sizes: ["4K", "2M"] },
  source: "cpuid output quoted on the Intel community forum; Intel optimization manual 248966-045",
  assumed: ["L1 2M count (32)", "L1 associativity", "1G entries in the STLB are not modelled"],
};

export const ZEN4: TlbHierarchyConfig = {
  name: "AMD Zen 4",
  l1: { "4K": { entries: 72, ways: 72 }, "2M": { entries: 72, ways: 72 }, "1G": { entries: 72, ways: 72 } },
  stlb: { geometry: { entries: 3072, ways: 12 }, sizes: ["4K", "2M"] },
  source: "Chips and Cheese, 'Details on the Gigabyte Leak' (Aug 2021): L1 72 fully associative, L2 3072 12-way",
  assumed: ["one shared 72-entry L1 modelled as 72 per page size", "1G held in L2 as smashed 2M entries is not modelled"],
};

export const CPU_PRESETS: Readonly<Record<string, TlbHierarchyConfig>> = {
  "golden-cove": GOLDEN_COVE,
  "skylake-sp": SKYLAKE_SP,
  zen4: ZEN4,
};
