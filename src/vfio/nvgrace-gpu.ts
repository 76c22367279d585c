import { checkInt, ParameterError } from "../core/errors.js";
import { PAGE_SHIFT, PAGE_SIZE_SHIFT, type PageSize } from "../core/units.js";
import { ENOENT } from "../iommufd/iommufd.js";
import { EFAULT, EINVAL, EOPNOTSUPP } from "../mfr/constants.js";
import { VFIO_PCI_OFFSET_SHIFT, type DeviceMapping, type PfnAddressSpace, type PfnSpaceTree, type PfnToVmaPgoff, type PfnVma } from "./pfn-address-space.js";

/**
 * drivers/vfio/pci/nvgrace-gpu/main.c: the VFIO driver for Grace Hopper/Blackwell GPU memory.
 * Its device memory is not added to the kernel (no struct page) and is mapped VM_PFNMAP into the
 * VMM. Registration for poison handling as read in "[PATCH v2 2/2] vfio/nvgrace-gpu: register
 * device memory for poison handling" (Ankit Agrawal, 15 Jan 2026; in the v6.20/vfio/next pull).
 */

/** include/uapi/linux/vfio.h region indexes; nvgrace-gpu exposes resmem as BAR2 and usemem as BAR4. */
export const VFIO_PCI_BAR2_REGION_INDEX = 2;
export const VFIO_PCI_BAR4_REGION_INDEX = 4;
export const RESMEM_REGION_INDEX = VFIO_PCI_BAR2_REGION_INDEX;
export const USEMEM_REGION_INDEX = VFIO_PCI_BAR4_REGION_INDEX;

/** The vm_ops a nvgrace-gpu mmap installs; vma_to_nvdev() compares vma->vm_ops with it. */
export const NVGRACE_GPU_VM_OPS = "nvgrace_gpu_vfio_pci_mmap_ops";

/** Pages of file offset per region: 1 << (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT) = 2^28. */
export const VFIO_PCI_PGOFF_PER_INDEX = 2 ** (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);

/** struct mem_region: base physical address and length of a device memory region, in bytes. */
export interface NvgraceRegion {
  index: number;
  memphys: number;
  memlength: number;
}

export interface NvgraceGpuOptions {
  /**
   * Also refuse a PFN past the VMA's end in pfn_to_vma_pgoff(). The nvgrace-gpu callback read
   * (15 Jan 2026) checks only "not before VMA's start"; a later EGM driver variant adds the end
   * check. false (default) = the code as read. Whether the merged driver has it: not confirmed.
   */
  checkVmaEnd?: boolean;
}

function checkRegion(name: string, r: NvgraceRegion): void {
  checkInt(`${name}.memphys`, r.memphys, 0, Number.MAX_SAFE_INTEGER);
  checkInt(`${name}.memlength`, r.memlength, 4096, Number.MAX_SAFE_INTEGER);
  if (r.memphys % 4096 !== 0) throw new ParameterError(`${name}.memphys`, `${r.memphys} is not page aligned`, "device memory starts on a 4K boundary");
  if (r.memlength % 4096 !== 0) throw new ParameterError(`${name}.memlength`, `${r.memlength} is not a whole number of pages`);
}

/** Largest of 1G / 2M / 4K that aligns every one of the values (what a huge pfnmap fault can install). */
function largestAligned(...values: number[]): PageSize {
  for (const s of ["1G", "2M"] as const) {
    const b = 2 ** PAGE_SIZE_SHIFT[s];
    if (values.every((v) => v % b === 0)) return s;
  }
  return "4K";
}

/**
 * The VFIO device. open_device registers usemem (and resmem when present) with the MM, close_device
 * unregisters them. VFIO core calls open_device only on the first open of the device
 * (vfio_df_open(): open_count == 1), which open()/close() model.
 */
export class NvgraceGpuDevice {
  readonly name: string;
  /** core_vdev->inode->i_mapping: every mmap of the device file is on its i_mmap. */
  readonly mapping: DeviceMapping;
  readonly usemem: NvgraceRegion;
  readonly resmem?: NvgraceRegion;
  /** region->pfn_address_space of usemem and resmem. */
  readonly usememSpace: PfnAddressSpace;
  readonly resmemSpace?: PfnAddressSpace;
  readonly checkVmaEnd: boolean;
  /** vfio_device open_count. */
  openCount = 0;
  /** VMAs this device handed out (the model's view of its mmaps). */
  readonly vmas: PfnVma[] = [];
  private registered = false;

  constructor(name: string, regions: { usemem: NvgraceRegion; resmem?: NvgraceRegion }, opts: NvgraceGpuOptions = {}) {
    if (!name) throw new ParameterError("name", "a device needs a name");
    checkRegion("usemem", regions.usemem);
    if (regions.resmem) checkRegion("resmem", regions.resmem);
    this.name = name;
    this.checkVmaEnd = opts.checkVmaEnd ?? false;
    this.mapping = { name: `${name} i_mapping` };
    this.usemem = { ...regions.usemem, index: USEMEM_REGION_INDEX };
    this.usememSpace = this.spaceFor("usemem", this.usemem);
    if (regions.resmem) {
      this.resmem = { ...regions.resmem, index: RESMEM_REGION_INDEX };
      this.resmemSpace = this.spaceFor("resmem", this.resmem);
    }
  }

  /** nvgrace_gpu_vfio_pci_register_pfn_range(): start/last from memphys/memlength, the inode's mapping, the callback. */
  private spaceFor(label: string, r: NvgraceRegion): PfnAddressSpace {
    const start = Math.floor(r.memphys / 4096);
    return { start, last: start + r.memlength / 4096 - 1, mapping: this.mapping, pfnToVmaPgoff: this.pfnToVmaPgoff, owner: `${this.name} ${label}` };
  }

  /** nvgrace_gpu_memregion(): usemem for index 4, resmem for index 2 when present. */
  memregion(index: number): NvgraceRegion | null {
    if (index === USEMEM_REGION_INDEX) return this.usemem;
    if (this.resmem && index === RESMEM_REGION_INDEX) return this.resmem;
    return null;
  }

  /** PFN of byte `offset` of a region. */
  pfnAt(index: number, offset: number): number {
    const r = this.memregion(index);
    if (!r) throw new ParameterError("index", `region ${index} does not exist on ${this.name}`, `use ${USEMEM_REGION_INDEX} (usemem)${this.resmem ? ` or ${RESMEM_REGION_INDEX} (resmem)` : ""}`);
    checkInt("offset", offset, 0, r.memlength - 1);
    return Math.floor((r.memphys + offset) / 4096);
  }

  /**
   * nvgrace_gpu_open_device(): register resmem (if memlength), then usemem; a failure other than
   * -EOPNOTSUPP fails the open (and unregisters resmem if usemem failed). Returns 0 or -errno.
   * -EOPNOTSUPP (no CONFIG_MEMORY_FAILURE) is ignored: the device opens without poison handling.
   */
  openDevice(tree: PfnSpaceTree): number {
    if (this.resmemSpace) {
      const ret = tree.register(this.resmemSpace);
      if (ret && ret !== -EOPNOTSUPP) return ret;
    }
    const ret = tree.register(this.usememSpace);
    if (ret && ret !== -EOPNOTSUPP) {
      if (this.resmemSpace) tree.unregister(this.resmemSpace);
      return ret;
    }
    this.registered = true;
    return 0;
  }

  /** nvgrace_gpu_close_device(): unregister resmem (if present) and usemem. */
  closeDevice(tree: PfnSpaceTree): void {
    if (this.resmemSpace) tree.unregister(this.resmemSpace);
    tree.unregister(this.usememSpace);
    this.registered = false;
  }

  /**
   * vfio_df_open(): open_count++, and open_device only when it becomes 1. A second open through
   * the cdev path is refused with -EINVAL ("Device cdev path cannot support multiple device open");
   * through the group path it only counts. So a second open never re-registers (no -EBUSY).
   */
  open(tree: PfnSpaceTree, opts: { cdev?: boolean } = {}): number {
    if (this.openCount !== 0 && opts.cdev) return -EINVAL;
    this.openCount++;
    if (this.openCount === 1) {
      const ret = this.openDevice(tree);
      if (ret) this.openCount--;
      return ret;
    }
    return 0;
  }

  /** vfio_df_close(): close_device on the last close. */
  close(tree: PfnSpaceTree): void {
    if (this.openCount === 0) throw new ParameterError("close", `${this.name} is not open`);
    this.openCount--;
    if (this.openCount === 0) this.closeDevice(tree);
  }

  get isRegistered(): boolean {
    return this.registered;
  }

  /**
   * A user mmap of region `index` at byte `offset` of `length` bytes, at user address `addr`:
   * vm_pgoff = index << (40 - 12) | offset in pages; nvgrace_gpu_mmap() refuses a range past
   * memlength (-EINVAL, thrown here). pageSize defaults to the largest of 1G/2M/4K that aligns the
   * address, the physical start and the length (huge pfnmap; an assumption about the fault path).
   */
  mmap(pid: number, index: number, offset: number, length: number, addr: number, pageSize?: PageSize): PfnVma {
    checkInt("pid", pid, 0, Number.MAX_SAFE_INTEGER);
    const r = this.memregion(index);
    if (!r) throw new ParameterError("index", `region ${index} does not exist on ${this.name}`, `use ${USEMEM_REGION_INDEX} (usemem)${this.resmem ? ` or ${RESMEM_REGION_INDEX} (resmem)` : ""}`);
    checkInt("offset", offset, 0, Number.MAX_SAFE_INTEGER);
    checkInt("length", length, 4096, Number.MAX_SAFE_INTEGER);
    checkInt("addr", addr, 0, 2 ** 48);
    for (const [n, v] of [["offset", offset], ["length", length], ["addr", addr]] as const) {
      if (v % 4096 !== 0) throw new ParameterError(n, `${v} is not page aligned`, "mmap works in whole 4K pages");
    }
    if (offset + length > r.memlength) {
      throw new ParameterError("length", `offset + length = ${offset + length} is past the region's ${r.memlength} bytes`, "nvgrace_gpu_mmap() returns -EINVAL for it");
    }
    const size = pageSize ?? largestAligned(addr, r.memphys + offset, length);
    const vma: PfnVma = {
      pid,
      start: addr,
      end: addr + length,
      pgoff: index * VFIO_PCI_PGOFF_PER_INDEX + offset / 4096,
      mapping: this.mapping,
      ops: NVGRACE_GPU_VM_OPS,
      pageSize: size,
    };
    this.vmas.push(vma);
    return vma;
  }

  /**
   * nvgrace_gpu_pfn_to_vma_pgoff(): -ENOENT if the VMA is not ours (vma_to_nvdev(): vm_ops and
   * vm_private_data), region index from vm_pgoff >> (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT) (-EINVAL
   * if no such region), -EFAULT if the PFN is outside the region (pfn_memregion_offset()) or before
   * the VMA's start in the region; else pgoff = vm_pgoff + (pfn offset − VMA offset) in the region.
   */
  readonly pfnToVmaPgoff: PfnToVmaPgoff = (vma: PfnVma, pfn: number) => {
    if (vma.ops !== NVGRACE_GPU_VM_OPS || vma.mapping !== this.mapping) return { err: -ENOENT };
    const index = Math.floor(vma.pgoff / VFIO_PCI_PGOFF_PER_INDEX);
    const vmaOffsetInRegion = vma.pgoff % VFIO_PCI_PGOFF_PER_INDEX;
    const region = this.memregion(index);
    if (!region) return { err: -EINVAL };
    const startPfn = Math.floor(region.memphys / 4096);
    const numPages = region.memlength / 4096;
    if (pfn < startPfn || pfn >= startPfn + numPages) return { err: -EFAULT };
    const pfnOffsetInRegion = pfn - startPfn;
    if (pfnOffsetInRegion < vmaOffsetInRegion) return { err: -EFAULT };
    if (this.checkVmaEnd && pfnOffsetInRegion >= vmaOffsetInRegion + (vma.end - vma.start) / 4096) return { err: -EFAULT };
    return { pgoff: vma.pgoff + (pfnOffsetInRegion - vmaOffsetInRegion) };
  };
}
