// Memory lost to uncorrected errors under the default HugeTLB behaviour and under the proposed
// MFD_MF_KEEP_UE_MAPPED policy (RFC "Userspace MFR Policy via memfd", Jiaqi Yan, 18 Jan 2025).
// Nothing here is a formula: every number comes from running the Machine and looking at what a
// process can still read and what the allocator can still hand out.
import { checkInt, ParameterError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import { parseSize } from "../../core/units.js";
import { Machine, type PolicyVariant } from "../machine.js";
import { parseKernelVersion, type KernelVersion } from "../kernel-version.js";
import { folioTest, PG_hwpoison } from "../mm/folio.js";

/** The two per-memfd policies the RFC compares: today's behaviour and the proposed flag. */
export type MemfdMfPolicy = "default" | "keep-ue-mapped";
export const MEMFD_MF_POLICIES: readonly MemfdMfPolicy[] = ["default", "keep-ue-mapped"];

export interface MemoryLostOptions {
  /** Number of uncorrected errors, each on a distinct 4K page of the guest. */
  errors: number;
  /** Guest memory, one HugeTLB memfd (default "8G"). */
  guest?: string | number;
  /** HugeTLB page size of the memfd (default "1G"). */
  folio?: "2M" | "1G";
  /** Seed of the error pattern (default 1). */
  seed?: number;
  /** Release path of the policy (default "v2"). */
  policyVariant?: PolicyVariant;
  /** iommufd/VFIO pins every folio with FOLL_LONGTERM for the VM's life (dropped at exit, after release). */
  pinned?: boolean;
  /** Kernel to model (default "7.3"). */
  kernel?: KernelVersion;
}

/** What one policy cost, while the memfd is live and after the VMM released it. */
export interface PolicyLoss {
  policy: MemfdMfPolicy;
  live: {
    /** Bytes of the guest the VMM can no longer read: the union of the extents its SIGBUSes named. */
    unreadableBytes: number;
    /** si_addr_lsb values the probes saw (sorted, distinct). */
    lsbs: number[];
    /** Distinct folios with at least one error. */
    poisonedFolios: number;
  };
  afterRelease: {
    /** Frames nobody can allocate any more (summary().leaked + summary().offlined), in bytes. */
    unusableBytes: number;
    /** Of which: folios leaked whole (held by MF, or poisoned on the free pool). */
    leakedBytes: number;
    /** Of which: raw pages kept off the allocator on purpose. */
    offlinedBytes: number;
    /** HugeTLB pool after release (nr_hugepages, free_hugepages) and pages that can never be handed out as huge pages again. */
    hugetlb: { nr: number; free: number; lost: number };
    /** Invariant violations (a poisoned page handed out or left on the free lists). */
    violations: string[];
  };
}

export interface MemoryLostResult {
  /** The kernel modelled. */
  kernel: KernelVersion;
  errors: number;
  guestBytes: number;
  folio: "2M" | "1G";
  folioBytes: number;
  seed: number;
  /** The error pattern: distinct 4K page offsets inside the guest, in the order the errors arrive. */
  pattern: number[];
  default: PolicyLoss;
  keepUeMapped: PolicyLoss;
}

/** What memoryLostByPolicy() assumes (Chapter 2, "Memory lost per policy"; shown by the CLI and the page). */
export const MEMORY_LOST_ASSUMPTIONS: readonly string[] = [
  "errors fall on distinct 4K pages, uniformly over the guest (real DRAM errors cluster by row, bank and DIMM)",
  "each error is a hardware report, memory_failure(pfn, 0), as GHES or a patrol scrubber would deliver it",
  "release = the VMM closes the memfd and exits; pins (option pinned) are dropped after the release path ran",
];

/**
 * A seeded error pattern: `errors` distinct 4K page offsets in a guest of `guest` bytes, in
 * arrival order. Uniform over the guest (an assumption: real DRAM errors cluster by row, bank
 * and DIMM).
 */
export function errorPattern(o: { errors: number; guest: string | number; seed: number }): number[] {
  const pages = Math.floor(parseSize(o.guest, "guest") / 4096);
  checkInt("errors", o.errors, 0, Math.min(pages, 100_000));
  const rng = new Rng(o.seed);
  const seen = new Set<number>();
  const out: number[] = [];
  while (out.length < o.errors) {
    const p = rng.nextInt(pages);
    if (seen.has(p)) continue;
    seen.add(p);
    out.push(p);
  }
  return out;
}

/** The VMM of one run: a process with the guest's memfd mapped and faulted in. */
export interface GuestVm {
  m: Machine;
  pid: number;
  fd: number;
  addr: number;
  folioBytes: number;
}

/** Boots a Machine with a HugeTLB pool for the guest and a VMM whose memfd has the policy. */
export function bootGuestVm(o: { guest: string | number; folio: "2M" | "1G"; policy: MemfdMfPolicy; policyVariant?: PolicyVariant; pinned?: boolean; recordEvents?: boolean; kernel?: KernelVersion }): GuestVm {
  const guestBytes = parseSize(o.guest, "guest");
  const folioBytes = parseSize(o.folio, "folio");
  if (guestBytes < folioBytes || guestBytes % folioBytes !== 0) {
    throw new ParameterError("guest", `${guestBytes} bytes is not a whole number of ${o.folio} pages`, `use e.g. "8G"`);
  }
  const nr = guestBytes / folioBytes;
  const m = new Machine({
    memory: guestBytes + parseSize("1G"),
    hugetlb: { [o.folio]: nr },
    policyVariant: o.policyVariant ?? "v2",
    recordEvents: o.recordEvents ?? true,
    kernel: o.kernel,
  });
  const pid = m.spawn();
  const fd = m.memfdCreate(pid, { size: guestBytes, hugetlb: o.folio, keepUeMapped: o.policy === "keep-ue-mapped" });
  const addr = m.mmap(pid, { length: guestBytes, fd });
  m.populate(pid, addr, guestBytes);
  if (o.pinned) for (let i = 0; i < nr; i++) m.pin(pid, addr + i * folioBytes);
  return { m, pid, fd, addr, folioBytes };
}

/**
 * Runs one policy: boots the guest, delivers each error as a hardware report
 * (memory_failure(pfn, 0), as GHES or a patrol scrubber would), probes what the VMM can still
 * read, then releases the memfd (close + exit) and counts what the allocator lost.
 */
export function runPolicyLoss(policy: MemfdMfPolicy, o: MemoryLostOptions & { pattern: number[] }): PolicyLoss {
  const folio = o.folio ?? "1G";
  const vm = bootGuestVm({ guest: o.guest ?? "8G", folio, policy, policyVariant: o.policyVariant, pinned: o.pinned, recordEvents: false, kernel: o.kernel });
  const { m, pid, fd, addr, folioBytes } = vm;
  const hugeBefore = m.hugetlb(folio).nr;
  // The frames behind the pattern, looked up before any error unmaps them (/proc/pid/pagemap).
  const pfns = o.pattern.map((off) => {
    const pfn = m.pfnOf(pid, addr + off * 4096);
    if (pfn === null) throw new ParameterError("pattern", `guest page ${off} is not mapped`);
    return pfn;
  });
  for (const pfn of pfns) m.memoryFailure(pfn);

  // Live: read one healthy page of every poisoned folio, and every poisoned page; each SIGBUS
  // names an extent (si_addr, si_addr_lsb). Extents are aligned powers of two, so they nest or
  // are disjoint, and the union is the sum of the outermost ones.
  const pagesPerFolio = folioBytes / 4096;
  const poisoned = new Set(o.pattern);
  const folios = new Set(o.pattern.map((p) => Math.floor(p / pagesPerFolio)));
  const probes: number[] = [];
  for (const fi of [...folios].sort((a, b) => a - b)) {
    let p = fi * pagesPerFolio;
    while (poisoned.has(p)) p++;
    if (p < (fi + 1) * pagesPerFolio) probes.push(p);
  }
  for (const p of [...poisoned].sort((a, b) => a - b)) probes.push(p);
  const extents = new Map<string, { start: number; size: number }>();
  const lsbs = new Set<number>();
  for (const p of probes) {
    const r = m.read(pid, addr + p * 4096);
    for (const s of r.signals) {
      if (s.sig !== "SIGBUS") continue;
      lsbs.add(s.lsb);
      const size = 2 ** s.lsb;
      const start = Math.floor(s.addr / size) * size;
      extents.set(`${start}:${size}`, { start, size });
    }
  }
  const outer = [...extents.values()].sort((a, b) => b.size - a.size);
  const kept: { start: number; size: number }[] = [];
  for (const e of outer) if (!kept.some((k) => e.start >= k.start && e.start + e.size <= k.start + k.size)) kept.push(e);
  const unreadableBytes = kept.reduce((s, e) => s + e.size, 0);

  // After release: the VMM closes the memfd and exits (mappings, fds, then device pins go).
  m.close(pid, fd);
  m.exit(pid);
  const s = m.summary();
  const h = m.hugetlb(folio);
  const healthyFree = m.mem.hstates.get(folio)?.freeList.filter((f) => !folioTest(f, PG_hwpoison)).length ?? 0;
  return {
    policy,
    live: { unreadableBytes, lsbs: [...lsbs].sort((a, b) => a - b), poisonedFolios: folios.size },
    afterRelease: {
      unusableBytes: (s.leaked + s.offlined) * 4096,
      leakedBytes: s.leaked * 4096,
      offlinedBytes: s.offlined * 4096,
      hugetlb: { nr: h.nr, free: h.free, lost: hugeBefore - healthyFree },
      violations: m.violations.map((v) => `${v.name}: ${v.detail}`),
    },
  };
}

/**
 * Memory lost per policy for one seeded error pattern over a HugeTLB-backed guest:
 * default (the whole folio is poisoned; a file-backed folio stays in the page cache and is
 * leaked at truncate, Jiaqi Yan's reply of 21 Jan 2025) vs MFD_MF_KEEP_UE_MAPPED (only the raw
 * pages SIGBUS; at release the folio is dissolved and only the raw pages stay off).
 */
export function memoryLostByPolicy(o: MemoryLostOptions): MemoryLostResult {
  const guest = o.guest ?? "8G";
  const folio = o.folio ?? "1G";
  if (folio !== "2M" && folio !== "1G") throw new ParameterError("folio", `"${String(folio)}" is not a HugeTLB size`, 'use "2M" or "1G"');
  const seed = o.seed ?? 1;
  const kernel = parseKernelVersion(o.kernel);
  const pattern = errorPattern({ errors: o.errors, guest, seed });
  const opts = { ...o, guest, folio, seed, pattern, kernel };
  return {
    kernel,
    errors: o.errors,
    guestBytes: parseSize(guest, "guest"),
    folio,
    folioBytes: parseSize(folio, "folio"),
    seed,
    pattern,
    default: runPolicyLoss("default", opts),
    keepUeMapped: runPolicyLoss("keep-ue-mapped", opts),
  };
}

/** memoryLostByPolicy for 0, 1, …, maxErrors errors: the same seeded pattern, one prefix per point. */
export function memoryLostSeries(o: Omit<MemoryLostOptions, "errors"> & { maxErrors: number; step?: number }): MemoryLostResult[] {
  checkInt("maxErrors", o.maxErrors, 0, 10_000);
  const step = checkInt("step", o.step ?? 1, 1, 10_000);
  const out: MemoryLostResult[] = [];
  for (let n = 0; n <= o.maxErrors; n += step) out.push(memoryLostByPolicy({ ...o, errors: n }));
  return out;
}
