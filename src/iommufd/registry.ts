// Machine-wide state shared by every iommufd context and VFIO container on one Machine: pin
// holders, RLIMIT_MEMLOCK accounting, IO page tables with their IOTLBs, the DMA path, the
// invariants and the measurements. It registers one MachineNotifier and fans it out.
import type { Machine } from "../mfr/machine.js";
import { lastStepChanges, type StepChanges } from "../mfr/invariants.js";
import { ENOMEM } from "../mfr/constants.js";
import type { IommuEventWhat, InvariantName } from "../mfr/events.js";
import { folioNrPages, folioTest, PG_hugetlb, PG_hugetlb_freed, PG_hwpoison, type Folio } from "../mfr/mm/folio.js";
import type { MmAddressSpace } from "../mfr/mm/mapping.js";
import { pageSizeBytes } from "../core/units.js";
import { IoTlb, type IoPte } from "./iotlb-cache.js";
import { folioPoisoned, type PinnedRun } from "./pin.js";

/**
 * How a pin holder's pages are charged (pages.c iopt_pages_update_pinned(); vfio_lock_acct()):
 * "none" (CAP_IPC_LOCK: IOPT_PAGES_ACCOUNT_NONE), "user" (user->locked_vm, the iommufd default),
 * "mm" (mm->locked_vm, iommufd's VFIO-compatible mode), "vfio" (VFIO type1: mm->locked_vm only).
 * Every iommufd mode also adds to mm->pinned_vm; VFIO type1 does not.
 */
export type AccountMode = "none" | "user" | "mm" | "vfio";

/** Something that holds FOLL_LONGTERM pins: an iommufd iopt_pages or a VFIO type1 vfio_dma. */
export interface PinHolder {
  readonly kind: "iopt_pages" | "vfio_dma";
  readonly id: number;
  /** The process whose mm is charged (pages->source_mm / dma->mm). */
  readonly pid: number;
  readonly uid: number;
  readonly mode: AccountMode;
  runs: PinnedRun[];
  /** Pages pinned and accounted (npinned / dma->locked_vm). */
  npinned: number;
}

/** Pinning pressure and device-side outcomes, for one machine. */
export interface PinMetrics {
  /** Pages pinned by iommufd and VFIO (each iopt_pages / vfio_dma counted once). */
  pinnedPages: number;
  pinnedBytes: number;
  /** Bytes of pinned folios that memory-failure handling wanted gone: poisoned, or removed from their memfd (pending). */
  heldBackBytes: number;
  /** Of those, folios truncated or released from their memfd that stay allocated only because of the pin. */
  pendingBytes: number;
  /** Frames nobody can use or free (MachineSummary.leaked), in bytes. */
  leakedBytes: number;
  dmas: number;
  dmaToPoison: number;
  dmaToOffline: number;
  dmaToFreed: number;
  ioPageFaults: number;
  iotlbHits: number;
  iotlbMisses: number;
  invalidations: number;
  invalidatedEntries: number;
  revokes: number;
}

/** One sample of the pinning pressure after a step. */
export interface PinSample {
  step: number;
  pinnedBytes: number;
  heldBackBytes: number;
}

/** Outcome of one device DMA. */
export interface DmaResult {
  /** ok; io-page-fault (no IOPTE: unmapped or revoked); poison (a bad frame); offlined (memory MF isolated); freed (a frame no longer pinned: a model violation). */
  result: "ok" | "io-page-fault" | "poison" | "offlined" | "freed";
  pfn: number | null;
  iotlbHit: boolean;
}

/** Listener a context registers for the machine's notifications. */
export interface PinListener {
  fileRangeRemove?(as: MmAddressSpace, startIdx: number, endIdx: number, reason: string): void;
  memoryFailure?(pfn: number): void;
  exit?(pid: number): void;
}

/**
 * An IO page table (iommu_domain) with its IOTLB: the IOPTEs of each mapping (an iopt_area or a
 * vfio_dma), and the devices attached to it.
 */
export class IoDomain {
  readonly iotlb: IoTlb;
  private readonly maps = new Map<number, { iova: number; length: number; ptes: IoPte[] }>();
  readonly devices = new Set<string>();

  constructor(
    readonly reg: PinRegistry,
    readonly name: string,
    geometry: { entries: number; ways: number },
  ) {
    this.iotlb = new IoTlb(geometry);
  }

  /** iommu_map() of a mapping's IOPTEs. */
  map(id: number, iova: number, length: number, ptes: IoPte[]): void {
    this.maps.set(id, { iova, length, ptes });
  }

  /** iommu_unmap() + iommu_iotlb_sync(): the IOPTEs go and the IOTLB is invalidated for the range. */
  unmap(id: number): void {
    const mp = this.maps.get(id);
    if (!mp) return;
    this.maps.delete(id);
    if (!this.reg.skipIotlbInvalidation) this.iotlb.invalidateRange(mp.iova, mp.length);
    this.reg.log(this, "iotlb-invalidate", `invalidate IOVA ${hex(mp.iova)}+${hex(mp.length)}${this.reg.skipIotlbInvalidation ? " SKIPPED (fault injection)" : ""}`, { iova: mp.iova });
  }

  /** The page-table walk: the IOPTE covering `iova`, if mapped. */
  walk(iova: number): IoPte | undefined {
    for (const mp of this.maps.values()) {
      if (iova < mp.iova || iova >= mp.iova + mp.length) continue;
      let lo = 0;
      let hi = mp.ptes.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const p = mp.ptes[mid];
        if (iova < p.iova) hi = mid - 1;
        else if (iova >= p.iova + pageSizeBytes(p.size)) lo = mid + 1;
        else return p;
      }
    }
    return undefined;
  }

  /** The mapping records (one per iopt_area or vfio_dma), for the registry's change detection. */
  mappings(): IterableIterator<object> {
    return this.maps.values();
  }

  ptes(): IoPte[] {
    const out: IoPte[] = [];
    for (const mp of this.maps.values()) out.push(...mp.ptes);
    return out;
  }

  /**
   * One DMA by an attached device: IOTLB lookup, page walk on a miss, IO page fault when there is
   * no IOPTE. The frame reached is classified; nothing calls back into memory_failure() (a real
   * device reading poison gets a poisoned completion; the model only reports it).
   */
  dma(device: string, iova: number, write: boolean): DmaResult {
    const reg = this.reg;
    const m = reg.m;
    return m.runStep(() => {
      reg.counters.dmas++;
      let tr = this.iotlb.lookup(iova);
      const hit = !!tr;
      if (!tr) {
        tr = this.walk(iova);
        if (!tr) {
          reg.counters.ioPageFaults++;
          reg.log(this, "io-page-fault", `${device}: DMA ${write ? "write" : "read"} at IOVA ${hex(iova)} has no IOPTE`, { device, iova });
          return { result: "io-page-fault", pfn: null, iotlbHit: false };
        }
        this.iotlb.fill(tr);
      }
      const pfn = tr.pfn + Math.floor((iova - tr.iova) / 4096);
      const f = m.mem.pageFolio(pfn);
      let result: DmaResult["result"] = "ok";
      if (!f || (folioTest(f, PG_hugetlb) && folioTest(f, PG_hugetlb_freed))) {
        result = "freed";
        reg.counters.dmaToFreed++;
        reg.violation("dma-to-freed-frame", `dma:${device}:${pfn}`, `${device} DMA at IOVA ${hex(iova)} reached pfn ${pfn}, which is not allocated`);
      } else if (m.mem.isCorrupt(pfn)) {
        // Only a real error: a frame poisoned by MADV_HWPOISON still holds good data.
        result = "poison";
        reg.counters.dmaToPoison++;
        reg.log(this, "dma-to-poison", `${device}: DMA ${write ? "write" : "read"} at IOVA ${hex(iova)} reached poisoned pfn ${pfn} (no callback into the IOMMU)`, { device, iova, pfn });
      } else if (reg.isolated(f)) {
        result = "offlined";
        reg.counters.dmaToOffline++;
        reg.log(this, "dma-to-offlined", `${device}: DMA at IOVA ${hex(iova)} reached pfn ${pfn} of a folio memory-failure handling took away from the CPU side`, { device, iova, pfn });
      } else if (f.mapping === null && f.anon === null) {
        reg.log(this, "dma", `${device}: DMA at IOVA ${hex(iova)} completed into pfn ${pfn}, a healthy folio no longer in its file but still pinned`, { device, iova, pfn });
      }
      return { result, pfn, iotlbHit: hit };
    });
  }
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function sameShape(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const registries = new WeakMap<Machine, PinRegistry>();

/** The pin registry of a machine (created, and registered as a MachineNotifier, on first use). */
export function pinRegistry(m: Machine): PinRegistry {
  let r = registries.get(m);
  if (!r) {
    r = new PinRegistry(m);
    registries.set(m, r);
  }
  return r;
}

/** Per-machine pin holders, accounting, domains, counters and invariants. */
export class PinRegistry {
  readonly holders = new Set<PinHolder>();
  readonly domains = new Set<IoDomain>();
  readonly listeners = new Set<PinListener>();
  /** user->locked_vm per uid, mm->locked_vm and mm->pinned_vm per pid, in pages. */
  readonly userLockedVm = new Map<number, number>();
  readonly mmLockedVm = new Map<number, number>();
  readonly pinnedVm = new Map<number, number>();
  /** RLIMIT_MEMLOCK in bytes, CAP_IPC_LOCK, and uid per process (defaults: unlimited, no, 1000). */
  readonly rlimitMemlock = new Map<number, number>();
  readonly capIpcLock = new Map<number, boolean>();
  readonly uids = new Map<number, number>();
  readonly counters = { dmas: 0, dmaToPoison: 0, dmaToOffline: 0, dmaToFreed: 0, ioPageFaults: 0, revokes: 0 };
  readonly history: PinSample[] = [];
  /** Fault injection: unmap without iommu_iotlb_sync(), to show the invariants catch a stale IOTLB. */
  skipIotlbInvalidation = false;
  private nextId = 1;
  private readonly reported = new Set<string>();

  constructor(readonly m: Machine) {
    m.notifiers.push({
      fileRangeRemove: (as, s, e, why) => {
        for (const l of [...this.listeners]) l.fileRangeRemove?.(as, s, e, why);
      },
      memoryFailure: (pfn) => {
        for (const l of [...this.listeners]) l.memoryFailure?.(pfn);
      },
      exit: (pid) => {
        for (const l of [...this.listeners]) l.exit?.(pid);
      },
      afterStep: (deep) => this.afterStep(deep),
    });
  }

  newId(): number {
    return this.nextId++;
  }

  uidOf(pid: number): number {
    return this.uids.get(pid) ?? 1000;
  }

  log(domain: IoDomain | null, what: IommuEventWhat, detail: string, o: { device?: string; iova?: number; pfn?: number } = {}): void {
    this.m.log.push({ kind: "iommu", what, detail: domain ? `[${domain.name}] ${detail}` : detail, ...o });
  }

  violation(name: InvariantName, key: string, detail: string): void {
    if (this.reported.has(`${name}:${key}`)) return;
    this.reported.add(`${name}:${key}`);
    this.m.log.violation(name, detail);
  }

  /**
   * Memory that memory-failure handling has taken away from the CPU side but a pin keeps alive: a
   * poisoned HugeTLB folio (unless a policy keeps it mapped), or a poisoned folio no longer in any
   * file or process. A healthy folio that was only truncated or unmapped is not: the pin keeps it
   * allocated, and a DMA into it completes like any other (the data just no longer reaches the file).
   */
  isolated(f: Folio): boolean {
    if (folioTest(f, PG_hugetlb) && folioTest(f, PG_hwpoison) && !(f.mapping && f.mapping.keepUeMapped())) return true;
    return f.mapping === null && f.anon === null && folioPoisoned(this.m, f);
  }

  /**
   * iopt_pages_update_pinned() / vfio_lock_acct(): charges `n` pages to a holder (inc) or releases them.
   * A charge over RLIMIT_MEMLOCK fails with -ENOMEM (incr_user_locked_vm, __account_locked_vm).
   */
  account(h: PinHolder, n: number, inc: boolean): number {
    const limitPages = Math.floor((this.rlimitMemlock.get(h.pid) ?? Infinity) / 4096);
    const cap = this.capIpcLock.get(h.pid) ?? false;
    const bump = (map: Map<number, number>, key: number, limited: boolean): number => {
      const cur = map.get(key) ?? 0;
      if (inc && limited && cur + n > limitPages) return -ENOMEM;
      map.set(key, inc ? cur + n : cur - n);
      return 0;
    };
    let rc = 0;
    if (h.mode === "user") rc = bump(this.userLockedVm, h.uid, true);
    else if (h.mode === "mm") rc = bump(this.mmLockedVm, h.pid, !cap);
    else if (h.mode === "vfio") rc = bump(this.mmLockedVm, h.pid, !cap);
    if (rc) return rc;
    if (h.mode !== "vfio") bump(this.pinnedVm, h.pid, false);
    h.npinned += inc ? n : -n;
    return 0;
  }

  /** Pinned folios (each once) with the number of pins iommufd and VFIO hold on each. */
  pinnedFolios(): Map<Folio, number> {
    const out = new Map<Folio, number>();
    for (const h of this.holders) for (const r of h.runs) out.set(r.folio, (out.get(r.folio) ?? 0) + r.nr);
    return out;
  }

  metrics(): PinMetrics {
    let pinnedPages = 0;
    for (const h of this.holders) pinnedPages += h.npinned;
    let heldBack = 0;
    let pending = 0;
    for (const f of this.pinnedFolios().keys()) {
      const bytes = folioNrPages(f) * 4096;
      const isPending = f.mapping === null && f.anon === null;
      if (isPending) pending += bytes;
      if (isPending || folioPoisoned(this.m, f)) heldBack += bytes;
    }
    let hits = 0;
    let misses = 0;
    let invalidations = 0;
    let invalidatedEntries = 0;
    for (const d of this.domains) {
      hits += d.iotlb.hits;
      misses += d.iotlb.misses;
      invalidations += d.iotlb.invalidations;
      invalidatedEntries += d.iotlb.invalidatedEntries;
    }
    const c = this.counters;
    return {
      pinnedPages,
      pinnedBytes: pinnedPages * 4096,
      heldBackBytes: heldBack,
      pendingBytes: pending,
      leakedBytes: this.m.summary().leaked * 4096,
      dmas: c.dmas,
      dmaToPoison: c.dmaToPoison,
      dmaToOffline: c.dmaToOffline,
      dmaToFreed: c.dmaToFreed,
      ioPageFaults: c.ioPageFaults,
      iotlbHits: hits,
      iotlbMisses: misses,
      invalidations,
      invalidatedEntries,
      revokes: c.revokes,
    };
  }

  /**
   * Invariants after every step: pin counts and accounting agree with the pin holders, every
   * pinned folio is still allocated, every IOPTE and every live IOTLB entry points into a pinned
   * folio (no stale translation). Also records the pinning pressure over time.
   */
  private afterStep(deep: boolean): void {
    // Incremental: when neither the pin holders, the IO page tables, the machine's own pins nor
    // any pinned folio changed in this step, the pin invariants and the pressure cannot have
    // changed either: only the IOTLBs (which a DMA fills) are checked. Otherwise, the whole walk.
    const changes = deep ? undefined : lastStepChanges(this.m);
    const shape = this.shape();
    if (changes && this.lastShape !== undefined && sameShape(shape, this.lastShape) && !this.touchesPinned(changes)) {
      this.checkIotlbs();
      return;
    }
    this.lastShape = shape;
    this.walkAll();
  }

  /** Pinned folios (iommufd, VFIO and the machine's own pins) at the last whole walk. */
  private pinnedAtWalk = new Set<Folio>();
  private lastShape: number[] | undefined;
  private readonly ids = new WeakMap<object, number>();
  private nextShapeId = 1;

  private idOf(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) this.ids.set(o, (id = this.nextShapeId++));
    return id;
  }

  /** Who holds pins, with which runs and counts, which IO mappings exist, the machine's pins: as numbers to compare. */
  private shape(): number[] {
    const out: number[] = [];
    for (const h of this.holders) out.push(this.idOf(h), this.idOf(h.runs), h.npinned);
    out.push(-1);
    for (const d of this.domains) {
      out.push(this.idOf(d));
      for (const mp of d.mappings()) out.push(this.idOf(mp));
    }
    out.push(-2, this.m.pins.length);
    for (const p of this.m.pins) out.push(this.idOf(p.folio));
    return out;
  }

  private touchesPinned(c: StepChanges): boolean {
    for (const f of c.folios) if (this.pinnedAtWalk.has(f)) return true;
    for (const f of c.gone) if (this.pinnedAtWalk.has(f)) return true;
    for (const pfn of c.bad) {
      const f = this.m.mem.pageFolio(pfn);
      if (f && this.pinnedAtWalk.has(f)) return true;
    }
    return false;
  }

  private checkIotlbs(): void {
    for (const d of this.domains) {
      for (const tr of d.iotlb.live()) {
        const p = d.walk(tr.iova);
        if (!p || p.pfn !== tr.pfn || p.size !== tr.size || p.iova !== tr.iova) {
          this.violation("iommu-stale-translation", `iotlb:${d.name}:${tr.iova}:${tr.pfn}`, `[${d.name}] the IOTLB still translates IOVA ${hex(tr.iova)} to pfn ${tr.pfn}, which the IO page table no longer maps`);
        }
      }
    }
  }

  private walkAll(): void {
    const m = this.m;
    const folios = this.pinnedFolios();
    const machinePins = new Map<Folio, number>();
    for (const p of m.pins) machinePins.set(p.folio, (machinePins.get(p.folio) ?? 0) + 1);
    for (const [f, n] of folios) {
      const live = m.mem.folios.get(f.pfn) === f && !(folioTest(f, PG_hugetlb) && folioTest(f, PG_hugetlb_freed));
      if (!live) this.violation("iommu-pin-accounting", `dead:${f.pfn}:${f.allocSeq}`, `a pinned folio at pfn ${f.pfn} was freed while iommufd/VFIO still hold ${n} pins`);
      const want = n + (machinePins.get(f) ?? 0);
      if (f.pincount !== want) this.violation("iommu-pin-accounting", `count:${f.pfn}:${m.log.step}`, `folio at pfn ${f.pfn} has pincount ${f.pincount}, pin holders account for ${want}`);
    }
    const user = new Map<number, number>();
    const mm = new Map<number, number>();
    const pinned = new Map<number, number>();
    const add = (map: Map<number, number>, k: number, n: number) => map.set(k, (map.get(k) ?? 0) + n);
    for (const h of this.holders) {
      let runPages = 0;
      for (const r of h.runs) runPages += r.nr;
      if (runPages !== h.npinned) this.violation("iommu-pin-accounting", `npinned:${h.kind}:${h.id}:${m.log.step}`, `${h.kind} ${h.id} holds ${runPages} pinned pages but accounts ${h.npinned}`);
      if (h.mode === "user") add(user, h.uid, h.npinned);
      if (h.mode === "mm" || h.mode === "vfio") add(mm, h.pid, h.npinned);
      if (h.mode !== "vfio") add(pinned, h.pid, h.npinned);
    }
    const same = (a: Map<number, number>, b: Map<number, number>) => {
      for (const k of new Set([...a.keys(), ...b.keys()])) if ((a.get(k) ?? 0) !== (b.get(k) ?? 0)) return k;
      return null;
    };
    const bad: [string, Map<number, number>, Map<number, number>][] = [["user->locked_vm", user, this.userLockedVm], ["mm->locked_vm", mm, this.mmLockedVm], ["mm->pinned_vm", pinned, this.pinnedVm]];
    for (const [what, want, got] of bad) {
      const k = same(want, got);
      if (k !== null) this.violation("iommu-pin-accounting", `${what}:${k}:${m.log.step}`, `${what} of ${k} is ${got.get(k) ?? 0} pages, the pin holders account for ${want.get(k) ?? 0}`);
    }
    const pinnedSet = new Set(folios.keys());
    this.pinnedAtWalk = new Set([...pinnedSet, ...machinePins.keys()]);
    for (const d of this.domains) {
      for (const p of d.ptes()) {
        const f = m.mem.pageFolio(p.pfn);
        if (!f || !pinnedSet.has(f)) this.violation("iommu-stale-translation", `pte:${d.name}:${p.iova}:${p.pfn}`, `[${d.name}] IOPTE ${hex(p.iova)} → pfn ${p.pfn} is not backed by a pinned folio`);
      }
    }
    this.checkIotlbs();
    if (this.holders.size > 0 || this.history.length > 0) {
      let pinnedPages = 0;
      for (const h of this.holders) pinnedPages += h.npinned;
      let heldBack = 0;
      for (const f of folios.keys()) if ((f.mapping === null && f.anon === null) || folioPoisoned(m, f)) heldBack += folioNrPages(f) * 4096;
      const last = this.history[this.history.length - 1];
      if (!last || last.pinnedBytes !== pinnedPages * 4096 || last.heldBackBytes !== heldBack) {
        this.history.push({ step: m.log.step, pinnedBytes: pinnedPages * 4096, heldBackBytes: heldBack });
      }
    }
  }
}
