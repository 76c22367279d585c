// VFIO type1 (drivers/vfio/vfio_iommu_type1.c), the older path iommufd replaces: every
// VFIO_IOMMU_MAP_DMA is its own vfio_dma with its own pins, charged to mm->locked_vm.
import { ParameterError } from "../core/errors.js";
import { parseSize } from "../core/units.js";
import type { Machine } from "../mfr/machine.js";
import { EINVAL } from "../mfr/constants.js";
import { IOTLB_DEFAULTS } from "../iommu/iotlb.js";
import { checkIovaRange } from "./iotlb-cache.js";
import { Device } from "./iommufd.js";
import { EEXIST } from "../mfr/constants.js";
import { buildPtes, pinUserRange, unpinRuns, type PinnedRun } from "./pin.js";
import { IoDomain, pinRegistry, type PinHolder, type PinRegistry } from "./registry.js";

/** struct vfio_dma: one mapped range, pinned on its own (no sharing between vfio_dmas). */
export class VfioDma implements PinHolder {
  readonly kind = "vfio_dma" as const;
  readonly mode = "vfio" as const;
  runs: PinnedRun[] = [];
  npinned = 0;
  constructor(
    readonly id: number,
    readonly pid: number,
    readonly uid: number,
    readonly iova: number,
    readonly size: number,
    readonly vaddr: number,
  ) {}
}

/** A VFIO container with the type1 IOMMU backend, owned by process `pid`. */
export class VfioContainer {
  readonly reg: PinRegistry;
  readonly domain: IoDomain;
  readonly dmas: VfioDma[] = [];
  closed = false;

  constructor(
    readonly m: Machine,
    readonly pid: number,
    o: { iotlb?: { entries: number; ways?: number } } = {},
  ) {
    m.task(pid);
    this.reg = pinRegistry(m);
    const entries = o.iotlb?.entries ?? IOTLB_DEFAULTS.entries;
    this.domain = new IoDomain(this.reg, `vfio${this.reg.newId()}`, { entries, ways: o.iotlb?.ways ?? entries });
    this.reg.domains.add(this.domain);
    this.reg.listeners.add({
      exit: (p) => {
        if (p === this.pid && !this.closed) this.release();
      },
    });
  }

  attach(name: string): Device {
    this.domain.devices.add(name);
    return new Device(name, this.domain);
  }

  /**
   * VFIO_IOMMU_MAP_DMA → vfio_dma_do_map() → vfio_pin_map_dma(): vfio_pin_pages_remote() pins with
   * vaddr_get_pfns() (pin_user_pages_remote(FOLL_LONGTERM)) and vfio_lock_acct() charges
   * mm->locked_vm against RLIMIT_MEMLOCK (-ENOMEM unwinds). 0 or -errno.
   */
  mapDma(o: { vaddr: number; iova: number; size: string | number; write?: boolean }): number {
    const size = parseSize(o.size, "size");
    checkIovaRange("iova", o.iova, size);
    if (o.vaddr % 4096 !== 0) throw new ParameterError("vaddr", "must be 4K aligned");
    return this.m.runStep(() => {
      if (this.dmas.some((d) => d.iova < o.iova + size && o.iova < d.iova + d.size)) return -EEXIST;
      const dma = new VfioDma(this.reg.newId(), this.pid, this.reg.uidOf(this.pid), o.iova, size, o.vaddr);
      const r = pinUserRange(this.m, this.pid, o.vaddr, size / 4096, o.write ?? true);
      if ("err" in r) return r.err;
      dma.runs = r.runs;
      const acct = this.reg.account(dma, size / 4096, true);
      if (acct) {
        unpinRuns(this.m, r.runs);
        return acct;
      }
      this.reg.holders.add(dma);
      this.dmas.push(dma);
      this.domain.map(dma.id, o.iova, size, buildPtes(o.iova, dma.runs, 0, size / 4096));
      this.reg.log(this.domain, "pin", `vfio_dma ${dma.id}: ${size / 4096} pages pinned, mm->locked_vm of ${this.pid} charged`, { iova: o.iova });
      return 0;
    });
  }

  /**
   * VFIO_IOMMU_UNMAP_DMA → vfio_dma_do_unmap(): with the v2 interface an unmap may not bisect a
   * vfio_dma (-EINVAL); each vfio_dma inside goes through vfio_remove_dma() → vfio_unmap_unpin().
   */
  unmapDma(iova: number, size: string | number): { ret: number; unmapped: number } {
    const len = parseSize(size, "size");
    return this.m.runStep(() => {
      const inRange = this.dmas.filter((d) => d.iova < iova + len && iova < d.iova + d.size);
      if (inRange.some((d) => d.iova < iova || d.iova + d.size > iova + len)) return { ret: -EINVAL, unmapped: 0 };
      let unmapped = 0;
      for (const d of inRange) {
        this.removeDma(d);
        unmapped += d.size;
      }
      return { ret: 0, unmapped };
    });
  }

  /** Closing the container (vfio_iommu_type1_release → vfio_iommu_unmap_unpin_all). */
  close(): void {
    this.m.runStep(() => this.release());
  }

  private release(): void {
    for (const d of [...this.dmas]) this.removeDma(d);
    this.domain.devices.clear();
    this.closed = true;
  }

  /** vfio_remove_dma() → vfio_unmap_unpin(): iommu_unmap + IOTLB sync, then unpin and vfio_lock_acct(-n). */
  private removeDma(d: VfioDma): void {
    this.domain.unmap(d.id);
    const n = d.npinned;
    unpinRuns(this.m, d.runs);
    this.reg.account(d, n, false);
    d.runs = [];
    this.dmas.splice(this.dmas.indexOf(d), 1);
    this.reg.holders.delete(d);
    this.reg.log(this.domain, "unpin", `vfio_dma ${d.id}: ${n} pages unpinned (vfio_unmap_unpin)`, { iova: d.iova });
  }
}
