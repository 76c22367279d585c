import { EBUSY, EIO, ENXIO, EOPNOTSUPP } from "./constants.js";
import type { Machine } from "./machine.js";
import { folioPageSize } from "./mm/util.js";
import { pageHandlePoison } from "./memory-failure.js";
import { folioNrPages, folioTest, PG_hugetlb, PG_hugetlb_freed, PG_hwpoison, PG_lru, type Folio } from "./mm/folio.js";
import { getEntry, setEntry } from "./mm/pagetable.js";
import { splitFolio } from "./split.js";

/**
 * soft_offline_page() (mm/memory-failure.c): for a page with too many corrected errors.
 * Migrates its contents (migrate_pages, MR_MEMORY_FAILURE) and takes the frame offline;
 * never kills. -EOPNOTSUPP when vm.enable_soft_offline is 0. A hugetlb page is migrated to
 * another pool page and the old one dissolved, so the pool shrinks by one.
 */
export function softOfflinePage(m: Machine, pfn: number): number {
  const mem = m.mem;
  if (!Number.isInteger(pfn) || pfn < 0 || pfn >= mem.nrFrames) return -ENXIO;
  if (!m.opts.enableSoftOffline) {
    m.log.push({ kind: "policy", what: "soft offline disabled by /proc/sys/vm/enable_soft_offline", pfn });
    return -EOPNOTSUPP;
  }
  let f = mem.pageFolio(pfn);
  const hugePoisoned = !!f && folioTest(f, PG_hugetlb) && folioTest(f, PG_hwpoison);
  if (mem.hwpoison.has(pfn) || hugePoisoned) {
    m.log.push({ kind: "policy", what: `soft offline ${pfn}: page already poisoned`, pfn });
    return 0;
  }
  if (mem.isReserved(pfn)) return -EIO;
  // get_hwpoison_page(MF_SOFT_OFFLINE): 0 for free (buddy or free hugetlb), 1 for in use.
  if (!f || (folioTest(f, PG_hugetlb) && folioTest(f, PG_hugetlb_freed))) {
    if (!pageHandlePoison(m, pfn, "soft_offline_page")) return -EBUSY;
    setPoisoned(m, pfn);
    return 0;
  }
  if (!folioTest(f, PG_lru) && !folioTest(f, PG_hugetlb)) return -EIO;
  // soft_offline_in_use_page()
  if (!folioTest(f, PG_hugetlb) && f.order > 0) {
    mem.getFolio(f);
    const ok = splitFolio(m, f, pfn);
    if (!ok) {
      mem.putFolio(f, 1, "soft offline split failed");
      m.log.push({ kind: "policy", what: `soft offline ${pfn}: thp split failed`, pfn });
      return -EBUSY;
    }
    f = mem.pageFolio(pfn) as Folio;
    mem.putFolio(f, 1, "soft offline");
  }
  if (f.pincount > 0) {
    m.log.push({ kind: "policy", what: `soft offline ${pfn}: migration failed (pinned)`, pfn });
    return -EBUSY;
  }
  const huge = folioTest(f, PG_hugetlb);
  const target = huge ? mem.dequeueHugetlb(folioPageSize(f)) : mem.allocFolio(0, f.flags, "migration target");
  if (!target) {
    m.log.push({ kind: "policy", what: `soft offline ${pfn}: no migration target`, pfn });
    return -EBUSY;
  }
  migrate(m, f, target);
  if (huge) {
    // The old folio is free in the pool now: dissolve it and take the page off.
    if (!pageHandlePoison(m, pfn, "soft_offline_page (hugetlb)")) return -EBUSY;
    setPoisoned(m, pfn);
  } else {
    // MR_MEMORY_FAILURE keeps the source page with one reference; page_handle_poison() marks it.
    mem.hwpoison.add(pfn);
    f.flags &= ~PG_lru;
    m.numPoisonedPages++;
    m.log.push({ kind: "offline", pfn, how: "held-by-mf", by: "soft_offline_page" });
  }
  return 0;
}

function setPoisoned(m: Machine, pfn: number): void {
  m.mem.hwpoison.add(pfn);
  m.numPoisonedPages++;
}

/** migrate_pages(): the new folio takes over page cache slot, mappings, owner and references. */
function migrate(m: Machine, from: Folio, to: Folio): void {
  const mem = m.mem;
  const maps = m.rmap(from);
  to.flags = from.flags & ~PG_hugetlb_freed;
  to.mapping = from.mapping;
  to.index = from.index;
  to.anon = from.anon;
  if (from.mapping) {
    from.mapping.pages.set(from.index, to);
    mem.getFolio(to, folioNrPages(to));
    from.mapping = null;
  }
  for (const r of maps) {
    const e = getEntry(r.task, r.base, r.size);
    if (e) setEntry(r.task, r.base, r.size, { pfn: to.pfn, size: r.size, hwpoison: false });
    to.mapcount++;
    mem.getFolio(to);
    from.mapcount--;
  }
  from.anon = null;
  const keep = folioTest(from, PG_hugetlb) ? 0 : 1;
  mem.putFolio(from, from.ref - keep, "migrated away");
  m.log.push({ kind: "policy", what: `migrated pfn ${from.pfn} → ${to.pfn}`, pfn: from.pfn });
}
