// Exercise 3.1 — Pins, locked_vm and pinned_vm: iommufd vs VFIO type1 (Chapter 3).
// Track what a sequence of iommufd and VFIO type1 maps, copies and unmaps pins and charges. The
// tests run the same sequence on the course's Machine and read the pin counts and counters.

/**
 * One operation of the VMM. Each map or copy creates mapping `id`; unmaps name a mapping by id.
 * Regions are ranges of the VMM's anonymous memory in 4K pages.
 * - ioas-map: IOMMU_IOAS_MAP of a whole region into IOAS `ioas` (new iopt_pages, pinned once);
 * - ioas-copy: IOMMU_IOAS_COPY of iommufd mapping `from` into IOAS `ioas` (shares its iopt_pages);
 * - ioas-unmap: IOMMU_IOAS_UNMAP of iommufd mapping `id`;
 * - vfio-map: VFIO_IOMMU_MAP_DMA of a whole region (a new vfio_dma, pinned on its own);
 * - vfio-unmap: VFIO_IOMMU_UNMAP_DMA of VFIO mapping `id`.
 */
export type PinOp =
  | { op: "ioas-map"; id: number; ioas: number; region: number }
  | { op: "ioas-copy"; id: number; ioas: number; from: number }
  | { op: "ioas-unmap"; id: number }
  | { op: "vfio-map"; id: number; region: number }
  | { op: "vfio-unmap"; id: number };

export interface PinState {
  /** FOLL_LONGTERM pins on each page of each region (every page of a region has the same count). */
  pinsPerPage: number[];
  /** user->locked_vm of the VMM's user, in pages. */
  userLockedVm: number;
  /** mm->locked_vm of the VMM, in pages. */
  mmLockedVm: number;
  /** mm->pinned_vm of the VMM, in pages. */
  pinnedVm: number;
}

/**
 * The pins and counters after `ops`, starting from nothing. `regionPages[r]` is region r's size in
 * 4K pages. `accountMode` is the iommufd context's IOMMU_OPTION_RLIMIT_MODE: "user" (default,
 * user->locked_vm) or "mm" (VFIO-compatible, mm->locked_vm). No CAP_IPC_LOCK, no limit hit.
 */
export function trackPins(regionPages: number[], ops: PinOp[], accountMode: "user" | "mm"): PinState {
  throw new Error("TODO: keep the iopt_pages and their areas, and the vfio_dmas; charge on pin, uncharge on unpin");
}
