import type { PageSize } from "../core/units.js";
import type { InvariantName } from "./events.js";
import type { Machine, MfStats } from "./machine.js";
import { allEntries } from "./mm/util.js";
import { folioNrPages, folioTest, PG_hugetlb, PG_hugetlb_freed, PG_hwpoison } from "./mm/folio.js";

/** Violations already reported, so a broken state is logged once, not after every later step. */
const reported = new WeakMap<Machine, Set<string>>();

function report(m: Machine, name: InvariantName, key: string, detail: string): void {
  let s = reported.get(m);
  if (!s) reported.set(m, (s = new Set()));
  const k = `${name}:${key}`;
  if (s.has(k)) return;
  s.add(k);
  m.log.violation(name, detail);
}

/**
 * The invariants checked after every step:
 * - a poisoned (bad) frame is never on the allocator's free lists, nor inside a folio
 *   allocated after it went bad;
 * - refcounts and mapcounts never go negative;
 * - every frame is accounted for: reserved + free + in folios + taken off = all frames
 *   (`deep` also checks that no two of these overlap);
 * - no page-table entry points to a frame without a live folio.
 */
export function checkInvariants(m: Machine, deep: boolean): void {
  const mem = m.mem;
  for (const [pfn, seq] of mem.badFrames) {
    if (mem.buddy.isFree(pfn)) {
      report(m, "poisoned-frame-free", `${pfn}`, `poisoned pfn ${pfn} is on the buddy free lists and can be handed out`);
    }
    const f = mem.pageFolio(pfn);
    if (f && f.allocSeq > seq && !folioTest(f, PG_hugetlb_freed)) {
      report(m, "poisoned-frame-allocated", `${pfn}:${f.allocSeq}`, `poisoned pfn ${pfn} was handed out again (folio at pfn ${f.pfn})`);
    }
  }
  let folioFrames = 0;
  for (const f of mem.folios.values()) {
    folioFrames += folioNrPages(f);
    if (f.ref < 0 || f.mapcount < 0) report(m, "refcount-negative", `${f.pfn}`, `folio at pfn ${f.pfn} has refcount ${f.ref}, mapcount ${f.mapcount}`);
  }
  const sum = mem.reservedFrames + mem.buddy.nrFree + folioFrames + mem.takenOff.size;
  if (sum !== mem.nrFrames || folioFrames !== mem.folioFrames) {
    report(m, "frame-accounting", `${m.log.step}`, `reserved ${mem.reservedFrames} + free ${mem.buddy.nrFree} + folios ${folioFrames} + taken off ${mem.takenOff.size} = ${sum}, not ${mem.nrFrames}`);
  }
  if (deep) checkOverlap(m);
  for (const e of allEntries(m)) {
    if (e.pte.hwpoison) continue;
    const f = mem.pageFolio(e.pte.pfn);
    if (!f || f.pfn + folioNrPages(f) < e.pte.pfn + (e.size === "4K" ? 1 : e.size === "2M" ? 512 : 262144)) {
      report(m, "pte-to-freed-frame", `${e.task.pid}:${e.base}`, `process ${e.task.pid} maps ${e.size} at ${e.base.toString(16)} to pfn ${e.pte.pfn}, which is not an allocated folio`);
    }
  }
}

/** Every frame belongs to exactly one of: reserved, a free block, a folio, a taken-off page. */
function checkOverlap(m: Machine): void {
  const mem = m.mem;
  const iv: [number, number, string][] = [[0, mem.reservedFrames, "reserved"]];
  for (const b of mem.buddy.blocks()) iv.push([b.head, b.head + 2 ** b.order, "free"]);
  for (const f of mem.folios.values()) iv.push([f.pfn, f.pfn + folioNrPages(f), "folio"]);
  for (const p of mem.takenOff) iv.push([p, p + 1, "taken off"]);
  iv.sort((a, b) => a[0] - b[0]);
  let end = 0;
  let prev = "";
  for (const [s, e, what] of iv) {
    if (s < end) report(m, "frame-accounting", `overlap:${s}`, `frames from ${s} are both ${prev} and ${what}`);
    else if (s > end) report(m, "frame-accounting", `hole:${end}`, `frames ${end}..${s - 1} are neither free, in use, nor taken off`);
    if (e > end) {
      end = e;
      prev = what;
    }
  }
  if (end !== mem.nrFrames) report(m, "frame-accounting", `tail:${end}`, `frames from ${end} are unaccounted for`);
}

/** Final state of a machine, in 4K frames unless named otherwise. */
export interface MachineSummary {
  frames: number;
  reserved: number;
  /** On the buddy free lists. */
  free: number;
  /** In folios that a mapping, a page cache or a pin still uses. */
  inUse: number;
  /** In free hugetlb pool folios that can still be allocated. */
  hugetlbFree: number;
  /** Frames with an uncorrected error (the hardware's view). */
  poisoned: number;
  /** Raw pages kept out of use on purpose: taken off buddy, or order-0 pages held only by MF. */
  offlined: number;
  /** Frames nobody can use or free: folios held only by MF refs, and poisoned free pool folios. */
  leaked: number;
  hugetlb: Record<PageSize, { nr: number; free: number }>;
  stats: MfStats;
  numPoisonedPages: number;
  violations: number;
}

export function summarize(m: Machine): MachineSummary {
  const mem = m.mem;
  let inUse = 0;
  let hugetlbFree = 0;
  let offlined = mem.takenOff.size;
  let leaked = 0;
  for (const f of mem.folios.values()) {
    const n = folioNrPages(f);
    if (folioTest(f, PG_hugetlb) && folioTest(f, PG_hugetlb_freed)) {
      if (folioTest(f, PG_hwpoison)) leaked += n;
      else hugetlbFree += n;
    } else if (f.mapcount > 0 || f.pincount > 0 || (f.mapping && f.mapping.pages.get(f.index) === f)) {
      inUse += n;
    } else if (f.order === 0 && mem.hwpoison.has(f.pfn)) {
      offlined += 1;
    } else {
      leaked += n;
    }
  }
  const hugetlb = { "4K": { nr: 0, free: 0 }, "2M": m.hugetlb("2M"), "1G": m.hugetlb("1G") };
  return {
    frames: mem.nrFrames,
    reserved: mem.reservedFrames,
    free: mem.buddy.nrFree,
    inUse,
    hugetlbFree,
    poisoned: mem.badFrames.size,
    offlined,
    leaked,
    hugetlb,
    stats: { ...m.stats },
    numPoisonedPages: m.numPoisonedPages,
    violations: m.log.violations.length,
  };
}
