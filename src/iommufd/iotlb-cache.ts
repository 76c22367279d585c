import { checkInt, ParameterError } from "../core/errors.js";
import { PAGE_SIZE_CODE, pageSizeBytes, type PageSize } from "../core/units.js";
import { LruTlb } from "../tlb/lru-tlb.js";

/** One IO page-table entry (IOPTE) or cached translation: the IO page [iova, iova + size) → frames from `pfn`. */
export interface IoPte {
  iova: number;
  size: PageSize;
  pfn: number;
}

/** IOVAs stay below 2 TiB so that 4K IO page numbers fit LruTlb's tags (page numbers < 2^29). */
export const MAX_IOVA = 2 ** 41;

const SIZES: readonly PageSize[] = ["1G", "2M", "4K"];

function keyOf(pn: number, code: number): number {
  return pn * 4 + code;
}

/**
 * A single-level IOTLB in front of one IO page table (an iommu_domain), as in Chapter 1's
 * IOTLB model: LruTlb decides capacity and replacement, and the cached translations are kept
 * beside it, so a translation that was not invalidated would still send a DMA to its old frame.
 * LruTlb has no per-entry invalidation: an invalidated entry is dropped from the translations
 * here but its tag keeps its way until evicted, so capacity right after an invalidation is
 * slightly pessimistic.
 */
export class IoTlb {
  readonly tlb: LruTlb;
  private readonly cached = new Map<number, IoPte>();
  hits = 0;
  misses = 0;
  /** iommu_iotlb_sync() calls after unmapping a range (one per unmap or revoke). */
  invalidations = 0;
  /** Live entries those invalidations dropped. */
  invalidatedEntries = 0;

  constructor(geometry: { entries: number; ways: number }) {
    checkInt("iotlb.entries", geometry.entries, 1, 1 << 16);
    this.tlb = new LruTlb(geometry, "iotlb");
  }

  /** The cached translation covering `iova`, if the IOTLB holds one (a hit refreshes its LRU position). */
  lookup(iova: number): IoPte | undefined {
    for (const size of SIZES) {
      const pn = Math.floor(iova / pageSizeBytes(size));
      const code = PAGE_SIZE_CODE[size];
      const tr = this.cached.get(keyOf(pn, code));
      if (tr && this.tlb.contains(pn, code)) {
        this.tlb.access(pn, code);
        this.hits++;
        return tr;
      }
    }
    this.misses++;
    return undefined;
  }

  /** Fills a translation after a page walk (may evict the LRU entry of its set). */
  fill(pte: IoPte): void {
    const pn = pte.iova / pageSizeBytes(pte.size);
    const code = PAGE_SIZE_CODE[pte.size];
    this.tlb.access(pn, code);
    this.cached.set(keyOf(pn, code), { ...pte });
    if (this.cached.size > 4 * this.tlb.entries) this.prune();
  }

  /** Invalidates every translation overlapping [iova, iova + length) (iommu_iotlb_sync after iommu_unmap). */
  invalidateRange(iova: number, length: number): void {
    this.invalidations++;
    for (const [k, tr] of [...this.cached]) {
      const end = tr.iova + pageSizeBytes(tr.size);
      if (end <= iova || tr.iova >= iova + length) continue;
      if (this.tlb.contains(tr.iova / pageSizeBytes(tr.size), PAGE_SIZE_CODE[tr.size])) this.invalidatedEntries++;
      this.cached.delete(k);
    }
  }

  /** Translations the IOTLB holds right now. */
  live(): IoPte[] {
    const out: IoPte[] = [];
    for (const tr of this.cached.values()) if (this.tlb.contains(tr.iova / pageSizeBytes(tr.size), PAGE_SIZE_CODE[tr.size])) out.push(tr);
    return out;
  }

  private prune(): void {
    for (const [k, tr] of [...this.cached]) {
      if (!this.tlb.contains(tr.iova / pageSizeBytes(tr.size), PAGE_SIZE_CODE[tr.size])) this.cached.delete(k);
    }
  }
}

/** Checks an IOVA range against the model's IOVA space. */
export function checkIovaRange(parameter: string, iova: number, length: number): void {
  if (!Number.isInteger(iova) || iova < 0 || iova % 4096 !== 0) throw new ParameterError(parameter, `${iova} is not a 4K-aligned IOVA`);
  if (!Number.isInteger(length) || length <= 0 || length % 4096 !== 0) throw new ParameterError("length", `${length} is not a positive multiple of 4K`);
  if (iova + length > MAX_IOVA) throw new ParameterError(parameter, "the range ends above the model's 2 TiB IOVA space", "use smaller IOVAs");
}
