import { checkInt, ParameterError } from "../core/errors.js";
import { basePagesPer, type PageSize } from "../core/units.js";
import { EEXIST, EINVAL } from "../mfr/constants.js";
import { DEFAULT_KERNEL_VERSION, parseKernelVersion, type KernelVersion } from "../mfr/kernel-version.js";

/**
 * The pieces of virt/kvm/guest_memfd.c that decide what a memory error takes away from the
 * guest. Checked in the 7.3.4 tree (struct gmem_inode, GUEST_MEMFD_FLAG_INIT_SHARED,
 * kvm_gmem_invalidate_start()); 6.12.117 has the same logic under older names
 * (kvm_gmem_invalidate_begin(), kvm_gmem_bind()).
 * Units: file indexes and GFNs are 4K pages (PAGE_SHIFT 12).
 */

/** include/uapi/linux/kvm.h: exit_reason for KVM_EXIT_MEMORY_FAULT. */
export const KVM_EXIT_MEMORY_FAULT = 39;
/** include/uapi/linux/kvm.h: kvm_run.memory_fault.flags bit for a private access (1ULL << 3). */
export const KVM_MEMORY_EXIT_FLAG_PRIVATE = 1 << 3;


/**
 * A memslot bound to a guest_memfd file (struct kvm_memory_slot fields kvm_gmem_prepare_memory_region() sets; kvm_gmem_bind() until 6.12):
 * GFNs [baseGfn, baseGfn + npages) are backed by file pages [pgoff, pgoff + npages).
 */
export interface GmemBinding {
  /** A name for results (slot id); not used by the arithmetic. */
  slot: number | string;
  baseGfn: number;
  npages: number;
  /** slot->gmem.pgoff: offset >> PAGE_SHIFT given to KVM_SET_USER_MEMORY_REGION2. */
  pgoff: number;
}

/** A GFN range [start, end) zapped in one memslot (struct kvm_gfn_range). */
export interface GfnRange {
  slot: number | string;
  start: number;
  end: number;
}

function checkBinding(b: GmemBinding, i: number): void {
  if (!b || typeof b !== "object") throw new ParameterError(`bindings[${i}]`, "expected { slot, baseGfn, npages, pgoff }");
  checkInt(`bindings[${i}].baseGfn`, b.baseGfn, 0, Number.MAX_SAFE_INTEGER);
  checkInt(`bindings[${i}].npages`, b.npages, 1, Number.MAX_SAFE_INTEGER);
  checkInt(`bindings[${i}].pgoff`, b.pgoff, 0, Number.MAX_SAFE_INTEGER);
}

/** kvm_gmem_get_index(): the file page backing `gfn` in this slot (gfn - base_gfn + gmem.pgoff). */
export function kvmGmemGetIndex(slot: GmemBinding, gfn: number): number {
  checkInt("gfn", gfn, slot.baseGfn, slot.baseGfn + slot.npages - 1);
  return gfn - slot.baseGfn + slot.pgoff;
}

/**
 * The checks on a new binding of `npages` at file page `pgoff` of a file of `filePages` pages:
 * -EINVAL when the range runs past i_size (kvm_gmem_prepare_memory_region() in 7.3,
 * kvm_gmem_bind() in 6.12); an overlap with an existing binding (xa_find() over [start, end - 1]
 * of the bindings) is -EEXIST since 7.x (kvm_gmem_commit_memory_region()) and -EINVAL until 6.12
 * (kvm_gmem_bind()'s "goto err"). Else 0.
 */
export function kvmGmemBindCheck(bindings: readonly GmemBinding[], pgoff: number, npages: number, filePages: number, kernel: KernelVersion = DEFAULT_KERNEL_VERSION): number {
  checkInt("pgoff", pgoff, 0, Number.MAX_SAFE_INTEGER);
  checkInt("npages", npages, 1, Number.MAX_SAFE_INTEGER);
  checkInt("filePages", filePages, 1, Number.MAX_SAFE_INTEGER);
  if (pgoff + npages > filePages) return -EINVAL;
  bindings.forEach(checkBinding);
  if (bindings.some((b) => b.pgoff < pgoff + npages && pgoff < b.pgoff + b.npages)) return parseKernelVersion(kernel) === "6.12" ? -EINVAL : -EEXIST;
  return 0;
}

/**
 * __kvm_gmem_invalidate_start(): for every binding that overlaps file pages [start, end)
 * (xa_for_each_range over f->bindings), the GFN range handed to kvm_mmu_unmap_gfn_range(),
 * clamped to the slot: start = base_gfn + max(pgoff, start) - pgoff,
 * end = base_gfn + min(pgoff + npages, end) - pgoff. File pages no slot binds zap nothing.
 */
export function kvmGmemInvalidateRanges(bindings: readonly GmemBinding[], start: number, end: number): GfnRange[] {
  checkInt("start", start, 0, Number.MAX_SAFE_INTEGER);
  checkInt("end", end, start + 1, Number.MAX_SAFE_INTEGER);
  bindings.forEach(checkBinding);
  return bindings
    .filter((b) => b.pgoff < end && start < b.pgoff + b.npages)
    .sort((a, b) => a.pgoff - b.pgoff)
    .map((b) => ({
      slot: b.slot,
      start: b.baseGfn + Math.max(b.pgoff, start) - b.pgoff,
      end: b.baseGfn + Math.min(b.pgoff + b.npages, end) - b.pgoff,
    }));
}

/** The file index range [folio->index, folio->index + folio_nr_pages) of the folio holding `index`. */
export function folioIndexRange(index: number, folioSize: PageSize): [number, number] {
  checkInt("index", index, 0, Number.MAX_SAFE_INTEGER);
  const nr = basePagesPer(folioSize);
  const first = index - (index % nr);
  return [first, first + nr];
}

export interface GmemErrorFolioResult {
  /** kvm_gmem_error_folio()'s return value: always MF_DELAYED. */
  returns: "MF_DELAYED";
  /** File pages [start, end) of the whole folio. */
  index: [number, number];
  /** Per bound memslot, the GFNs whose stage-2 / SPTE entries were zapped. */
  ranges: GfnRange[];
  zappedGfns: number;
  /** Never: "Do not truncate the range, what action is taken … is userspace's decision". */
  truncated: false;
  steps: string[];
}

/**
 * kvm_gmem_error_folio(), the .error_remove_folio a_op of guest_memfd: takes the filemap
 * invalidate lock shared, computes the whole folio's index range, calls
 * kvm_gmem_invalidate_start() (zap every bound slot's SPTEs for that range) and
 * kvm_gmem_invalidate_end(), does not truncate, and returns MF_DELAYED.
 */
export function kvmGmemErrorFolio(bindings: readonly GmemBinding[], index: number, folioSize: PageSize): GmemErrorFolioResult {
  const [start, end] = folioIndexRange(index, folioSize);
  const ranges = kvmGmemInvalidateRanges(bindings, start, end);
  const zappedGfns = ranges.reduce((s, r) => s + r.end - r.start, 0);
  const hex = (n: number) => "0x" + n.toString(16);
  const steps = [
    "kvm_gmem_error_folio(): filemap_invalidate_lock_shared(mapping)",
    `start = folio->index = ${hex(start)}, end = start + folio_nr_pages(folio) = ${hex(end)} (${(end - start).toLocaleString("en-US")} pages: the whole ${folioSize} folio)`,
    ranges.length
      ? `kvm_gmem_invalidate_start() (…_begin() until 6.12): ${ranges.map((r) => `slot ${r.slot}: kvm_mmu_unmap_gfn_range(GFN ${hex(r.start)}–${hex(r.end)})`).join("; ")}; kvm_flush_remote_tlbs()`
      : "kvm_gmem_invalidate_start(): no memslot binds these file pages, nothing to zap",
    "no truncate: \"what action is taken in response to the error is userspace's decision\"",
    "kvm_gmem_invalidate_end(); filemap_invalidate_unlock_shared(); return MF_DELAYED",
  ];
  return { returns: "MF_DELAYED", index: [start, end], ranges, zappedGfns, truncated: false, steps };
}
