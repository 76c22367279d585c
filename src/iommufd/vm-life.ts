// Data series for Chapter 3's charts, computed by running the Machine with iommufd on it (never
// retyped numbers): memory held back over a VM's life under each pin policy, device DMA outcomes,
// and the lifetime of a pin against the lifetime of the memfd it pins.
import { checkInt, ParameterError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { parseSize } from "../core/units.js";
import { Machine } from "../mfr/machine.js";
import { hasChange, parseKernelVersion, type KernelVersion } from "../mfr/kernel-version.js";
import { Iommufd, type Device, type Ioas, type PinPolicy } from "./iommufd.js";
import { pinRegistry } from "./registry.js";
import { folioTest, PG_hugetlb, PG_hugetlb_freed, PG_hwpoison, type Folio } from "../mfr/mm/folio.js";

export interface VmLifeOptions {
  /** What memory failure on pinned memory does: "none" (mainline), "ebusy" (Jiaqi Yan, 21 Jan 2025), "revoke" (Jason Gunthorpe, Feb 2026). */
  policy: PinPolicy;
  /** Uncorrected errors during the VM's life (default 2), at seeded random days and pages. */
  errors?: number;
  seed?: number;
  /** Guest RAM (default "4G"), a hugetlb memfd of `pageSize` folios mapped whole for the device. */
  guest?: string | number;
  /** HugeTLB page size backing guest RAM (default "1G"). */
  pageSize?: "2M" | "1G";
  /** MFD_MF_KEEP_UE_MAPPED on the guest memfd (default true: the RFC's policy). */
  keepUeMapped?: boolean;
  /**
   * How the VMM hands guest RAM to iommufd: "file" (IOMMU_IOAS_MAP_FILE, the default on 7.3) or
   * "va" (IOMMU_IOAS_MAP of its mapping, the default on 6.12, which has no IOMMU_IOAS_MAP_FILE).
   */
  map?: "file" | "va";
  /** With "revoke": revoke on memory_failure() too, not only on truncate/punch hole (default true). */
  revokeOnPoison?: boolean;
  /** After each error the VMM punches the poisoned folio out of the memfd, wanting it freed (default false). */
  punchPoisoned?: boolean;
  /** Days the VM runs (default 30); errors fall on days 1 … days-1. */
  days?: number;
  /** DMAs per day by the passthrough device at random guest pages (default 8); one more goes to each poisoned page. */
  dmaPerDay?: number;
  /**
   * "close-first" (default): the VMM closes its iommufd, then exits. "exit": it just exits; the
   * model releases the memfd (exit_files) before the iommufd's pins go, so release meets pinned folios.
   */
  teardown?: "close-first" | "exit";
  /** Kernel to model (default "7.3"). */
  kernel?: KernelVersion;
}

/** One sample of a VM's life: after boot, after each day, after teardown. */
export interface VmLifePoint {
  /** Day (0 = boot; days + 1 and days + 2 = the teardown steps). */
  t: number;
  phase: "boot" | "running" | "iommufd closed" | "exited";
  /** What happened that day ("UE at guest+1.5G", "punch hole", …), empty on a quiet day. */
  event: string;
  pinnedBytes: number;
  heldBackBytes: number;
  pendingBytes: number;
  leakedBytes: number;
  offlinedBytes: number;
  /** Cumulative device outcomes (dmas = all of them). */
  dmas: number;
  dmaToPoison: number;
  dmaToOffline: number;
  ioPageFaults: number;
  invalidations: number;
  revokes: number;
}

export interface VmLifeSeries {
  policy: PinPolicy;
  options: Required<VmLifeOptions>;
  points: VmLifePoint[];
  /** The errors: day and offset into guest RAM. */
  errors: { day: number; offset: number }[];
  /** Violations the model's invariants found (expected: none). */
  violations: string[];
}

/** What heldBackOverVmLife() assumes (Chapter 3, "Memory held back"; shown by the CLI and the page). */
export const VM_LIFE_ASSUMPTIONS: readonly string[] = [
  "errors fall on distinct seeded random days and on random 4K pages, in distinct folios while there are folios left (uniform: real errors cluster)",
  "guest RAM is mapped for the device once, one IOAS area per folio, and stays pinned for the VM's life",
  "the device DMAs at random guest pages every day, plus one DMA a day to each page that has been poisoned (the guest was never told)",
  "ebusy and revoke are proposals (Jiaqi Yan, 21 Jan 2025; Jason Gunthorpe, Feb 2026), not kernel code",
];

/**
 * A VM with a passthrough device, from boot to teardown: the VMM backs guest RAM with a hugetlb
 * memfd, maps it all into an IOAS once (pinned for the VM's life, Jason Gunthorpe, 20 Jan 2025),
 * the device DMAs every day, uncorrected errors arrive, and at the end the VMM closes its iommufd
 * and exits. Measured after every day with pinRegistry(m).metrics().
 */
export function heldBackOverVmLife(o: VmLifeOptions): VmLifeSeries {
  const opts: Required<VmLifeOptions> = {
    policy: o.policy,
    errors: o.errors ?? 2,
    seed: o.seed ?? 1,
    guest: o.guest ?? "4G",
    pageSize: o.pageSize ?? "1G",
    keepUeMapped: o.keepUeMapped ?? true,
    map: o.map ?? (hasChange(parseKernelVersion(o.kernel), "iommufd-map-file") ? "file" : "va"),
    revokeOnPoison: o.revokeOnPoison ?? true,
    punchPoisoned: o.punchPoisoned ?? false,
    days: o.days ?? 30,
    dmaPerDay: o.dmaPerDay ?? 8,
    teardown: o.teardown ?? "close-first",
    kernel: parseKernelVersion(o.kernel),
  };
  if (!["none", "ebusy", "revoke"].includes(opts.policy)) throw new ParameterError("policy", `"${opts.policy}" is not a policy`, "use none, ebusy or revoke");
  if (opts.pageSize !== "2M" && opts.pageSize !== "1G") throw new ParameterError("pageSize", `"${opts.pageSize}" is not a hugetlb size`, 'use "2M" or "1G"');
  if (opts.teardown !== "close-first" && opts.teardown !== "exit") throw new ParameterError("teardown", `"${opts.teardown}" is not a teardown`, 'use "close-first" or "exit"');
  if (opts.map !== "file" && opts.map !== "va") throw new ParameterError("map", `"${opts.map}" is not a mapping kind`, 'use "file" or "va"');
  if (opts.map === "file" && !hasChange(opts.kernel, "iommufd-map-file")) throw new ParameterError("map", `kernel ${opts.kernel} has no IOMMU_IOAS_MAP_FILE (added in v6.13)`, 'use "va" (IOMMU_IOAS_MAP)');
  const guest = parseSize(opts.guest, "guest");
  const folio = parseSize(opts.pageSize);
  if (guest % folio !== 0 || guest / folio > 64) throw new ParameterError("guest", `${opts.guest} is not 1–64 ${opts.pageSize} pages`);
  checkInt("days", opts.days, 2, 10_000);
  checkInt("errors", opts.errors, 0, opts.days - 1);
  checkInt("dmaPerDay", opts.dmaPerDay, 0, 10_000);
  checkInt("seed", opts.seed, 0, 0xffffffff);
  const nFolios = guest / folio;

  const m = new Machine({
    memory: Math.ceil((guest + 2 * folio) / 2 ** 30) * 2 ** 30 + 2 ** 30,
    hugetlb: { [opts.pageSize]: nFolios + 1 },
    offlinePinned: opts.policy === "ebusy" ? "ebusy" : "try",
    kernel: opts.kernel,
    checkEveryStep: false,
  });
  const reg = pinRegistry(m);
  const rng = new Rng(opts.seed);
  const vmm = m.spawn();
  const fd = m.memfdCreate(vmm, { size: guest, hugetlb: opts.pageSize, keepUeMapped: opts.keepUeMapped });
  const addr = m.mmap(vmm, { length: guest, fd });
  m.populate(vmm, addr, guest);
  const ctx = new Iommufd(m, vmm, { policy: opts.policy, revokeOnPoison: opts.revokeOnPoison });
  const ioas: Ioas = ctx.ioasAlloc();
  const dev: Device = ioas.attach("nic0");
  // One area per folio, as a VMM maps RAM section by section: a revoke then costs one folio's IOVA range.
  for (let i = 0; i < nFolios; i++) {
    const r = opts.map === "file" ? ioas.mapFile({ fd, start: i * folio, length: folio, iova: guest + i * folio }) : ioas.map({ uptr: addr + i * folio, length: folio, iova: guest + i * folio });
    if (r.ret !== 0) throw new ParameterError("guest", `mapping guest RAM for the device failed (${r.ret})`);
  }

  // Error days (distinct) and offsets: a random 4K page, in distinct folios while there are folios left.
  const dayPool = Array.from({ length: opts.days - 1 }, (_, i) => i + 1);
  rng.shuffle(dayPool);
  const folioPool = Array.from({ length: nFolios }, (_, i) => i);
  rng.shuffle(folioPool);
  const errs = dayPool
    .slice(0, opts.errors)
    .sort((a, b) => a - b)
    .map((day, i) => ({ day, offset: folioPool[i % nFolios] * folio + rng.nextInt(folio / 4096) * 4096 }));

  const points: VmLifePoint[] = [];
  const sample = (t: number, phase: VmLifePoint["phase"], event: string) => {
    const mt = reg.metrics();
    const s = m.summary();
    points.push({
      t, phase, event,
      pinnedBytes: mt.pinnedBytes, heldBackBytes: mt.heldBackBytes, pendingBytes: mt.pendingBytes, leakedBytes: mt.leakedBytes,
      offlinedBytes: s.offlined * 4096,
      dmas: mt.dmas, dmaToPoison: mt.dmaToPoison, dmaToOffline: mt.dmaToOffline, ioPageFaults: mt.ioPageFaults, invalidations: mt.invalidations, revokes: mt.revokes,
    });
  };
  sample(0, "boot", `guest RAM ${opts.guest} pinned`);
  const poisoned: number[] = [];
  for (let day = 1; day <= opts.days; day++) {
    const events: string[] = [];
    for (const e of errs.filter((x) => x.day === day)) {
      const pfn = m.pfnOf(vmm, addr + e.offset);
      // The page may already be unmapped (an earlier error in the same folio without keepUeMapped).
      if (pfn !== null) m.memoryFailure(pfn);
      else {
        const f = ioas.translate(guest + e.offset);
        if (f !== null) m.memoryFailure(f);
      }
      poisoned.push(e.offset);
      events.push(`UE at guest+${fmt(e.offset)}`);
      if (opts.punchPoisoned) {
        const start = Math.floor(e.offset / folio) * folio;
        m.punchHole(vmm, fd, start, folio);
        events.push(`punch hole ${fmt(start)}+${opts.pageSize}`);
      }
    }
    for (let i = 0; i < opts.dmaPerDay; i++) dev.dma(guest + rng.nextInt(guest / 4096) * 4096);
    // The guest keeps posting buffers on the pages it does not know are bad.
    for (const off of poisoned) dev.dma(guest + off);
    sample(day, "running", events.join("; "));
  }
  if (opts.teardown === "close-first") {
    ctx.close();
    sample(opts.days + 1, "iommufd closed", "VM teardown: iommufd closed (unmap + unpin)");
    m.exit(vmm);
    sample(opts.days + 2, "exited", "VMM exits: memfd released");
  } else {
    m.exit(vmm);
    sample(opts.days + 1, "exited", "VMM exits: memfd released, then the iommufd's pins dropped");
  }
  const violations = m.checkInvariants().map((v) => `${v.name}: ${v.detail}`);
  return { policy: opts.policy, options: opts, points, errors: errs, violations };
}

function fmt(bytes: number): string {
  if (bytes === 0) return "0";
  for (const [s, v] of [["G", 2 ** 30], ["M", 2 ** 20], ["K", 2 ** 10]] as const) if (bytes % v === 0) return `${bytes / v}${s}`;
  return `0x${bytes.toString(16)}`;
}

/** Device DMA outcomes of a run, one row per outcome (for a bar chart or a table). */
export interface DmaOutcomeRow {
  policy: PinPolicy;
  outcome: "ok" | "poison" | "offlined" | "io-page-fault";
  count: number;
}

/** The DMA outcomes at the end of each series (cumulative over the VM's life). */
export function dmaOutcomeRows(series: readonly VmLifeSeries[]): DmaOutcomeRow[] {
  const out: DmaOutcomeRow[] = [];
  for (const s of series) {
    const p = s.points[s.points.length - 1];
    const ok = p.dmas - p.dmaToPoison - p.dmaToOffline - p.ioPageFaults;
    out.push({ policy: s.policy, outcome: "ok", count: ok }, { policy: s.policy, outcome: "poison", count: p.dmaToPoison });
    out.push({ policy: s.policy, outcome: "offlined", count: p.dmaToOffline }, { policy: s.policy, outcome: "io-page-fault", count: p.ioPageFaults });
  }
  return out;
}

/** One interval of a lifetime chart: `lane` holds from step `from` up to (not including) step `to`. */
export interface LifetimeBar {
  lane: string;
  from: number;
  to: number;
}

export interface PinLifetime {
  /** What each step did, in order (x positions 0 … steps.length - 1). */
  steps: string[];
  /** The lanes, top to bottom. */
  lanes: string[];
  bars: LifetimeBar[];
  /** Bytes of the poisoned folio. */
  folioBytes: number;
  violations: string[];
}

export interface PinLifetimeOptions {
  policy?: PinPolicy;
  /** IOMMU_IOAS_MAP_FILE ("file", default) or IOMMU_IOAS_MAP of the VMM's mapping ("va"). */
  map?: "file" | "va";
  keepUeMapped?: boolean;
  pageSize?: "2M" | "1G";
}

export const PIN_LIFETIME_LANES = ["memfd fd open", "mapped by the VMM", "in the memfd's page cache", "pinned by iommufd", "folio allocated", "poisoned folio in the free pool"] as const;

/**
 * The lifetime of a pin against the lifetime of the memfd it pins: one hugetlb folio of guest
 * RAM is pinned, poisoned, then the VMM unmaps and closes the memfd (the RFC expects the folio
 * to "become free" here), the VM runs on, and only the iommufd's close unpins it. Each lane is
 * sampled from the Machine after each step.
 */
export function pinVsMemfdLifetime(o: PinLifetimeOptions = {}): PinLifetime {
  const policy = o.policy ?? "none";
  const size = o.pageSize ?? "2M";
  const map = o.map ?? "file";
  if (!["none", "ebusy", "revoke"].includes(policy)) throw new ParameterError("policy", `"${policy}" is not a policy`, "use none, ebusy or revoke");
  if (size !== "2M" && size !== "1G") throw new ParameterError("pageSize", `"${size}" is not a hugetlb size`, 'use "2M" or "1G"');
  if (map !== "file" && map !== "va") throw new ParameterError("map", `"${map}" is not a mapping kind`, 'use "file" or "va"');
  const bytes = parseSize(size);
  const m = new Machine({ memory: "4G", hugetlb: { [size]: 2 }, offlinePinned: policy === "ebusy" ? "ebusy" : "try" });
  const vmm = m.spawn();
  const steps: string[] = [];
  const samples: boolean[][] = [];
  let fd = -1;
  let addr = -1;
  let folio: Folio | null = null;
  let mapped = true;
  const sample = (what: string) => {
    steps.push(what);
    const f = folio;
    const live = !!f && m.mem.folios.get(f.pfn) === f;
    const inPool = !!f && live && folioTest(f, PG_hugetlb) && folioTest(f, PG_hugetlb_freed);
    samples.push([
      fd >= 0 && m.tasks.get(vmm)!.alive && m.tasks.get(vmm)!.fds.has(fd),
      mapped && m.tasks.get(vmm)!.alive && m.pfnOf(vmm, addr) !== null,
      !!f && live && f.mapping !== null,
      !!f && f.pincount > 0,
      live && !inPool,
      inPool && folioTest(f as Folio, PG_hwpoison),
    ]);
  };
  fd = m.memfdCreate(vmm, { size, hugetlb: size, keepUeMapped: o.keepUeMapped ?? true });
  addr = m.mmap(vmm, { length: size, fd });
  m.populate(vmm, addr, size);
  folio = m.mem.pageFolio(m.pfnOf(vmm, addr) as number) ?? null;
  sample("memfd_create + mmap + fault in");
  const ctx = new Iommufd(m, vmm, { policy });
  const ioas = ctx.ioasAlloc();
  const dev = ioas.attach("nic0");
  const r = map === "file" ? ioas.mapFile({ fd, length: size, iova: bytes }) : ioas.map({ uptr: addr, length: size, iova: bytes });
  if (r.ret !== 0) throw new ParameterError("map", `the IOAS map failed (${r.ret})`);
  sample(map === "file" ? "IOMMU_IOAS_MAP_FILE (pin)" : "IOMMU_IOAS_MAP (pin)");
  m.memoryFailure((m.pfnOf(vmm, addr) as number) + 1);
  sample("UE: memory_failure()");
  m.munmap(vmm, addr);
  mapped = false;
  m.close(vmm, fd);
  sample("VMM munmap + close(memfd)");
  dev.dma(bytes + 8 * 4096);
  sample("device DMA, VM runs on");
  ctx.close();
  sample("iommufd closed (VM teardown)");
  m.exit(vmm);
  sample("VMM exits");
  const lanes = [...PIN_LIFETIME_LANES];
  const bars: LifetimeBar[] = [];
  lanes.forEach((lane, li) => {
    let from = -1;
    for (let i = 0; i <= samples.length; i++) {
      const on = i < samples.length && samples[i][li];
      if (on && from < 0) from = i;
      if (!on && from >= 0) {
        bars.push({ lane, from, to: i });
        from = -1;
      }
    }
  });
  return { steps, lanes, bars, folioBytes: bytes, violations: m.violations.map((v) => `${v.name}: ${v.detail}`) };
}
