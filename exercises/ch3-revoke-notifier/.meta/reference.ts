// Exercise 3.4 — A revoke notifier: no DMA reaches poison (Chapter 3).
// Jason Gunthorpe (20 Jan 2025): "today we don't have any callback into the iommu to force offline
// the memory". In the Feb 2026 iommufd/guest_memfd thread he preferred a notifier with which the
// memory's owner revokes whole iommufd areas. Write one for the course's Machine.
// Reference solution: the student's file is generated from this one (see src/grader/stubs.ts). // reference-only
import { folioNrPages, type Iommufd, type IoptArea, type MachineNotifier, type MmAddressSpace } from "../../../src/index.js";

/**
 * The areas of `ctx` (in every IOAS) that map any page of [startIdx, endIdx) of `file` (4K page
 * offsets). Only areas made with IOMMU_IOAS_MAP_FILE know their file: `area.pages.source` is
 * `{ type: "file", file, start }` (start in bytes), and the area maps the pages' slice from page
 * `area.startIndex`, `area.length` bytes long.
 */
export function affectedAreas(ctx: Iommufd, file: MmAddressSpace, startIdx: number, endIdx: number): IoptArea[] {
  // BEGIN SOLUTION: the file-backed areas whose page range overlaps [startIdx, endIdx)
  const out: IoptArea[] = [];
  for (const ioas of ctx.ioases) {
    for (const area of ioas.areas) {
      const src = area.pages.source;
      if (src.type !== "file" || src.file !== file) continue;
      const first = src.start / 4096 + area.startIndex;
      const last = first + area.length / 4096;
      if (first < endIdx && startIdx < last) out.push(area);
    }
  }
  return out;
  // END SOLUTION
}

/**
 * A MachineNotifier (src/mfr/machine.ts) that revokes iommufd areas: when a memfd range is about to
 * lose its folios (`fileRangeRemove`: truncate, hole punch, release) and when memory_failure()
 * hits a frame (`memoryFailure`, called before memory-failure handles it: the whole folio of that
 * frame), every affected area is removed with `ctx.removeArea(area)`, which unmaps its IOPTEs,
 * invalidates the IOTLB for its range (iommu_iotlb_sync) and drops the pins of its iopt_pages
 * once no area references them (batch_unpin).
 */
export function revokeNotifier(ctx: Iommufd): MachineNotifier {
  // BEGIN SOLUTION: both hooks, each revoking the areas over the affected file range
  const revoke = (file: MmAddressSpace, startIdx: number, endIdx: number) => {
    for (const area of affectedAreas(ctx, file, startIdx, endIdx)) ctx.removeArea(area);
  };
  return {
    fileRangeRemove: (file, startIdx, endIdx) => revoke(file, startIdx, endIdx),
    memoryFailure: (pfn) => {
      const f = ctx.m.mem.pageFolio(pfn);
      // A HugeTLB folio is poisoned as a unit: revoke the areas over all of it.
      if (f && f.mapping) revoke(f.mapping, f.index, f.index + folioNrPages(f));
    },
  };
  // END SOLUTION
}
