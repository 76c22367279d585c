// read(2), write(2) and fsync(2) on the model's files: what the page cache does with poisoned
// folios (mm/shmem.c shmem_file_read_iter(), fs/hugetlbfs/inode.c hugetlbfs_read_iter(),
// mm/filemap.c for a disk file) and the -EIO that mapping_set_error() leaves for fsync().
import { EINVAL, EIO } from "./constants.js";
import type { Machine } from "./machine.js";
import { folioTest, PG_dirty, PG_hugetlb, PG_hugetlb_raw_hwp_unreliable, PG_hwpoison, type Folio } from "./mm/folio.js";
import type { MmAddressSpace } from "./mm/mapping.js";

/** Whether the 4K page at file offset `idx` of a cached folio is poisoned, as the read path sees it. */
function pagePoisoned(m: Machine, as: MmAddressSpace, f: Folio, idx: number): boolean {
  if (folioTest(f, PG_hugetlb)) {
    // hugetlbfs_read_iter(): adjust_range_hwpoison() stops at the first raw poisoned page; with an
    // unreliable raw list every page counts as poisoned.
    if (!folioTest(f, PG_hwpoison)) return false;
    if (folioTest(f, PG_hugetlb_raw_hwp_unreliable) || !f.rawHwp) return true;
    return f.rawHwp.has(f.pfn + (idx - f.index));
  }
  // shmem_file_read_iter(): PageHWPoison of the page read.
  void as;
  return m.mem.hwpoison.has(f.pfn + (idx - f.index));
}

/**
 * pread(fd, len, off): the bytes before the first poisoned page, -EIO when the first page is
 * poisoned, 0 at or past the end of the file. A disk file's missing pages are read from disk into
 * the page cache (clean); holes of a memfd read as zeros.
 */
export function fileRead(m: Machine, as: MmAddressSpace, off: number, len: number): number {
  const end = Math.min(as.size, off + len);
  if (off >= end) return 0;
  let done = 0;
  for (let pos = off; pos < end; ) {
    const idx = Math.floor(pos / 4096);
    const chunk = Math.min(end, (idx + 1) * 4096) - pos;
    let f = as.folioAt(idx);
    if (!f && as.fs === "ext4") f = m.filemapAddFolio(as, idx) ?? undefined;
    if (f && pagePoisoned(m, as, f, idx)) return done > 0 ? done : -EIO;
    done += chunk;
    pos += chunk;
  }
  return done;
}

/** pwrite(fd, len, off): dirties the page cache (hugetlbfs has no write(2): -EINVAL). */
export function fileWrite(m: Machine, as: MmAddressSpace, off: number, len: number): number {
  if (as.fs === "hugetlbfs") return -EINVAL;
  if (len === 0) return 0;
  for (let idx = Math.floor(off / 4096); idx * 4096 < off + len; idx++) {
    const f = as.folioAt(idx) ?? m.filemapAddFolio(as, idx);
    if (!f) return -EIO;
    if (m.mem.hwpoison.has(f.pfn + (idx - f.index))) return -EIO;
    f.flags |= PG_dirty;
  }
  as.size = Math.max(as.size, off + len);
  return len;
}

/**
 * fsync(fd): a disk file's dirty folios are written back (clean again); the file reports
 * mapping_set_error()'s -EIO once (file_check_and_advance_wb_err()). shmem and hugetlbfs have
 * nothing to write back.
 */
export function fileSync(as: MmAddressSpace, who: string): number {
  if (as.fs === "ext4") for (const f of as.pages.values()) f.flags &= ~PG_dirty;
  const seen = as.wbErrSeen.get(who) ?? 0;
  as.wbErrSeen.set(who, as.wbErr);
  return as.wbErr > seen ? -EIO : 0;
}
