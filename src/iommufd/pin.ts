// Pinning and unpinning guest memory for a device, as iommufd (drivers/iommu/iommufd/pages.c)
// and VFIO type1 (drivers/vfio/vfio_iommu_type1.c) do it, on the Machine of src/mfr.
import type { Machine } from "../mfr/machine.js";
import { EFAULT, EHWPOISON, ENOMEM } from "../mfr/constants.js";
import { folioNrPages, folioTest, PG_has_hwpoisoned, PG_hugetlb, PG_hwpoison, type Folio } from "../mfr/mm/folio.js";
import type { MmAddressSpace } from "../mfr/mm/mapping.js";
import { walk } from "../mfr/mm/pagetable.js";
import { unitOf } from "../mfr/mm/pagetable.js";
import type { IoPte } from "./iotlb-cache.js";

/** A run of pinned pages inside one folio: page indexes [index, index + nr) of a pin holder, frames from `pfn`. */
export interface PinnedRun {
  index: number;
  nr: number;
  pfn: number;
  folio: Folio;
}

export type PinResult = { runs: PinnedRun[] } | { err: number };

function addRun(runs: PinnedRun[], index: number, nr: number, pfn: number, folio: Folio): void {
  const last = runs[runs.length - 1];
  if (last && last.folio === folio && last.index + last.nr === index && last.pfn + last.nr === pfn) last.nr += nr;
  else runs.push({ index, nr, pfn, folio });
}

/** The folio has a known-poisoned page (PG_hwpoison on a hugetlb folio, has_hwpoisoned, or a raw hwpoison page). */
export function folioPoisoned(m: Machine, f: Folio): boolean {
  if (folioTest(f, PG_hugetlb)) return folioTest(f, PG_hwpoison);
  if (f.order > 0) return folioTest(f, PG_has_hwpoisoned);
  return m.mem.hwpoison.has(f.pfn) || m.mem.badFrames.has(f.pfn);
}

/**
 * pfn_reader_user_pin() → pin_user_pages_fast/remote(FOLL_LONGTERM [| FOLL_WRITE]) for iommufd,
 * vaddr_get_pfns() → pin_user_pages_remote(FOLL_LONGTERM) for VFIO type1: faults in what is not
 * present, fails on a hwpoison entry (-EHWPOISON) or a hole (-EFAULT), and takes one pin per
 * page (a large folio gets `nr` pins, as try_grab_folio does). All or nothing.
 * FOLL_LONGTERM's migration out of ZONE_MOVABLE/CMA is not modelled.
 */
export function pinUserRange(m: Machine, pid: number, uptr: number, npages: number, write: boolean): PinResult {
  const t = m.tasks.get(pid);
  if (!t || !t.alive) return { err: -EFAULT }; // mmget_not_zero() failed
  const runs: PinnedRun[] = [];
  let i = 0;
  while (i < npages) {
    const addr = uptr + i * 4096;
    let w = walk(t, addr);
    if (!w) {
      const vma = t.findVma(addr);
      if (!vma) return { err: -EFAULT };
      if (vma.file) {
        // A poisoned page-cache folio makes the GUP fault fail (VM_FAULT_HWPOISON → -EHWPOISON) without a signal.
        const idx = vma.pgoff + Math.floor((addr - vma.start) / 4096);
        const cached = vma.file.folioAt(idx);
        if (cached && folioTest(cached, PG_hugetlb) && folioTest(cached, PG_hwpoison) && !vma.file.keepUeMapped()) return { err: -EHWPOISON };
        if (cached && !folioTest(cached, PG_hugetlb) && m.mem.hwpoison.has(cached.pfn + (idx - cached.index))) return { err: -EHWPOISON };
        if (idx * 4096 >= vma.file.size) return { err: -EFAULT };
      }
      if (m.fault(t, addr, write) !== "ok") return { err: -EFAULT };
      w = walk(t, addr);
      if (!w) return { err: -EFAULT };
    }
    if (w.pte.hwpoison) return { err: -EHWPOISON };
    const pfn = w.pte.pfn + Math.floor((addr - w.base) / 4096);
    const f = m.mem.pageFolio(pfn);
    if (!f) return { err: -EFAULT };
    const inEntry = (w.base + unitOf(w.size) - addr) / 4096;
    const n = Math.min(npages - i, inEntry, f.pfn + folioNrPages(f) - pfn);
    addRun(runs, i, n, pfn, f);
    i += n;
  }
  for (const r of runs) m.mem.pin(r.folio, r.nr);
  return { runs };
}

/**
 * pin_memfd_pages() → memfd_pin_folios() + folio_add_pins() (iommufd IOMMU_IOAS_MAP_FILE):
 * pins the folios of a memfd range, allocating a folio for a hole as memfd_pin_folios does.
 * Whether memfd_pin_folios() refuses a hwpoisoned folio is UNVERIFIED; the model pins it unless
 * `refusePoisoned` (the revoke policy's own rule) is set.
 */
export function pinFileRange(m: Machine, as: MmAddressSpace, startByte: number, npages: number, refusePoisoned: boolean): PinResult {
  if (startByte + npages * 4096 > as.size) return { err: -EFAULT };
  const runs: PinnedRun[] = [];
  let i = 0;
  const first = startByte / 4096;
  while (i < npages) {
    const idx = first + i;
    const f = as.folioAt(idx) ?? m.filemapAddFolio(as, idx);
    if (!f) {
      for (const r of runs) m.mem.unpin(r.folio, r.nr);
      return { err: -ENOMEM };
    }
    if (refusePoisoned && folioPoisoned(m, f)) {
      for (const r of runs) m.mem.unpin(r.folio, r.nr);
      return { err: -EHWPOISON };
    }
    const off = idx - f.index;
    const n = Math.min(npages - i, folioNrPages(f) - off);
    // Pin as we go, so a hole allocated for a later page cannot be handed this folio's frames.
    m.mem.pin(f, n);
    addRun(runs, i, n, f.pfn + off, f);
    i += n;
  }
  return { runs };
}

/** unpin_user_page_range_dirty_lock() over every run (batch_unpin). */
export function unpinRuns(m: Machine, runs: readonly PinnedRun[]): void {
  for (const r of runs) m.mem.unpin(r.folio, r.nr);
}

const PGSIZES = [
  { size: "1G" as const, bytes: 2 ** 30 },
  { size: "2M" as const, bytes: 2 ** 21 },
  { size: "4K" as const, bytes: 4096 },
];

/**
 * batch_to_domain() → iommu_map(): IOPTEs for pages [from, to) of a pin holder mapped at `iova`
 * (page `from` at `iova`). Physically contiguous runs are merged, and each IOPTE is the largest
 * page size whose IOVA and physical address are both aligned and that the run still covers
 * (iommu_pgsize()), so a 1G hugetlb folio at a 1G-aligned IOVA is one 1G IOPTE.
 */
export function buildPtes(iova: number, runs: readonly PinnedRun[], from: number, to: number): IoPte[] {
  const segs: { index: number; nr: number; pfn: number }[] = [];
  for (const r of runs) {
    const s = Math.max(r.index, from);
    const e = Math.min(r.index + r.nr, to);
    if (e <= s) continue;
    const pfn = r.pfn + (s - r.index);
    const last = segs[segs.length - 1];
    if (last && last.index + last.nr === s && last.pfn + last.nr === pfn) last.nr += e - s;
    else segs.push({ index: s, nr: e - s, pfn });
  }
  const out: IoPte[] = [];
  for (const seg of segs) {
    let a = iova + (seg.index - from) * 4096;
    let p = seg.pfn;
    let left = seg.nr * 4096;
    while (left > 0) {
      const pg = PGSIZES.find((s) => a % s.bytes === 0 && (p * 4096) % s.bytes === 0 && left >= s.bytes) ?? PGSIZES[2];
      out.push({ iova: a, size: pg.size, pfn: p });
      a += pg.bytes;
      p += pg.bytes / 4096;
      left -= pg.bytes;
    }
  }
  return out;
}
