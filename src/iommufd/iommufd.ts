// iommufd on the MFR Machine: IOASes whose areas (IOVA ranges) reference iopt_pages that hold
// FOLL_LONGTERM pins on guest memory (drivers/iommu/iommufd/io_pagetable.c, pages.c), devices
// that DMA through an IOTLB, and the policies discussed for memory failure on pinned memory.
import { ParameterError } from "../core/errors.js";
import { parseSize } from "../core/units.js";
import type { Machine } from "../mfr/machine.js";
import { hasChange } from "../mfr/kernel-version.js";
import { EBUSY, EEXIST, EINVAL, ENOTTY } from "../mfr/constants.js";
import { folioNrPages } from "../mfr/mm/folio.js";
import type { MmAddressSpace } from "../mfr/mm/mapping.js";
import { IOTLB_DEFAULTS } from "../iommu/iotlb.js";
import { checkIovaRange, MAX_IOVA } from "./iotlb-cache.js";
import { buildPtes, pinFileRange, pinUserRange, unpinRuns, type PinnedRun, type PinResult } from "./pin.js";
import { IoDomain, pinRegistry, type AccountMode, type DmaResult, type PinHolder, type PinMetrics, type PinRegistry, type PinSample } from "./registry.js";

export const ENOENT = 2;
export const ENOSPC = 28;

/**
 * What happens when memory-failure handling meets memory iommufd has pinned:
 * - "none": mainline. Nothing tells iommufd; the pin stays until unmap or destroy.
 * - "ebusy": Jiaqi Yan's answer (21 Jan 2025): filemap_offline_hwpoison_folio() leaves a
 *   folio_maybe_dma_pinned() folio alone (-EBUSY). Needs `new Machine({ offlinePinned: "ebusy" })`.
 * - "revoke": the memfd owner notifies iommufd, which revokes every area over the affected file
 *   range (Jason Gunthorpe's Feb 2026 direction: revoke a whole iommufd area on truncate or hole
 *   punch), drops the pins, invalidates the IOTLB; DMA to the range then IO-page-faults. With
 *   `revokeOnPoison` it also fires when memory_failure() hits a folio of the file (no such call
 *   exists; Jason, 20 Jan 2025: "we don't have any callback into the iommu"), and a revoked range
 *   cannot be mapped again while its folio is poisoned. Only fd-based mappings (IOMMU_IOAS_MAP_FILE)
 *   are covered: the owner of anonymous memory mapped by VA has no one to notify.
 */
export type PinPolicy = "none" | "ebusy" | "revoke";

export interface IommufdOptions {
  policy?: PinPolicy;
  /** With "revoke": also revoke on memory_failure() of a folio in a mapped file range (default true). */
  revokeOnPoison?: boolean;
  /** ictx->account_mode (IOMMU_OPTION_RLIMIT_MODE): "user" (default) or "mm", the VFIO-compatible mode. */
  accountMode?: "user" | "mm";
  /** IOTLB geometry per IOAS domain; default: Chapter 1's IOTLB_DEFAULTS (64 entries, fully associative). */
  iotlb?: { entries: number; ways?: number };
}

/** Where the PFNs of an iopt_pages come from: a user VA range, or a memfd range (IOPT_ADDRESS_FILE). */
export type PagesSource = { type: "user"; uptr: number } | { type: "file"; file: MmAddressSpace; start: number };

/** struct iopt_pages: a linear array of pages, pinned exactly once, shared by the areas that reference it. */
export class IoptPages implements PinHolder {
  readonly kind = "iopt_pages" as const;
  runs: PinnedRun[] = [];
  npinned = 0;
  /** The areas referencing these pages (the kref). */
  readonly areas = new Set<IoptArea>();
  /** The owner revoked the pages: no pins, no IOPTEs, DMA faults. */
  revoked = false;

  constructor(
    readonly ctx: Iommufd,
    readonly id: number,
    readonly pid: number,
    readonly uid: number,
    readonly mode: AccountMode,
    readonly npages: number,
    readonly writable: boolean,
    readonly source: PagesSource,
  ) {}
}

/** struct iopt_area: an IOVA range mapping a slice of an iopt_pages, from page `startIndex`. */
export class IoptArea {
  revoked = false;
  constructor(
    readonly id: number,
    readonly ioas: Ioas,
    readonly iova: number,
    readonly length: number,
    readonly pages: IoptPages,
    readonly startIndex: number,
  ) {}
}

/** A device attached to an IOAS's domain; its DMA goes through the domain's IOTLB and IO page table. */
export class Device {
  constructor(
    readonly name: string,
    readonly domain: IoDomain,
  ) {}

  /** One DMA (a write unless `write: false`) to `iova`: the frame it reached, or an IO page fault. */
  dma(iova: number, o: { write?: boolean } = {}): DmaResult {
    if (!this.domain.devices.has(this.name)) throw new ParameterError("device", `${this.name} is detached`);
    return this.domain.dma(this.name, iova, o.write ?? true);
  }

  detach(): void {
    this.domain.devices.delete(this.name);
  }
}

export interface MapResult {
  /** 0 or -errno (-EEXIST overlap, -ENOMEM RLIMIT_MEMLOCK, -EHWPOISON, -EFAULT, -ENOSPC, -ENOENT). */
  ret: number;
  iova: number;
  area: IoptArea | null;
}

function roundupPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function lowBit(n: number): number {
  let b = 1;
  while (n % (b * 2) === 0 && b < 2 ** 40) b *= 2;
  return b;
}

/** An IOAS (struct iommufd_ioas / io_pagetable) with one domain (the model attaches devices to it directly). */
export class Ioas {
  readonly areas: IoptArea[] = [];
  readonly domain: IoDomain;

  constructor(
    readonly ctx: Iommufd,
    readonly id: number,
  ) {
    this.domain = new IoDomain(ctx.reg, `ioas${id}`, ctx.iotlbGeometry);
    ctx.reg.domains.add(this.domain);
  }

  /** Attaches a device (a VFIO device bound to iommufd) to this IOAS. */
  attach(name: string): Device {
    this.domain.devices.add(name);
    return new Device(name, this.domain);
  }

  /**
   * IOMMU_IOAS_MAP → iopt_map_user_pages(): pins the pages behind [uptr, uptr + length) of process
   * `pid` (default: the iommufd owner) with FOLL_LONGTERM and maps them at `iova` (or an IOVA
   * chosen by iopt_alloc_iova()). The model pins at map time, as when a domain is attached.
   */
  map(o: { uptr: number; length: string | number; iova?: number; write?: boolean; pid?: number }): MapResult {
    const length = parseSize(o.length, "length");
    if (o.uptr % 4096 !== 0) throw new ParameterError("uptr", "must be 4K aligned in this model");
    return this.ctx.m.runStep(() =>
      this.mapPages(length, o.iova, o.uptr, o.write ?? true, o.pid ?? this.ctx.pid, { type: "user", uptr: o.uptr }, (pid, n, w) => pinUserRange(this.ctx.m, pid, o.uptr, n, w)),
    );
  }

  /**
   * IOMMU_IOAS_MAP_FILE → iopt_map_file_pages(): pins `length` bytes of memfd `fd` (of process
   * `pid`) from byte `start` with memfd_pin_folios() and maps them.
   */
  mapFile(o: { fd: number; start?: string | number; length: string | number; iova?: number; write?: boolean; pid?: number }): MapResult {
    const length = parseSize(o.length, "length");
    const start = parseSize(o.start ?? 0, "start");
    if (start % 4096 !== 0) throw new ParameterError("start", "must be 4K aligned");
    const pid = o.pid ?? this.ctx.pid;
    const file = this.ctx.m.task(pid).fds.get(o.fd);
    if (!file) throw new ParameterError("fd", `process ${pid} has no fd ${o.fd}`);
    const refuse = this.ctx.policy === "revoke";
    // 6.12 has no IOMMU_IOAS_MAP_FILE: iommufd_fops_ioctl() finds no op and returns -ENOTTY.
    if (!hasChange(this.ctx.m.opts.kernel, "iommufd-map-file")) return this.ctx.m.runStep(() => ({ ret: -ENOTTY, iova: 0, area: null }));
    return this.ctx.m.runStep(() =>
      this.mapPages(length, o.iova, start, o.write ?? true, pid, { type: "file", file, start }, (_pid, n) => pinFileRange(this.ctx.m, file, start, n, refuse)),
    );
  }

  /**
   * IOMMU_IOAS_UNMAP → iopt_unmap_iova(): removes every area inside [iova, iova + length); an area
   * that straddles the range is -ENOENT ("Splitting/truncating IOVA mappings is not allowed").
   * Pages whose last area goes are unpinned (after the IOPTEs are gone: "unpin must follow unmap").
   */
  unmap(iova: number, length: string | number): { ret: number; unmapped: number } {
    const len = parseSize(length, "length");
    return this.ctx.m.runStep(() => this.unmapRange(iova, iova + len - 1));
  }

  /** iopt_unmap_all(): what IOAS destruction does; never fails. */
  unmapAll(): number {
    return this.ctx.m.runStep(() => this.unmapRange(0, MAX_IOVA).unmapped);
  }

  /** The IOPTE translation of `iova` (iommu_iova_to_phys), without touching the IOTLB. */
  translate(iova: number): number | null {
    const p = this.domain.walk(iova);
    return p ? p.pfn + Math.floor((iova - p.iova) / 4096) : null;
  }

  /** iopt_unmap_iova_range(): lowest area first; a straddling area stops the walk with -ENOENT. */
  unmapRange(first: number, last: number): { ret: number; unmapped: number } {
    let unmapped = 0;
    let straddle = false;
    for (;;) {
      const area = this.areas.filter((a) => a.iova + a.length - 1 >= first && a.iova <= last).sort((a, b) => a.iova - b.iova)[0];
      if (!area) break;
      if (area.iova < first || area.iova + area.length - 1 > last) {
        straddle = true;
        break;
      }
      this.ctx.removeArea(area);
      unmapped += area.length;
    }
    return { ret: straddle || unmapped === 0 ? -ENOENT : 0, unmapped };
  }

  /** iopt_check_iova() / iopt_alloc_iova(): the IOVA to use, or -errno. */
  pickIova(length: number, iova: number | undefined, hint: number): number {
    if (iova !== undefined) {
      checkIovaRange("iova", iova, length);
      return this.overlaps(iova, length) ? -EEXIST : iova;
    }
    // iopt_alloc_iova(): keep the alignment of the user address (or the length), at most HPAGE_SIZE, never IOVA 0.
    let align = hint ? Math.min(roundupPow2(length), lowBit(hint)) : roundupPow2(length);
    align = Math.max(4096, Math.min(align, 2 ** 21));
    let at = align;
    for (;;) {
      at = Math.ceil(at / align) * align;
      if (at + length > MAX_IOVA) return -ENOSPC;
      const clash = this.areas.find((a) => a.iova < at + length && at < a.iova + a.length);
      if (!clash) return at;
      at = clash.iova + clash.length;
    }
  }

  private overlaps(iova: number, length: number): boolean {
    return this.areas.some((a) => a.iova < iova + length && iova < a.iova + a.length);
  }

  private mapPages(length: number, iova: number | undefined, hint: number, write: boolean, pid: number, source: PagesSource, pin: (pid: number, n: number, write: boolean) => PinResult): MapResult {
    if (length <= 0 || length % 4096 !== 0) throw new ParameterError("length", `${length} is not a positive multiple of 4K`);
    const at = this.pickIova(length, iova, hint);
    if (at < 0) return { ret: at, iova: -1, area: null };
    const ctx = this.ctx;
    const npages = length / 4096;
    // iopt_alloc_pages(): CAP_IPC_LOCK → no locked_vm accounting; the ctx's MM mode overrides USER.
    const mode: AccountMode = ctx.reg.capIpcLock.get(pid) ? "none" : ctx.accountMode;
    const pages = new IoptPages(ctx, ctx.reg.newId(), pid, ctx.reg.uidOf(pid), mode, npages, write, source);
    const r = pin(pid, npages, write);
    if ("err" in r) {
      ctx.reg.log(this.domain, "map", `map of ${length} bytes failed: ${r.err}`);
      return { ret: r.err, iova: -1, area: null };
    }
    pages.runs = r.runs;
    const acct = ctx.reg.account(pages, npages, true);
    if (acct !== 0) {
      // pfn_reader_user_update_pinned() failed: the error unwind unpins everything just pinned.
      unpinRuns(ctx.m, r.runs);
      ctx.reg.log(this.domain, "map", `map of ${length} bytes: RLIMIT_MEMLOCK exceeded (-ENOMEM), pins undone`);
      return { ret: acct, iova: -1, area: null };
    }
    ctx.reg.holders.add(pages);
    ctx.pages.add(pages);
    const area = ctx.addArea(this, at, length, pages, 0);
    ctx.reg.log(this.domain, "pin", `${source.type === "file" ? "memfd_pin_folios" : "pin_user_pages(FOLL_LONGTERM)"}: ${npages} pages in ${r.runs.length} run(s), accounted to process ${pid}`);
    return { ret: 0, iova: at, area };
  }
}

/**
 * An iommufd context (struct iommufd_ctx, one open /dev/iommu) owned by process `pid`. Closing it
 * (or the owner exiting) destroys every IOAS, which unmaps and unpins everything.
 */
export class Iommufd {
  readonly reg: PinRegistry;
  readonly policy: PinPolicy;
  readonly revokeOnPoison: boolean;
  readonly accountMode: "user" | "mm";
  readonly iotlbGeometry: { entries: number; ways: number };
  readonly ioases = new Set<Ioas>();
  readonly pages = new Set<IoptPages>();
  closed = false;
  private nextIoas = 1;

  constructor(
    readonly m: Machine,
    readonly pid: number,
    o: IommufdOptions = {},
  ) {
    m.task(pid);
    this.policy = o.policy ?? "none";
    if (!["none", "ebusy", "revoke"].includes(this.policy)) throw new ParameterError("policy", `"${this.policy}" is not a policy`, "use none, ebusy or revoke");
    if (this.policy === "ebusy" && m.opts.offlinePinned !== "ebusy") {
      throw new ParameterError("policy", '"ebusy" is a memory-failure policy', 'create the machine with new Machine({ …, offlinePinned: "ebusy" })');
    }
    this.revokeOnPoison = o.revokeOnPoison ?? true;
    this.accountMode = o.accountMode ?? "user";
    const entries = o.iotlb?.entries ?? IOTLB_DEFAULTS.entries;
    this.iotlbGeometry = { entries, ways: o.iotlb?.ways ?? entries };
    this.reg = pinRegistry(m);
    this.reg.listeners.add({
      fileRangeRemove: (as, s, e, why) => {
        if (this.policy === "revoke") this.revokeFile(as, s, e, why);
      },
      memoryFailure: (pfn) => {
        if (this.policy !== "revoke" || !this.revokeOnPoison) return;
        const f = m.mem.pageFolio(pfn);
        // The whole folio: a hugetlb folio is poisoned as a unit, and an unsplit THP stays one folio.
        if (f && f.mapping) this.revokeFile(f.mapping, f.index, f.index + folioNrPages(f), `memory_failure(pfn ${pfn})`);
      },
      exit: (pid) => {
        if (pid === this.pid && !this.closed) this.doClose();
      },
    });
  }

  /** IOMMU_IOAS_ALLOC. */
  ioasAlloc(): Ioas {
    return this.m.runStep(() => {
      const ioas = new Ioas(this, this.nextIoas++);
      this.ioases.add(ioas);
      return ioas;
    });
  }

  /** IOMMU_DESTROY of an IOAS: -EBUSY while devices are attached (iommufd_object_remove), else unmap all and go. */
  destroy(ioas: Ioas): number {
    return this.m.runStep(() => {
      if (ioas.domain.devices.size > 0) return -EBUSY;
      this.destroyIoas(ioas);
      return 0;
    });
  }

  /** close() of the iommufd: detaches devices, destroys every IOAS; destroy never fails. */
  close(): void {
    this.m.runStep(() => this.doClose());
  }

  /**
   * IOMMU_IOAS_COPY → iopt_get_pages() + iopt_map_pages(): maps the pages behind [srcIova,
   * srcIova + length) of `src` again in `dst`, sharing their iopt_pages (no new pins, no new
   * accounting).
   */
  copy(src: Ioas, srcIova: number, length: string | number, dst: Ioas, dstIova?: number): MapResult {
    const len = parseSize(length, "length");
    return this.m.runStep(() => {
      const pieces: { area: IoptArea; from: number; n: number }[] = [];
      let cur = srcIova;
      while (cur < srcIova + len) {
        const a = src.areas.find((x) => x.iova <= cur && cur < x.iova + x.length);
        if (!a || a.revoked) return { ret: -ENOENT, iova: -1, area: null };
        const end = Math.min(a.iova + a.length, srcIova + len);
        pieces.push({ area: a, from: a.startIndex + (cur - a.iova) / 4096, n: (end - cur) / 4096 });
        cur = end;
      }
      const at = dst.pickIova(len, dstIova, 0);
      if (at < 0) return { ret: at, iova: -1, area: null };
      let first: IoptArea | null = null;
      let iova = at;
      for (const p of pieces) {
        const area = this.addArea(dst, iova, p.n * 4096, p.area.pages, p.from);
        first = first ?? area;
        iova += p.n * 4096;
      }
      this.reg.log(dst.domain, "map", `IOMMU_IOAS_COPY: ${len} bytes from ioas${src.id} shared (iopt_pages pinned once)`);
      return { ret: 0, iova: at, area: first };
    });
  }

  /** Pinning pressure and device outcomes (machine-wide: all contexts and VFIO containers). */
  metrics(): PinMetrics {
    return this.reg.metrics();
  }

  /** Pinned and held-back bytes after each step that changed them. */
  get history(): readonly PinSample[] {
    return this.reg.history;
  }

  // ---------------------------------------------------------------- internals

  addArea(ioas: Ioas, iova: number, length: number, pages: IoptPages, startIndex: number): IoptArea {
    if (length % 4096 !== 0 || startIndex + length / 4096 > pages.npages) throw new ParameterError("length", "area outside its pages", String(EINVAL));
    const area = new IoptArea(this.reg.newId(), ioas, iova, length, pages, startIndex);
    ioas.areas.push(area);
    pages.areas.add(area);
    // iopt_area_fill_domains() → batch_to_domain(): IOPTEs at the largest page size that fits.
    ioas.domain.map(area.id, iova, length, buildPtes(iova, pages.runs, startIndex, startIndex + length / 4096));
    this.reg.log(ioas.domain, "map", `area ${area.id}: IOVA 0x${iova.toString(16)}+0x${length.toString(16)} → iopt_pages ${pages.id} from page ${startIndex}`, { iova });
    return area;
  }

  /** iopt_area_unfill_domains() + iopt_abort_area() + iopt_put_pages(): the last area unpins. */
  removeArea(area: IoptArea): void {
    const ioas = area.ioas;
    if (!area.revoked) ioas.domain.unmap(area.id);
    ioas.areas.splice(ioas.areas.indexOf(area), 1);
    const pages = area.pages;
    pages.areas.delete(area);
    this.reg.log(ioas.domain, "unmap", `area ${area.id} (IOVA 0x${area.iova.toString(16)}+0x${area.length.toString(16)}) removed`, { iova: area.iova });
    if (pages.areas.size === 0) this.releasePages(pages, "last area unmapped");
  }

  /** batch_unpin() of everything the pages hold, then update_unpinned(). */
  private releasePages(pages: IoptPages, why: string): void {
    if (pages.npinned > 0) {
      const n = pages.npinned;
      unpinRuns(this.m, pages.runs);
      this.reg.account(pages, n, false);
      this.reg.log(null, "unpin", `iopt_pages ${pages.id}: ${n} pages unpinned (${why})`);
    }
    pages.runs = [];
    if (pages.areas.size === 0) {
      this.reg.holders.delete(pages);
      this.pages.delete(pages);
    }
  }

  /** The revoke notifier: every area over [startIdx, endIdx) of `file` loses its IOPTEs and its pins. */
  revokeFile(file: MmAddressSpace, startIdx: number, endIdx: number, why: string): void {
    for (const pages of [...this.pages]) {
      if (pages.revoked || pages.source.type !== "file" || pages.source.file !== file) continue;
      const first = pages.source.start / 4096;
      if (first + pages.npages <= startIdx || first >= endIdx) continue;
      pages.revoked = true;
      this.reg.counters.revokes++;
      for (const area of pages.areas) {
        area.revoked = true;
        area.ioas.domain.unmap(area.id);
        this.reg.log(area.ioas.domain, "revoke", `area ${area.id} (IOVA 0x${area.iova.toString(16)}+0x${area.length.toString(16)}) revoked: ${why}`, { iova: area.iova });
      }
      this.releasePages(pages, `revoked: ${why}`);
    }
  }

  private destroyIoas(ioas: Ioas): void {
    ioas.unmapRange(0, MAX_IOVA);
    this.ioases.delete(ioas);
  }

  private doClose(): void {
    for (const ioas of [...this.ioases]) {
      ioas.domain.devices.clear();
      this.destroyIoas(ioas);
    }
    this.closed = true;
  }
}
