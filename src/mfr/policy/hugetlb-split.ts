import { ORDER_2M } from "../constants.js";
import type { Machine } from "../machine.js";
import { folioNrPages, folioTest, newFolio, PG_dirty, PG_hugetlb, PG_hugetlb_freed, PG_hwpoison, PG_lru, type Folio } from "../mm/folio.js";
import { clearEntry, setEntry } from "../mm/pagetable.js";

/** Why a hugetlb folio cannot be demoted: "referenced" is the one a policy can cause and be told about. */
export interface DemoteRefusal {
  code: "not-in-use" | "anon" | "poisoned" | "referenced";
  why: string;
}

/**
 * Why an in-use hugetlb folio cannot be demoted, or null when it can. Only a file (hugetlbfs memfd)
 * folio that is mapped and cached and nothing else: an extra reference (a FOLL_LONGTERM pin, MF's
 * own from an earlier error) would be left pointing at a folio that no longer exists, and an
 * already poisoned folio would lose its raw error list.
 */
export function hugetlbDemoteRefusal(f: Folio): DemoteRefusal | null {
  if (!folioTest(f, PG_hugetlb) || folioTest(f, PG_hugetlb_freed)) return { code: "not-in-use", why: "not an in-use hugetlb folio" };
  if (!f.mapping) return { code: "anon", why: "not in a file (me_huge_page() dissolves anonymous hugetlb anyway)" };
  if (folioTest(f, PG_hwpoison) || f.rawHwp) return { code: "poisoned", why: "already poisoned: its raw error list would be lost" };
  const expected = f.mapcount + folioNrPages(f);
  if (f.ref !== expected) return { code: "referenced", why: `${f.ref - expected} reference(s) beyond its mappings and the page cache (${f.pincount} long-term pin(s)) would point at a folio that no longer exists` };
  return null;
}

/**
 * Demotes an in-use hugetlb folio before memory_failure() handles a poisoned page in it: the 2M
 * block holding the page becomes 512 order-0 folios and every other 2M block one order-9 folio (a
 * 2M folio becomes 512 order-0 folios). No kernel does this for hugetlbfs; the 1G guest_memfd RFC
 * (Ackerley Tng, Sep 2024 / May 2025) splits HugeTLB folios 1G → 2M → 4K for guest_memfd, and
 * suggests going to 4K only where needed, which is this shape. The pieces leave the pool
 * (nr_hugepages drops by one), keep the file and page offsets, are PG_lru and dirty as the
 * hugetlb page cache folio was, and every mapping of the folio becomes PMD and PTE entries of the
 * pieces. Returns false (and changes nothing) when hugetlbDemoteRefusal() names a reason.
 */
export function demoteHugetlbFolio(m: Machine, f: Folio, pfn: number): boolean {
  const refusal = hugetlbDemoteRefusal(f);
  if (refusal) {
    m.log.push({ kind: "policy", what: `hugetlb folio at pfn ${f.pfn} not demoted: ${refusal.why}`, pfn: f.pfn });
    return false;
  }
  const maps = m.rmap(f);
  if (maps.length !== f.mapcount) {
    m.log.push({ kind: "policy", what: `hugetlb folio at pfn ${f.pfn} not demoted: ${f.mapcount - maps.length} mapping(s) not found`, pfn: f.pfn });
    return false;
  }
  const mem = m.mem;
  const as = f.mapping!;
  const h = mem.hstateOf(f);
  const nr = folioNrPages(f);
  const block = 2 ** ORDER_2M;
  const hot = pfn - ((pfn - f.pfn) % block);
  const flags = PG_lru | (f.flags & PG_dirty);
  const pieces: Folio[] = [];
  for (let p = f.pfn; p < f.pfn + nr; ) {
    const order = f.order > ORDER_2M && (p < hot || p >= hot + block) ? ORDER_2M : 0;
    pieces.push(newFolio(p, order, flags, f.allocSeq));
    p += 2 ** order;
  }
  mem.folios.delete(f.pfn);
  mem.watch?.folioGone(f); // the incremental invariant checks follow the folio map
  as.pages.delete(f.index);
  h.nrHugepages--;
  for (const r of maps) clearEntry(r.task, r.base, r.size);
  for (const piece of pieces) {
    const n = folioNrPages(piece);
    piece.mapping = as;
    piece.index = f.index + (piece.pfn - f.pfn);
    piece.mapcount = maps.length;
    piece.ref = maps.length + n; // one per mapping, the page cache's n (filemapAddFolio)
    mem.folios.set(piece.pfn, piece);
    mem.watch?.folio(piece);
    as.pages.set(piece.index, piece);
    const size = piece.order === 0 ? "4K" : "2M";
    for (const r of maps) setEntry(r.task, r.base + (piece.pfn - f.pfn) * 4096, size, { pfn: piece.pfn, size, hwpoison: false });
  }
  m.log.push({ kind: "split", pfn: f.pfn, order: f.order, ok: true });
  m.log.push({ kind: "policy", what: `hugetlb folio at pfn ${f.pfn} demoted to ${pieces.length} folios (not kernel behaviour: a policy's split)`, pfn: f.pfn });
  return true;
}
