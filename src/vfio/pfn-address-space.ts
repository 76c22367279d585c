import { checkInt, ParameterError } from "../core/errors.js";
import type { PageSize } from "../core/units.js";
import { EBUSY, EFAULT, EINVAL, EOPNOTSUPP } from "../mfr/constants.js";

/**
 * The registry of device memory without struct page: struct pfn_address_space and the global
 * interval tree of mm/memory-failure.c (register_pfn_address_space / unregister_pfn_address_space),
 * from Ankit Agrawal's series. Read in torvalds/linux at 2ec41967189c ("mm: handle poisoning of pfn
 * without struct pages", v6.19 merge window), in the fixup "mm: fixup pfnmap memory failure handling
 * to use pgoff" (Dec 2025, merged as e6dbcb7c0e7b) and in "[PATCH v2 1/2]" of "Register device
 * memory for poison handling" (15 Jan 2026, the !CONFIG_MEMORY_FAILURE stubs).
 */

/** include/linux/vfio_pci_core.h: a VFIO PCI region's file offset is index << 40. */
export const VFIO_PCI_OFFSET_SHIFT = 40;

/** The address_space of a VFIO device inode (core_vdev->inode->i_mapping). Compared by identity. */
export interface DeviceMapping {
  name: string;
}

/** A VM_PFNMAP VMA of a process mapping a device file (the vm_area_struct fields used here). */
export interface PfnVma {
  pid: number;
  /** User address range [start, end), page aligned. */
  start: number;
  end: number;
  /** vm_pgoff, in pages: for VFIO PCI, region index << (40 - 12) plus the page offset in the region. */
  pgoff: number;
  /** The file's address_space (identity compare): the VMA is on mapping->i_mmap. */
  mapping: DeviceMapping;
  /** Owner of vm_ops, for the driver's "is this VMA mine" check (vma_to_nvdev). */
  ops: string;
  /** Mapping granularity of the huge pfnmap: "4K" | "2M" | "1G". */
  pageSize: PageSize;
}

/**
 * int (*pfn_to_vma_pgoff)(vma, pfn, pgoff_t *pgoff): the driver translates a PFN into the file
 * offset of that VMA, or fails (-EFAULT, -ENOENT, -EINVAL: the VMA does not map it).
 */
export type PfnToVmaPgoff = (vma: PfnVma, pfn: number) => { pgoff: number } | { err: number };

/** struct pfn_address_space: the interval tree node (start/last PFN), mapping and callback. */
export interface PfnAddressSpace {
  /** node.start and node.last: first and last PFN, inclusive. */
  start: number;
  last: number;
  mapping: DeviceMapping;
  /** Required since the Dec 2025 fixup; v4 (2ec41967189c) had no callback. */
  pfnToVmaPgoff?: PfnToVmaPgoff;
  /** Who registered it (a driver and region name); not a kernel field, shown in results. */
  owner: string;
}

export interface PfnSpaceTreeOptions {
  /** false → the !CONFIG_MEMORY_FAILURE stubs: register returns -EOPNOTSUPP, unregister does nothing. */
  configMemoryFailure?: boolean;
  /**
   * true (default) → -EINVAL without pfn_to_vma_pgoff (the fixup's check). false → v4 as merged
   * in 2ec41967189c, which had no callback field.
   */
  requireCallback?: boolean;
}

function checkSpace(space: PfnAddressSpace): void {
  if (!space || typeof space !== "object") throw new ParameterError("pfn_space", "expected a pfn_address_space object");
  checkInt("pfn_space.start", space.start, 0, Number.MAX_SAFE_INTEGER);
  checkInt("pfn_space.last", space.last, 0, Number.MAX_SAFE_INTEGER);
  if (space.last < space.start) {
    throw new ParameterError("pfn_space.last", `last PFN ${space.last} is below start PFN ${space.start}`, "node.last is inclusive: start + nr_pages - 1");
  }
}

/**
 * The global pfn_space_itree: non-overlapping PFN intervals (overlap is refused), kept sorted by
 * start; lookup by binary search. The kernel uses an augmented rbtree (rb_root_cached) under the
 * pfn_space_lock mutex; since registration refuses any overlap, a sorted array answers the same
 * queries (interval_tree_iter_first(start, last) finds at most one node).
 */
export class PfnSpaceTree {
  readonly configMemoryFailure: boolean;
  readonly requireCallback: boolean;
  private readonly sorted: PfnAddressSpace[] = [];

  constructor(opts: PfnSpaceTreeOptions = {}) {
    this.configMemoryFailure = opts.configMemoryFailure ?? true;
    this.requireCallback = opts.requireCallback ?? true;
  }

  /** The registered spaces, ascending by start PFN. */
  get spaces(): readonly PfnAddressSpace[] {
    return this.sorted.slice();
  }

  /** Index of the first space whose last PFN is >= pfn (binary search). */
  private firstEndingAtOrAfter(pfn: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid].last < pfn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** interval_tree_iter_first(&pfn_space_itree, start, last): a registered space overlapping [start, last]. */
  iterFirst(start: number, last: number): PfnAddressSpace | null {
    const i = this.firstEndingAtOrAfter(start);
    const s = this.sorted[i];
    return s && s.start <= last ? s : null;
  }

  /**
   * register_pfn_address_space(): 0, -EINVAL without the pfn_to_vma_pgoff callback, -EBUSY when the
   * range overlaps a registered one (interval_tree_iter_first under pfn_space_lock), or
   * -EOPNOTSUPP from the !CONFIG_MEMORY_FAILURE stub.
   */
  register(space: PfnAddressSpace): number {
    if (!this.configMemoryFailure) return -EOPNOTSUPP;
    checkSpace(space);
    if (this.requireCallback && typeof space.pfnToVmaPgoff !== "function") return -EINVAL;
    if (this.iterFirst(space.start, space.last)) return -EBUSY;
    this.sorted.splice(this.firstEndingAtOrAfter(space.start), 0, space);
    return 0;
  }

  /**
   * unregister_pfn_address_space(): removes the node. Nothing to do for a space that is not
   * registered (v4 checked interval_tree_iter_first before interval_tree_remove; the model
   * compares identity so an overlapping stranger is never removed). A no-op stub without
   * CONFIG_MEMORY_FAILURE.
   */
  unregister(space: PfnAddressSpace): void {
    if (!this.configMemoryFailure) return;
    const i = this.sorted.indexOf(space);
    if (i >= 0) this.sorted.splice(i, 1);
  }

  /** interval_tree_iter_first(&pfn_space_itree, pfn, pfn): the space holding this PFN, or null. */
  lookup(pfn: number): PfnAddressSpace | null {
    checkInt("pfn", pfn, 0, Number.MAX_SAFE_INTEGER);
    return this.iterFirst(pfn, pfn);
  }
}

/** Number of pages a VMA spans (vma_pages()). */
export function vmaPages(vma: PfnVma): number {
  return (vma.end - vma.start) / 4096;
}

/**
 * vma_address(vma, pgoff, 1) in mm/internal.h (earlier named vma_pgoff_address): the user address
 * of file page `pgoff` in this VMA, or -EFAULT when the VMA does not cover it.
 */
export function vmaAddressPgoff(vma: PfnVma, pgoff: number): number {
  if (pgoff >= vma.pgoff) {
    const address = vma.start + (pgoff - vma.pgoff) * 4096;
    return address < vma.start || address >= vma.end ? -EFAULT : address;
  }
  return -EFAULT;
}
