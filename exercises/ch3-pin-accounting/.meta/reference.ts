// Exercise 3.1 — Pins, locked_vm and pinned_vm: iommufd vs VFIO type1 (Chapter 3).
// Track what a sequence of iommufd and VFIO type1 maps, copies and unmaps pins and charges. The
// tests run the same sequence on the course's Machine and read the pin counts and counters.
// Reference solution: the student's file is generated from this one (see src/grader/stubs.ts). // reference-only

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
  // BEGIN SOLUTION: keep the iopt_pages and their areas, and the vfio_dmas; charge on pin, uncharge on unpin
  const st: PinState = { pinsPerPage: regionPages.map(() => 0), userLockedVm: 0, mmLockedVm: 0, pinnedVm: 0 };
  interface Pages { region: number; areas: number }
  const areas = new Map<number, Pages>(); // iommufd mapping id → its iopt_pages
  const dmas = new Map<number, number>(); // VFIO mapping id → region
  const charge = (region: number, sign: 1 | -1, vfio: boolean) => {
    const n = regionPages[region] * sign;
    st.pinsPerPage[region] += sign;
    if (vfio) {
      st.mmLockedVm += n; // vfio_lock_acct(): mm->locked_vm only
      return;
    }
    if (accountMode === "user") st.userLockedVm += n;
    else st.mmLockedVm += n;
    st.pinnedVm += n; // iopt_pages_update_pinned(): every iommufd mode
  };
  for (const o of ops) {
    if (o.op === "ioas-map") {
      areas.set(o.id, { region: o.region, areas: 1 });
      charge(o.region, 1, false);
    } else if (o.op === "ioas-copy") {
      const p = areas.get(o.from)!;
      p.areas++; // iopt_get_pages(): shared, no new pin, no new charge
      areas.set(o.id, p);
    } else if (o.op === "ioas-unmap") {
      const p = areas.get(o.id)!;
      areas.delete(o.id);
      if (--p.areas === 0) charge(p.region, -1, false); // the last area: batch_unpin()
    } else if (o.op === "vfio-map") {
      dmas.set(o.id, o.region);
      charge(o.region, 1, true);
    } else {
      charge(dmas.get(o.id)!, -1, true); // vfio_unmap_unpin()
      dmas.delete(o.id);
    }
  }
  return st;
  // END SOLUTION
}
