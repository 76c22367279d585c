// The objections raised in the thread, each turned into a test on a scorecard: which metric shows
// it and which cost sources make a policy fail it. Paraphrased; who said it and when.
import type { CostSource, MetricId } from "./metrics.js";
import type { WorkloadId } from "./types.js";

export type ObjectionId = "split-cost" | "pinned-memory" | "no-iommu-callback" | "secure-world" | "device-memory" | "repeated-consumption";
export const OBJECTION_IDS: readonly ObjectionId[] = ["split-cost", "pinned-memory", "no-iommu-callback", "secure-world", "device-memory", "repeated-consumption"];

export interface ObjectionInfo {
  id: ObjectionId;
  title: string;
  /** Who raised it, and when. */
  who: string;
  /** The objection, paraphrased. */
  claim: string;
  /** The metric that shows it, and the workloads where it is measured. */
  metric: MetricId;
  workloads: readonly WorkloadId[];
  /** What makes a policy fail it, and what passing means, in words. */
  fails: string;
  passes: string;
  /** The cost sources (of `metric` in `workloads`) that count as failing. */
  failing(sources: readonly CostSource[]): CostSource[];
}

const inWorkloads = (ws: readonly WorkloadId[]) => (s: CostSource) => ws.includes(s.workload) && s.amount > 0;

export const OBJECTIONS: { readonly [O in ObjectionId]: ObjectionInfo } = {
  "split-cost": {
    id: "split-cost", title: "Splitting costs more than MemCycle shows",
    who: "Jason Gunthorpe, 20 Jan 2025 (on Jiaqi Yan's MemCycler numbers)",
    claim: "MemCycle is a best case: with two-dimensional IO paging an IOTLB miss costs more than a TLB miss and throughput falls off a cliff once the IOTLB is too small, so a policy that splits pays in IO too",
    metric: "throughputLost", workloads: ["vm-thp", "vm-1g", "dma", "cvm", "vfio"],
    fails: "any workload loses throughput to 4K mappings (a THP split, a demoted HugeTLB folio, a split stage-2, a broken pfnmap leaf)",
    passes: "no VM is left with 4K mappings where it had huge ones",
    failing: (src) => src.filter(inWorkloads(["vm-thp", "vm-1g", "dma", "cvm", "vfio"])),
  },
  "pinned-memory": {
    id: "pinned-memory", title: "\"Should\" become free, \"won't\"",
    who: "Jason Gunthorpe, 20 Jan 2025",
    claim: "iommufd holds guest memory pinned for the VM's life and does not drop its reference after truncate or zap, so a poisoned folio that should become free at release won't",
    metric: "memoryLostAfter", workloads: ["dma"],
    fails: "after the device's VM is torn down, more than the raw poisoned pages stays lost (folios leaked by MF's references, a pin, or the pool)",
    passes: "after teardown only the raw poisoned pages are lost",
    failing: (src) => src.filter(inWorkloads(["dma"])).filter((s) => !/^raw poisoned pages/.test(s.what)),
  },
  "no-iommu-callback": {
    id: "no-iommu-callback", title: "No callback into the IOMMU",
    who: "Jason Gunthorpe, 20 Jan 2025",
    claim: "nothing tells the IOMMU to force the memory offline, so a guest can still DMA to it",
    metric: "dmaToPoison", workloads: ["dma", "cvm"],
    fails: "a device's DMA reaches a poisoned frame or memory memory-failure handling took away",
    passes: "no DMA reaches poison or offlined memory",
    failing: (src) => src.filter(inWorkloads(["dma", "cvm"])),
  },
  "secure-world": {
    id: "secure-world", title: "You can't just unmap 1G",
    who: "Jason Gunthorpe, 20 Jan 2025",
    claim: "several secure-world designs share the stage-2 between CPU and IOMMU, so unmapping a 1G folio breaks the guest completely; the question is what is communicated to the secure world",
    metric: "guestBreakage", workloads: ["cvm"],
    fails: "the confidential guest's vCPU or device faults on healthy memory",
    passes: "the confidential guest never faults on healthy memory",
    failing: (src) => src.filter(inWorkloads(["cvm"])),
  },
  "device-memory": {
    id: "device-memory", title: "Up to the driver that owns the memory",
    who: "Jason Gunthorpe, 20 Jan 2025 (on the RFC's VFIO extension)",
    claim: "after Ankit Agrawal's patches the dispatch is on the physical address, not an address space: what happens is up to the driver that owns the memory",
    metric: "guestBreakage", workloads: ["vfio"],
    fails: "an error in device memory reaches nobody who handles it, and the VMM is lost",
    passes: "every device-memory error reaches someone who handles it",
    failing: (src) => src.filter(inWorkloads(["vfio"])),
  },
  "repeated-consumption": {
    id: "repeated-consumption", title: "Keeping UE mapped risks consuming it again",
    who: "Jiaqi Yan's RFC, 18 Jan 2025 (its own caveat, which Jason agreed scoping per memfd limits)",
    claim: "memory with a UE that stays mapped is consumed again if the process does not do its duty, each time another machine check",
    metric: "repeatedConsumption", workloads: ["vm-thp", "vm-1g", "dma", "cvm", "vfio"],
    fails: "any access reads a page already known to be poisoned",
    passes: "no access reads a known-poisoned page again",
    failing: (src) => src.filter(inWorkloads(["vm-thp", "vm-1g", "dma", "cvm", "vfio"])),
  },
};

export interface ObjectionVerdict {
  id: ObjectionId;
  failed: boolean;
  metric: MetricId;
  /** The cost sources that make it fail (empty when it passes). */
  evidence: CostSource[];
  /** One sentence: why it fails or passes. */
  why: string;
}

/** Judges a policy's metric sources against every objection. */
export function judgeObjections(sources: { readonly [M in MetricId]: readonly CostSource[] }): ObjectionVerdict[] {
  return OBJECTION_IDS.map((id) => {
    const o = OBJECTIONS[id];
    const evidence = o.failing(sources[o.metric]);
    const why = evidence.length
      ? `fails: ${evidence.map((e) => `${e.workload}: ${e.what}`).join("; ")}`
      : `passes: ${o.passes}`;
    return { id, failed: evidence.length > 0, metric: o.metric, evidence, why };
  });
}
