// Exercise 3.4 — A revoke notifier: no DMA reaches poison (Chapter 3).
// Jason Gunthorpe (20 Jan 2025): "today we don't have any callback into the iommu to force offline
// the memory". In the Feb 2026 iommufd/guest_memfd thread he preferred a notifier with which the
// memory's owner revokes whole iommufd areas. Write one for the course's Machine.
import { folioNrPages, type Iommufd, type IoptArea, type MachineNotifier, type MmAddressSpace } from "../../src/index.js";

/**
 * The areas of `ctx` (in every IOAS) that map any page of [startIdx, endIdx) of `file` (4K page
 * offsets). Only areas made with IOMMU_IOAS_MAP_FILE know their file: `area.pages.source` is
 * `{ type: "file", file, start }` (start in bytes), and the area maps the pages' slice from page
 * `area.startIndex`, `area.length` bytes long.
 */
export function affectedAreas(ctx: Iommufd, file: MmAddressSpace, startIdx: number, endIdx: number): IoptArea[] {
  throw new Error("TODO: the file-backed areas whose page range overlaps [startIdx, endIdx)");
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
  throw new Error("TODO: both hooks, each revoking the areas over the affected file range");
}
