import { checkInt, checkRange, ParameterError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { PAGE_SIZE_CODE, pageSizeBytes, TiB, type PageSize } from "../core/units.js";
import { effectivePageSize, nestedWalkRefs, walkLevels, walkRefs1D } from "../pgtable/walk.js";
import { PN_SHIFT } from "../tlb/hierarchy.js";
import { makeTlb } from "../tlb/fa-lru-tlb.js";
import { ASSUMED_DRAM_LATENCY_NS } from "../thp/memcycle.js";

/**
 * The IOTLB cliff of Jason Gunthorpe's reply (20 Jan 2025): an IO workload whose translations
 * just fit the IOTLB loses much of its throughput when the same working set is translated with
 * 4K instead of 2M entries. What makes them 4K is not a CPU-side THP split (iommufd and VFIO
 * build IOPTEs at map time, and a pinned THP is not split): see IOTLB_ASSUMPTIONS. A
 * single-level LRU IOTLB (LruTlb) in front of a stream of DMAs.
 */
export type IotlbPattern = "uniform" | "ring";

export interface IotlbParams {
  /** IOTLB entries. Vendor sizes are not published (UNVERIFIED): the default 64 is an assumption. */
  entries: number;
  /** Associativity; equal to `entries` for a fully associative IOTLB. */
  ways: number;
  /** Host (stage-2) IO page size of the mapping: the size iommufd/VFIO chose when the memory was mapped. */
  pageSize: PageSize;
  /** Guest stage-1 IO page size (iommufd nesting); an entry covers min(guest, host). */
  guestPageSize: PageSize;
  workingSetBytes: number;
  pattern: IotlbPattern;
  /** DMAs measured (after a warm-up). */
  accesses: number;
  seed: number;
  /** Bytes one DMA moves; one DMA touches one 4K page. */
  dmaBytes: number;
  /** Ring pattern only: bytes of the descriptor read before each buffer DMA (0 = none). */
  descriptorBytes: number;
  /** Link rate that sets the per-DMA time at 100% hits. */
  linkGbps: number;
  memoryLatencyNs: number;
  /** Added to a miss: a translation request crossing PCIe (ATS); 0 models an IOMMU-side IOTLB without ATS. */
  pcieRoundTripNs: number;
  /** Two-stage (guest stage-1 over host stage-2) walk, as iommufd nesting; false = host stage only. */
  nested: boolean;
  pagingLevels: 4 | 5;
  /** Misses whose walks overlap; 1 = each miss stalls the DMA stream in full (worst case). */
  overlappedMisses: number;
}

export const IOTLB_DEFAULTS: Readonly<IotlbParams> = {
  entries: 64,
  ways: 64,
  pageSize: "4K",
  guestPageSize: "2M",
  workingSetBytes: 256 * 1024,
  pattern: "uniform",
  accesses: 10_000,
  seed: 1,
  dmaBytes: 4096,
  descriptorBytes: 16,
  linkGbps: 200,
  memoryLatencyNs: ASSUMED_DRAM_LATENCY_NS,
  pcieRoundTripNs: 500,
  nested: true,
  pagingLevels: 4,
  overlappedMisses: 1,
};

/** What the IOTLB model assumes, each with its source (fact brief §6.2–6.3). */
export const IOTLB_ASSUMPTIONS: string[] = [
  "IOTLB size: vendor IOTLB entry counts (Intel VT-d, AMD-Vi) and device ATC sizes are not published in a source we read (UNVERIFIED). The default of 64 entries, fully associative, LRU, is an ASSUMPTION; the cliff sits at entries × page size whatever the count.",
  "Jason Gunthorpe (Re: [RFC PATCH v1 0/3] Userspace MFR Policy via memfd, 20 Jan 2025): with two-dimensional IO paging, IOTLB misses make throughput fall off a cliff once the IOTLB is too small, and a miss costs more than a CPU TLB miss; MemCycle is a best case.",
  "An IOTLB entry covers min(guest stage-1, host stage-2) IO page (effectivePageSize); the chart compares the same working set translated with 2M and with 4K entries. A CPU-side THP split does not get there: iommufd and VFIO write their IOPTEs when the memory is mapped and register no MMU notifier (drivers/iommu/iommufd/pages.c, drivers/vfio/vfio_iommu_type1.c in 7.3.4), and a long-term-pinned THP is not split at all (__folio_split() refuses the extra references, so memory_failure() reports MF_MSG_UNSPLIT_THP). IO translations are 4K when the memory was mapped at 4K (small or unaligned pages at map time), when a policy splits the folio and re-mirrors the IO page table (e.g. iommufd actively mirroring guest_memfd, a Feb 2026 direction, not merged), or when a vIOMMU with nested translation lets the guest's own stage-1 map its buffers at 4K (the 'two dimensional IO paging' of Jason's reply).",
  "Miss cost = walk references × memory latency + PCIe round trip. A nested walk reads (n+1)(m+1)−1 entries (24 for 4K/4K, 19 for guest 2M over host 4K, 15 for 2M/2M; Bhargava et al., ASPLOS 2008); iommufd nesting uses a guest stage-1 over a host stage-2. IOMMU paging-structure caches are ignored, so this is an upper bound on the walk. Combining these sourced parts into one figure is our model (UNVERIFIED as a whole).",
  `Memory latency ${ASSUMED_DRAM_LATENCY_NS} ns and PCIe round trip 500 ns are ASSUMPTIONS (no measurement for a specific platform was read).`,
  "Per-DMA time at 100% hits = DMA bytes / link rate (4 KiB at 200 Gbps ≈ 164 ns); relative throughput = that time / (that time + misses per DMA × miss cost / overlapped misses). With overlappedMisses = 1 every walk stalls the stream: the worst case.",
  "Patterns: 'uniform' = each DMA hits a random 4K page of the IO working set (random IO); 'ring' = buffers used in order and reused cyclically, each DMA preceded by a descriptor read from a descriptor ring, as NICs and NVMe queues do (Malka et al., rIOMMU, ASPLOS 2015).",
  "overlappedMisses defaults to 1 (ASSUMPTION, the worst case). An interpretation, not a fit: F&S's single-flow nested run (about 43 Gbps with about one miss per 4K page) would correspond to roughly 4 overlapped misses under this model's miss cost.",
  "Magnitudes to compare with: Farshin et al. (PeerJ Computer Science, 2023) lost up to 20% of throughput at 200 Gbps to IOTLB misses and recovered it with hugepage-backed buffers; rIOMMU reports IOMMU protection costing up to an order of magnitude of I/O throughput (strict mode, which also pays for map/unmap and invalidation); F&S (SOSP 2024) logs show about one IOTLB miss per 4K page received under iommufd nesting.",
];

export interface IotlbResult extends IotlbParams {
  /** Size of one IOTLB entry: min(guestPageSize, pageSize). */
  effectivePageSize: PageSize;
  sets: number;
  dmas: number;
  translations: number;
  hits: number;
  misses: number;
  hitRate: number;
  missRate: number;
  missesPerDma: number;
  /** entries × entry size. */
  reachBytes: number;
  /** IOTLB entries the working set (plus the descriptor ring) needs. */
  entriesNeeded: number;
  walkRefs: number;
  hitTimeNs: number;
  missPenaltyNs: number;
  relativeThroughput: number;
}

const PATTERNS: readonly IotlbPattern[] = ["uniform", "ring"];

function resolve(p: Partial<IotlbParams>): IotlbParams {
  const q: IotlbParams = { ...IOTLB_DEFAULTS, ...p };
  if (p.entries !== undefined && p.ways === undefined) q.ways = q.entries;
  checkInt("entries", q.entries, 1, 1 << 16);
  checkInt("ways", q.ways, 1, q.entries);
  if (q.entries % q.ways !== 0) throw new ParameterError("ways", `${q.entries} entries cannot be split into sets of ${q.ways} ways`, "entries must be a multiple of ways");
  for (const k of ["pageSize", "guestPageSize"] as const) {
    if (!(q[k] in PAGE_SIZE_CODE)) throw new ParameterError(k, `"${String(q[k])}" is not a page size`, "use 4K, 2M or 1G");
  }
  checkRange("workingSetBytes", q.workingSetBytes, 4096, TiB);
  if (!PATTERNS.includes(q.pattern)) throw new ParameterError("pattern", `"${String(q.pattern)}" is not an IO pattern`, "use uniform or ring");
  checkInt("accesses", q.accesses, 1, 1 << 24);
  checkInt("seed", q.seed, 0, 0xffffffff);
  checkInt("dmaBytes", q.dmaBytes, 64, 4096);
  if (4096 % q.dmaBytes !== 0) throw new ParameterError("dmaBytes", `${q.dmaBytes} does not divide a 4K page`, "use 64, 128, … 4096");
  checkInt("descriptorBytes", q.descriptorBytes, 0, 256);
  checkRange("linkGbps", q.linkGbps, 0.001, 100_000);
  checkRange("memoryLatencyNs", q.memoryLatencyNs, 1, 100_000);
  checkRange("pcieRoundTripNs", q.pcieRoundTripNs, 0, 100_000);
  checkRange("overlappedMisses", q.overlappedMisses, 1, 4096);
  if (q.pagingLevels !== 4 && q.pagingLevels !== 5) throw new ParameterError("pagingLevels", `${String(q.pagingLevels)} is not 4 or 5`);
  if (q.workingSetBytes < q.dmaBytes) throw new ParameterError("workingSetBytes", `${q.workingSetBytes} bytes holds no ${q.dmaBytes}-byte buffer`);
  return q;
}

/** Walk references and miss penalty for a configuration (no simulation). */
export function iotlbMissCost(p: Partial<IotlbParams> = {}): { effectivePageSize: PageSize; walkRefs: number; hitTimeNs: number; missPenaltyNs: number } {
  const q = resolve(p);
  return missCost(q);
}

function missCost(q: IotlbParams): { effectivePageSize: PageSize; walkRefs: number; hitTimeNs: number; missPenaltyNs: number } {
  const eff = effectivePageSize(q.guestPageSize, q.pageSize);
  const walkRefs = q.nested ? nestedWalkRefs(q.guestPageSize, q.pageSize, q.pagingLevels) : walkRefs1D(walkLevels(eff, q.pagingLevels));
  return {
    effectivePageSize: eff,
    walkRefs,
    hitTimeNs: (q.dmaBytes * 8) / q.linkGbps,
    missPenaltyNs: walkRefs * q.memoryLatencyNs + q.pcieRoundTripNs,
  };
}

/**
 * Simulates DMAs through a single-level LRU IOTLB and turns the miss rate into relative
 * throughput. Seeded and allocation-free in the loop, so a slider can re-run it.
 */
export function simulateIotlb(p: Partial<IotlbParams> = {}): IotlbResult {
  const q = resolve(p);
  const cost = missCost(q);
  const effBytes = pageSizeBytes(cost.effectivePageSize);
  const code = PAGE_SIZE_CODE[cost.effectivePageSize];
  const shift = PN_SHIFT[code];
  const tlb = makeTlb({ entries: q.entries, ways: q.ways }, "iotlb");
  const rng = new Rng(q.seed);
  const pages4k = Math.ceil(q.workingSetBytes / 4096);
  const buffers = Math.floor(q.workingSetBytes / q.dmaBytes);
  const bufPerPage = 4096 / q.dmaBytes;
  const descs = q.pattern === "ring" && q.descriptorBytes > 0;
  // The descriptor ring sits in its own IO page(s) right after the buffers.
  const descBase = Math.ceil(q.workingSetBytes / effBytes) * (effBytes / 4096);
  const descPerPage = descs ? Math.floor(4096 / q.descriptorBytes) : 1;
  const bufferTranslations = Math.ceil(q.workingSetBytes / effBytes);
  const descTranslations = descs ? Math.ceil((buffers * q.descriptorBytes) / effBytes) : 0;

  let pos = 0;
  const step = (): void => {
    if (q.pattern === "uniform") {
      tlb.access(rng.nextInt(pages4k) >>> shift, code);
      return;
    }
    const b = pos;
    pos = pos + 1 === buffers ? 0 : pos + 1;
    if (descs) tlb.access((descBase + Math.floor(b / descPerPage)) >>> shift, code);
    tlb.access(Math.floor(b / bufPerPage) >>> shift, code);
  };
  // Warm-up: enough random DMAs to touch every page of a fitting set (miss chance e^-8), or
  // one pass of the ring (capped). A ring that overflows a fully associative LRU IOTLB misses
  // on every new translation from the first pass on, so it needs none.
  const entriesNeeded = bufferTranslations + descTranslations;
  const warm = q.pattern === "uniform" ? 8 * q.entries
    : q.ways === q.entries && entriesNeeded > q.entries ? 0 : Math.min(buffers, 4 * q.accesses);
  for (let i = 0; i < warm; i++) step();
  tlb.resetCounters();
  for (let i = 0; i < q.accesses; i++) step();

  const translations = tlb.hits + tlb.misses;
  const missesPerDma = tlb.misses / q.accesses;
  const time = cost.hitTimeNs + (missesPerDma * cost.missPenaltyNs) / q.overlappedMisses;
  return {
    ...q,
    effectivePageSize: cost.effectivePageSize,
    sets: tlb.sets,
    dmas: q.accesses,
    translations,
    hits: tlb.hits,
    misses: tlb.misses,
    hitRate: tlb.hits / translations,
    missRate: tlb.misses / translations,
    missesPerDma,
    reachBytes: q.entries * effBytes,
    entriesNeeded,
    walkRefs: cost.walkRefs,
    hitTimeNs: cost.hitTimeNs,
    missPenaltyNs: cost.missPenaltyNs,
    relativeThroughput: cost.hitTimeNs / time,
  };
}

export interface IotlbCliffRow {
  workingSetBytes: number;
  pageSize: PageSize;
  hitRate: number;
  relativeThroughput: number;
  entriesNeeded: number;
  missesPerDma: number;
}

/** One point per (page size, working set): the data of the cliff chart. */
export function iotlbCliff(
  p: { entries: number; ways?: number; workingSets: number[]; pageSizes?: PageSize[]; pattern?: IotlbPattern; accesses?: number; seed?: number } &
    Partial<Omit<IotlbParams, "entries" | "ways" | "workingSetBytes" | "pageSize" | "pattern" | "accesses" | "seed">>,
): IotlbCliffRow[] {
  const { workingSets, pageSizes, ...rest } = p;
  if (!Array.isArray(workingSets) || workingSets.length === 0) throw new ParameterError("workingSets", "needs at least one working set");
  const sizes = pageSizes ?? (["2M", "4K"] as PageSize[]);
  const rows: IotlbCliffRow[] = [];
  for (const pageSize of sizes) {
    for (const ws of workingSets) {
      const r = simulateIotlb({ ...rest, ways: rest.ways ?? rest.entries, pageSize, workingSetBytes: ws });
      rows.push({ workingSetBytes: ws, pageSize, hitRate: r.hitRate, relativeThroughput: r.relativeThroughput, entriesNeeded: r.entriesNeeded, missesPerDma: r.missesPerDma });
    }
  }
  return rows;
}

export interface IotlbCliffPoint {
  /** Largest working set (a whole number of IOTLB entries' worth) whose hit rate is ≥ threshold; 0 if none. */
  workingSetBytes: number;
  /** The same in entries of the effective page size. */
  translations: number;
  hitRate: number;
  threshold: number;
  effectivePageSize: PageSize;
  reachBytes: number;
  /** workingSetBytes / reachBytes: 1 means the cliff sits exactly at the IOTLB's reach. */
  ratioToReach: number;
  /** False when even the largest working set searched (64 × reach) keeps the hit rate ≥ threshold. */
  found: boolean;
}

/**
 * Finds the cliff: bisection over the working set in whole entries of the effective page size,
 * assuming the hit rate falls as the working set grows (true for LRU under both patterns).
 */
export function findIotlbCliff(p: Partial<IotlbParams> & { threshold?: number }): IotlbCliffPoint {
  const { threshold = 0.99, ...rest } = p;
  checkRange("threshold", threshold, 0, 1);
  const q = resolve(rest);
  const eff = effectivePageSize(q.guestPageSize, q.pageSize);
  const unit = pageSizeBytes(eff);
  const reach = q.entries * unit;
  const hitAt = (n: number): number => simulateIotlb({ ...q, workingSetBytes: Math.max(n * unit, q.dmaBytes) }).hitRate;
  const hiN = 64 * q.entries;
  const point = (n: number, h: number, found: boolean): IotlbCliffPoint => ({
    workingSetBytes: n * unit, translations: n, hitRate: h, threshold, effectivePageSize: eff, reachBytes: reach, ratioToReach: (n * unit) / reach, found,
  });
  const hHi = hitAt(hiN);
  if (hHi >= threshold) return point(hiN, hHi, false);
  const h1 = hitAt(1);
  if (h1 < threshold) return point(0, h1, true);
  let lo = 1; // hit rate ≥ threshold here
  let hLo = h1;
  let hi = hiN; // below threshold here
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const h = hitAt(mid);
    if (h >= threshold) {
      lo = mid;
      hLo = h;
    } else hi = mid;
  }
  return point(lo, hLo, true);
}
