import { basePagesPer, type PageSize } from "../../core/units.js";
import { AS_MF_KEEP_UE_MAPPED } from "../constants.js";
import type { Folio } from "./folio.js";

/**
 * A file's page cache (struct address_space): shmem (memfd without MFD_HUGETLB, optionally with
 * THP), hugetlbfs (MFD_HUGETLB 2M/1G), and ext4 (a regular file on a disk: its page cache can be
 * written back, and a clean page can be dropped and read again). Folios are keyed by their first
 * page offset (4K units).
 */
export class MmAddressSpace {
  /** Bit set of mapping flags; only AS_MF_KEEP_UE_MAPPED is modelled. */
  flags = 0;
  readonly pages = new Map<number, Folio>();
  /** Open file descriptors plus VMAs that keep the inode alive. */
  refs = 0;
  /** Set when the inode was evicted (last reference dropped). */
  evicted = false;

  constructor(
    readonly id: number,
    readonly fs: "shmem" | "hugetlbfs" | "ext4",
    /** Folio size of the file: hugetlbfs page size, or "2M" for shmem with THP, else "4K". */
    readonly folioSize: PageSize,
    public size: number,
  ) {}

  /** mapping->wb_err's sequence: bumped by mapping_set_error() (errseq_set). */
  wbErr = 0;
  /** Per open file (pid:fd), the wb_err sequence it has seen (file->f_wb_err). */
  readonly wbErrSeen = new Map<string, number>();

  /** mapping_can_writeback(): a disk file system's page cache; shmem and hugetlbfs have no writeback. */
  canWriteback(): boolean {
    return this.fs === "ext4";
  }

  /** mapping_set_error(mapping, -EIO): the next fsync() of each open file reports it once. */
  setError(): void {
    this.wbErr++;
  }

  /** mapping_mf_keep_ue_mapped(). */
  keepUeMapped(): boolean {
    return (this.flags & (1 << AS_MF_KEEP_UE_MAPPED)) !== 0;
  }

  /** mapping_set_mf_keep_ue_mapped(). */
  setKeepUeMapped(): void {
    this.flags |= 1 << AS_MF_KEEP_UE_MAPPED;
  }

  /** filemap lookup: the folio covering page offset `index`, if cached. */
  folioAt(index: number): Folio | undefined {
    const n = basePagesPer(this.folioSize);
    const f = this.pages.get(index - (index % n));
    if (f && f.index + 2 ** f.order > index) return f;
    // A 1G folio demoted by a policy (Chapter 6) leaves 2M folios at 2M boundaries.
    if (n > 512) {
      const g = this.pages.get(index - (index % 512));
      if (g && g.index + 2 ** g.order > index) return g;
    }
    // A shmem THP split after poison leaves order-0 folios at every index.
    return n > 1 ? this.pages.get(index) : undefined;
  }
}
