// Exercise 5.2 — nvgrace_gpu_pfn_to_vma_pgoff(): the driver's half of the dispatch (Chapter 5).
// memory_failure_pfn() hands the poisoned PFN and each VMA on the device file's i_mmap to the
// driver that registered the range; the driver says whether that VMA maps the PFN and at which
// file page offset. The tests ask your callback and the library's NvgraceGpuDevice the same questions.
// Reference solution: the student's file is generated from this one (see src/grader/stubs.ts). // reference-only
import {
  EFAULT, EINVAL, ENOENT, PAGE_SHIFT, RESMEM_REGION_INDEX, USEMEM_REGION_INDEX, VFIO_PCI_OFFSET_SHIFT,
  type DeviceMapping, type NvgraceRegion, type PfnVma,
} from "../../../src/index.js";

/** What the callback can see of the device (struct nvgrace_gpu_pci_core_device). */
export interface NvgraceDevice {
  /** core_vdev->inode->i_mapping: the device file's address_space. */
  mapping: DeviceMapping;
  /** The vm_ops the driver installs on its mmaps (nvgrace_gpu_vfio_pci_mmap_ops). */
  vmOps: string;
  /** Cacheable device memory, exposed as BAR4 (region index USEMEM_REGION_INDEX). */
  usemem: NvgraceRegion;
  /** Non-cached carve-out, BAR2 (RESMEM_REGION_INDEX); absent on some devices. */
  resmem?: NvgraceRegion;
}

/**
 * nvgrace_gpu_pfn_to_vma_pgoff(vma, pfn, &pgoff), as posted on 15 Jan 2026:
 * - the VMA must be this device's (vma_to_nvdev(): vm_ops, and here the same device file): else -ENOENT;
 * - the region index is vm_pgoff >> (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT); no such region: -EINVAL;
 * - the PFN must lie in that region (memphys, memlength in bytes): else -EFAULT;
 * - and not before the VMA's start within the region: else -EFAULT;
 * - pgoff = vm_pgoff + (PFN's page offset in the region - VMA's page offset in the region).
 * Returns { pgoff } or { err } with a negative errno.
 */
export function pfnToVmaPgoff(dev: NvgraceDevice, vma: PfnVma, pfn: number): { pgoff: number } | { err: number } {
  // BEGIN SOLUTION: ownership, region index from vm_pgoff, PFN inside the region and not before the VMA, then the pgoff
  if (vma.ops !== dev.vmOps || vma.mapping !== dev.mapping) return { err: -ENOENT };
  const perIndex = 2 ** (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);
  const index = Math.floor(vma.pgoff / perIndex);
  const vmaOffsetInRegion = vma.pgoff % perIndex;
  const region = index === USEMEM_REGION_INDEX ? dev.usemem : index === RESMEM_REGION_INDEX && dev.resmem ? dev.resmem : null;
  if (!region) return { err: -EINVAL };
  const startPfn = Math.floor(region.memphys / 4096);
  const numPages = region.memlength / 4096;
  if (pfn < startPfn || pfn >= startPfn + numPages) return { err: -EFAULT };
  const pfnOffsetInRegion = pfn - startPfn;
  if (pfnOffsetInRegion < vmaOffsetInRegion) return { err: -EFAULT };
  return { pgoff: vma.pgoff + (pfnOffsetInRegion - vmaOffsetInRegion) };
  // END SOLUTION
}
