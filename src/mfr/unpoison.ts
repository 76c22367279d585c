import { EBUSY, EHWPOISON, ENXIO, EOPNOTSUPP } from "./constants.js";
import type { Machine } from "./machine.js";
import { folioTest, PG_hugetlb, PG_hugetlb_raw_hwp_unreliable, PG_hwpoison } from "./mm/folio.js";

/**
 * unpoison_memory() (mm/memory-failure.c): software-unpoison an injected error. Refused after
 * any real hardware error (hw_memory_failure), for pages still referenced, mapped or with a
 * mapping, and for hugetlb folios whose raw error list is unreliable. Returns 0 or -errno.
 * For hugetlb, PageHWPoison is tested on the page given, as the kernel does: pass the head pfn.
 */
export function unpoisonMemory(m: Machine, pfn: number): number {
  const mem = m.mem;
  if (!Number.isInteger(pfn) || pfn < 0 || pfn >= mem.nrFrames) return -ENXIO;
  if (m.hwMemoryFailure) {
    m.log.push({ kind: "policy", what: `unpoison ${pfn}: disabled after HW memory failure`, pfn });
    return -EOPNOTSUPP;
  }
  const f = mem.pageFolio(pfn);
  const huge = !!f && folioTest(f, PG_hugetlb);
  const poisoned = huge ? f.pfn === pfn && folioTest(f, PG_hwpoison) : mem.hwpoison.has(pfn);
  const refuse = (why: string): number => {
    m.log.push({ kind: "policy", what: `unpoison ${pfn}: ${why}`, pfn });
    return -EBUSY;
  };
  if (!poisoned) return refuse("page was already unpoisoned");
  if (f && f.ref > 1) return refuse("someone grabs the hwpoison page");
  if (mem.isReserved(pfn)) return refuse("reserved page");
  if (f && f.mapcount > 0) return refuse("someone maps the hwpoison page");
  if (f && f.mapping) return refuse("the hwpoison page has non-NULL mapping");

  // get_hwpoison_page(MF_UNPOISON)
  if (!f) {
    if (mem.takenOff.has(pfn)) {
      // -EHWPOISON from __get_unpoison_page(): PageHWPoisonTakenOff → put_page_back_buddy().
      mem.hwpoison.delete(pfn);
      if (!mem.putPageBackBuddy(pfn)) return -EBUSY;
      done(m, pfn, 1);
      return 0;
    }
    return refuse(`unexpected state (${-EHWPOISON})`);
  }
  if (huge) {
    if (folioTest(f, PG_hugetlb_raw_hwp_unreliable) || !f.rawHwp || f.rawHwp.size === 0) return refuse("raw error list unreliable");
    const raws = [...f.rawHwp];
    f.rawHwp = null;
    f.flags &= ~PG_hwpoison;
    for (const r of raws) mem.clearBad(r);
    m.numPoisonedPages -= raws.length;
    if (f.ref === 1) {
      f.mfRefs = 0;
      mem.putFolio(f, 1, "unpoison");
    }
    m.log.push({ kind: "policy", what: `unpoison ${pfn}: software-unpoisoned hugetlb folio (${raws.length} raw pages)`, pfn });
    return 0;
  }
  mem.hwpoison.delete(pfn);
  f.mfRefs = 0;
  mem.putFolio(f, f.ref, "unpoison");
  done(m, pfn, 1);
  return 0;
}

function done(m: Machine, pfn: number, n: number): void {
  m.mem.clearBad(pfn);
  m.numPoisonedPages -= n;
  m.log.push({ kind: "policy", what: `unpoison ${pfn}: software-unpoisoned page`, pfn });
}
