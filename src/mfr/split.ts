import type { Machine } from "./machine.js";
import { folioNrPages, newFolio, PG_has_hwpoisoned, type Folio } from "./mm/folio.js";
import { clearEntry, setEntry } from "./mm/pagetable.js";

/**
 * try_to_split_thp_page() → split_huge_page(): a large (non-hugetlb) folio becomes 2^order
 * order-0 folios and each PMD mapping becomes 512 PTEs. The split is refused when the folio
 * has references beyond its mappings, its page-cache references and the caller's one — a
 * FOLL_LONGTERM pin (RDMA, VFIO, iommufd) is such a reference.
 */
export function splitFolio(m: Machine, f: Folio, p: number): boolean {
  const nr = folioNrPages(f);
  const expected = f.mapcount + (f.mapping ? nr : 0) + 1;
  if (f.ref !== expected) {
    m.log.push({ kind: "split", pfn: f.pfn, order: f.order, ok: false, reason: `${f.ref - expected} extra reference(s), e.g. a FOLL_LONGTERM pin` });
    return false;
  }
  const maps = m.rmap(f);
  const mem = m.mem;
  mem.folios.delete(f.pfn);
  mem.watch?.folioGone(f);
  if (f.mapping) f.mapping.pages.delete(f.index);
  for (let i = 0; i < nr; i++) {
    const sub = newFolio(f.pfn + i, 0, f.flags & ~PG_has_hwpoisoned, f.allocSeq);
    sub.mapping = f.mapping;
    sub.index = f.index + i;
    sub.anon = f.anon ? { pid: f.anon.pid, addr: f.anon.addr + i * 4096 } : null;
    sub.mapcount = maps.length;
    sub.ref = maps.length + (f.mapping ? 1 : 0);
    if (f.pfn + i === p) {
      sub.ref += 1;
      sub.mfRefs = f.mfRefs;
    }
    mem.folios.set(sub.pfn, sub);
    mem.watch?.folio(sub);
    if (f.mapping) f.mapping.pages.set(sub.index, sub);
  }
  for (const r of maps) {
    clearEntry(r.task, r.base, r.size);
    for (let i = 0; i < nr; i++) setEntry(r.task, r.base + i * 4096, "4K", { pfn: f.pfn + i, size: "4K", hwpoison: false });
  }
  m.log.push({ kind: "split", pfn: f.pfn, order: f.order, ok: true });
  return true;
}
