// Exercise 1.4 — Find the IOTLB cliff (Chapter 1).
// Use the library's IOTLB model, simulateIotlb (src/iommu/iotlb.ts), as your measuring
// instrument; do not use its finished search (findIotlbCliff, iotlbCliff).
// Reference solution: the student's file is generated from this one (see src/grader/stubs.ts). // reference-only
import { effectivePageSize, pageSizeBytes, simulateIotlb, IOTLB_DEFAULTS, type IotlbParams } from "../../../src/index.js";

/**
 * The size of one IOTLB entry for this configuration, in bytes: an entry covers what both the
 * guest's stage-1 page and the host's stage-2 page map contiguously.
 * (Parameters you leave out take their value from IOTLB_DEFAULTS.)
 */
export function entryBytes(p: Partial<IotlbParams>): number {
  // BEGIN SOLUTION: the smaller of the guest page and the host page, in bytes
  const q = { ...IOTLB_DEFAULTS, ...p };
  return pageSizeBytes(effectivePageSize(q.guestPageSize, q.pageSize));
  // END SOLUTION
}

/**
 * The IOTLB cliff: the largest IO working set, a whole number n of entries (n × entryBytes(p),
 * 1 ≤ n ≤ 64 × entries), whose hit rate from simulateIotlb({ ...p, workingSetBytes }) is still
 * at least `threshold`. Return n × entryBytes(p) in bytes; 0 if even one entry's worth falls
 * below the threshold; 64 × entries × entryBytes(p) if the hit rate never falls below it.
 * The hit rate falls as the working set grows, so you need not try every n.
 */
export function findCliff(p: Partial<IotlbParams>, threshold: number): number {
  // BEGIN SOLUTION: bisect over n, measuring each candidate with simulateIotlb
  const entries = p.entries ?? IOTLB_DEFAULTS.entries;
  const unit = entryBytes(p);
  const hit = (n: number): number => simulateIotlb({ ...p, workingSetBytes: n * unit }).hitRate;
  const max = 64 * entries;
  if (hit(max) >= threshold) return max * unit;
  if (hit(1) < threshold) return 0;
  let lo = 1; // fits: hit rate ≥ threshold
  let hi = max; // falls off: hit rate < threshold
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (hit(mid) >= threshold) lo = mid;
    else hi = mid;
  }
  return lo * unit;
  // END SOLUTION
}
