import { checkRange, ParameterError } from "../core/errors.js";
import { GiB, PAGE_SIZE_CODE, TiB, pageSizeBytes, type PageSize } from "../core/units.js";
import type { Rng } from "../core/rng.js";

/** 4K pages per 2M region and 2M regions per 1G page. */
const PAGES_PER_REGION = 512;
const REGIONS_PER_1G = 512;
/** Largest space the engine indexes: 4K page numbers stay below 2^29 so STLB tags are exact. */
export const MAX_ADDRESS_SPACE = 2 * TiB;

/**
 * A linear address space (a guest's memory, an IOVA range) whose translation size is kept
 * per 2M region: 4K (split, or never huge), 2M (a PMD mapping / THP) or 1G (a PUD mapping /
 * HugeTLB 1G). `split()` models what memory_failure() leaves behind after
 * try_to_split_thp_page(): the region is mapped with 4K PTEs from then on.
 */
export class AddressSpace {
  readonly bytes: number;
  readonly pages4k: number;
  /** Page-size code (0 = 4K, 1 = 2M, 2 = 1G) per 2M region. */
  readonly regionCode: Uint8Array;

  constructor(bytes: number, pageSize: PageSize = "2M") {
    const unit = pageSizeBytes(pageSize);
    if (!(bytes >= unit) || bytes % unit !== 0) {
      throw new ParameterError("address space", `${bytes} bytes is not a whole number of ${pageSize} pages`, `use a multiple of ${pageSize}`);
    }
    if (bytes > MAX_ADDRESS_SPACE) {
      throw new ParameterError("address space", `${bytes / GiB}G is larger than the model's 2T limit`);
    }
    this.bytes = bytes;
    this.pages4k = bytes / 4096;
    const regions = Math.ceil(this.pages4k / PAGES_PER_REGION);
    this.regionCode = new Uint8Array(regions).fill(PAGE_SIZE_CODE[pageSize]);
  }

  /** Size code of the mapping that translates 4K page `vpn`. */
  codeOf(vpn: number): number {
    return this.regionCode[vpn >>> 9];
  }

  /** Number of 4K pages mapped at each size: [4K, 2M, 1G]. */
  pagesBySize(): [number, number, number] {
    const out: [number, number, number] = [0, 0, 0];
    for (let r = 0; r < this.regionCode.length; r++) out[this.regionCode[r]] += PAGES_PER_REGION;
    return out;
  }

  /** Fraction of the space mapped at 4K. */
  splitFraction(): number {
    return this.pagesBySize()[0] / this.pages4k;
  }

  /** Maps 2M region `region` with 4K PTEs (splitting the 1G page around it to 2M first). */
  splitRegion(region: number): void {
    if (this.regionCode[region] === 2) this.split1gTo2m(Math.floor(region / REGIONS_PER_1G));
    this.regionCode[region] = 0;
  }

  private split1gTo2m(gig: number): void {
    const start = gig * REGIONS_PER_1G;
    for (let r = start; r < start + REGIONS_PER_1G && r < this.regionCode.length; r++) {
      if (this.regionCode[r] === 2) this.regionCode[r] = 1;
    }
  }

  /**
   * Splits `fraction` of the currently huge-mapped regions down to 4K. With an Rng the
   * regions are chosen at random (as poison lands), otherwise the lowest ones are split.
   * Returns the number of regions split.
   */
  split(fraction: number, rng?: Rng): number {
    checkRange("fraction", fraction, 0, 1);
    const huge: number[] = [];
    for (let r = 0; r < this.regionCode.length; r++) if (this.regionCode[r] !== 0) huge.push(r);
    const n = Math.round(fraction * huge.length);
    if (rng) {
      // Partial Fisher–Yates: the first n of a seeded permutation.
      for (let i = 0; i < n; i++) {
        const j = i + rng.nextInt(huge.length - i);
        const t = huge[i];
        huge[i] = huge[j];
        huge[j] = t;
      }
    }
    for (let i = 0; i < n; i++) this.splitRegion(huge[i]);
    return n;
  }
}
