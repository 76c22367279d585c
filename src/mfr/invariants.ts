import type { PageSize } from "../core/units.js";
import type { InvariantName } from "./events.js";
import type { Machine, MfStats } from "./machine.js";
import { allEntries } from "./mm/util.js";
import { folioNrPages, folioTest, PG_hugetlb, PG_hugetlb_freed, PG_hwpoison, type Folio } from "./mm/folio.js";
import { getEntry } from "./mm/pagetable.js";
import type { Pte, Task } from "./mm/process.js";
import { setStepWatch, type MemWatch } from "./mm/watch.js";

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
 * After a step (`deep` false) only what the step changed is looked at (see Tracker); `deep`, or
 * a machine not tracked, walks the whole state.
 */
export function checkInvariants(m: Machine, deep: boolean): void {
  const t = trackers.get(m);
  if (!deep && t && !t.full && !walksEveryStep(m)) {
    t.check();
    return;
  }
  checkAll(m, deep);
  if (t) t.clear();
}

/** The whole-state check: every bad frame, every folio, every page-table entry. */
function checkAll(m: Machine, deep: boolean): void {
  const mem = m.mem;
  for (const pfn of mem.badFrames.keys()) checkBadFrame(m, pfn);
  let folioFrames = 0;
  for (const f of mem.folios.values()) {
    folioFrames += folioNrPages(f);
    checkCounts(m, f);
  }
  checkAccounting(m, folioFrames);
  if (deep) checkOverlap(m);
  for (const e of allEntries(m)) checkEntry(m, e.task, e.base, e.size, e.pte);
}

function checkBadFrame(m: Machine, pfn: number): void {
  const mem = m.mem;
  const seq = mem.badFrames.get(pfn);
  if (seq === undefined) return;
  if (mem.buddy.isFree(pfn)) {
    report(m, "poisoned-frame-free", `${pfn}`, `poisoned pfn ${pfn} is on the buddy free lists and can be handed out`);
  }
  const f = mem.pageFolio(pfn);
  if (f && f.allocSeq > seq && !folioTest(f, PG_hugetlb_freed)) {
    report(m, "poisoned-frame-allocated", `${pfn}:${f.allocSeq}`, `poisoned pfn ${pfn} was handed out again (folio at pfn ${f.pfn})`);
  }
}

function checkCounts(m: Machine, f: Folio): void {
  if (f.ref < 0 || f.mapcount < 0) report(m, "refcount-negative", `${f.pfn}`, `folio at pfn ${f.pfn} has refcount ${f.ref}, mapcount ${f.mapcount}`);
}

function checkAccounting(m: Machine, folioFrames: number): void {
  const mem = m.mem;
  const sum = mem.reservedFrames + mem.buddy.nrFree + folioFrames + mem.takenOff.size;
  if (sum !== mem.nrFrames || folioFrames !== mem.folioFrames) {
    report(m, "frame-accounting", `${m.log.step}`, `reserved ${mem.reservedFrames} + free ${mem.buddy.nrFree} + folios ${folioFrames} + taken off ${mem.takenOff.size} = ${sum}, not ${mem.nrFrames}`);
  }
}

function checkEntry(m: Machine, task: Task, base: number, size: PageSize, pte: { pfn: number; hwpoison: boolean }): void {
  if (pte.hwpoison) return;
  const f = m.mem.pageFolio(pte.pfn);
  if (!f || f.pfn + folioNrPages(f) < pte.pfn + (size === "4K" ? 1 : size === "2M" ? 512 : 262144)) {
    report(m, "pte-to-freed-frame", `${task.pid}:${base}`, `process ${task.pid} maps ${size} at ${base.toString(16)} to pfn ${pte.pfn}, which is not an allocated folio`);
  }
}

// ---- Incremental checking ---------------------------------------------------------------------

const trackers = new WeakMap<Machine, Tracker>();
const fullEveryStep = new WeakSet<Machine>();

let fullEverywhere = false;

/** For tests and benchmarks: check `m` by walking the whole state after every step, as before. */
export function fullCheckEveryStep(m: Machine, on = true): void {
  if (on) fullEveryStep.add(m);
  else fullEveryStep.delete(m);
}

/** The same for every machine, including those a caller creates inside (runScenario); for tests. */
export function fullChecksEverywhere(on: boolean): void {
  fullEverywhere = on;
}

function walksEveryStep(m: Machine): boolean {
  return fullEverywhere || fullEveryStep.has(m);
}

/**
 * Called by Machine.step() before the step runs: routes the step's changes to the machine's
 * tracker (created on first use). Returns what to call when the step is over.
 */
export function watchStep(m: Machine): () => void {
  if (!m.opts.checkEveryStep) return noop;
  let t = trackers.get(m);
  if (!t) trackers.set(m, (t = new Tracker(m)));
  const prev = setStepWatch(t);
  return () => void setStepWatch(prev);
}
const noop = (): void => undefined;

const BAD_BLOCK = 1024;
const PTE_BLOCK = 512;

/**
 * What changed since the last check, and the indexes that make checking a change cheap: bad
 * frames by 4M block, present page-table entries by the 2M block they point into, and the frames
 * in folios. Cost per step: the frames freed, the folios touched and the entries set or cleared,
 * each with a constant number of lookups (a freed or removed 1G range: its 512 blocks).
 */
class Tracker implements MemWatch {
  /** The first check after creation walks everything (state from before tracking began). */
  full = true;
  private readonly folios = new Set<Folio>();
  /** Folios that entered the folio map since the last check (allocated, split off). */
  private readonly added = new Set<Folio>();
  private readonly gone = new Set<Folio>();
  private readonly freedRanges: [number, number][] = [];
  private readonly newBad = new Set<number>();
  /** Entries set since the last check. */
  private readonly newEntries: Pte[] = [];
  private readonly badBlocks = new Map<number, Set<number>>();
  /** Present, healthy entries by the 2M block of the frame they point to, and where each one is. */
  private readonly entryBlocks = new Map<number, Set<Pte>>();
  private readonly where = new Map<Pte, Loc>();
  private readonly counted = new Set<Folio>();
  private folioFrames = 0;

  constructor(private readonly m: Machine) {
    const mem = m.mem;
    for (const pfn of mem.badFrames.keys()) this.indexBad(pfn);
    for (const f of mem.folios.values()) this.count(f);
    for (const e of allEntries(m)) this.index(e.pte as Pte, { t: e.task, base: e.base, size: e.size });
    mem.watch = this;
  }

  // MemWatch: called as the step changes things.
  folio(f: Folio): void {
    this.folios.add(f);
    if (!this.counted.has(f) && this.m.mem.folios.get(f.pfn) === f) {
      this.count(f);
      this.added.add(f);
    }
  }
  folioGone(f: Folio): void {
    this.gone.add(f);
    if (this.counted.delete(f)) this.folioFrames -= folioNrPages(f);
  }
  freed(pfn: number, count: number): void {
    this.freedRanges.push([pfn, count]);
  }
  bad(pfn: number): void {
    this.newBad.add(pfn);
    this.indexBad(pfn);
  }
  pte(t: Task, base: number, size: PageSize, old: Pte | undefined, now: Pte | undefined): void {
    if (old) this.unindex(old);
    if (now) {
      this.index(now, { t, base, size });
      if (!now.hwpoison) this.newEntries.push(now);
    }
  }

  private count(f: Folio): void {
    this.counted.add(f);
    this.folioFrames += folioNrPages(f);
  }

  private indexBad(pfn: number): void {
    const b = Math.floor(pfn / BAD_BLOCK);
    let s = this.badBlocks.get(b);
    if (!s) this.badBlocks.set(b, (s = new Set()));
    s.add(pfn);
  }

  /** Bad frames in [pfn, pfn + count), from the block index (frames unpoisoned since are skipped later). */
  private *badIn(pfn: number, count: number): IterableIterator<number> {
    for (let b = Math.floor(pfn / BAD_BLOCK); b <= Math.floor((pfn + count - 1) / BAD_BLOCK); b++) {
      const s = this.badBlocks.get(b);
      if (s) for (const p of s) if (p >= pfn && p < pfn + count) yield p;
    }
  }

  private index(pte: Pte, loc: Loc): void {
    if (pte.hwpoison) return;
    const b = Math.floor(pte.pfn / PTE_BLOCK);
    let s = this.entryBlocks.get(b);
    if (!s) this.entryBlocks.set(b, (s = new Set()));
    s.add(pte);
    this.where.set(pte, loc);
  }

  private unindex(pte: Pte): void {
    if (!this.where.delete(pte)) return;
    this.entryBlocks.get(Math.floor(pte.pfn / PTE_BLOCK))?.delete(pte);
  }

  /** An entry still in its task's page table, of a live task. */
  private current(pte: Pte): Loc | undefined {
    const loc = this.where.get(pte);
    return loc && loc.t.alive && getEntry(loc.t, loc.base, loc.size) === pte ? loc : undefined;
  }

  /** What the last checked step changed (for subsystems' own incremental checks); undefined after a full walk. */
  last: StepChanges | undefined;

  clear(): void {
    this.last = this.full ? undefined : { folios: new Set(this.folios), gone: new Set(this.gone), bad: new Set(this.newBad) };
    this.full = false;
    this.folios.clear();
    this.added.clear();
    this.gone.clear();
    this.freedRanges.length = 0;
    this.newBad.clear();
    this.newEntries.length = 0;
  }

  /** The checks of checkAll(), on what changed since the last check. */
  check(): void {
    const m = this.m;
    const mem = m.mem;
    const bad = new Set<number>(this.newBad);
    for (const [pfn, count] of this.freedRanges) for (const p of this.badIn(pfn, count)) bad.add(p);
    const live = [...this.folios].filter((f) => mem.folios.get(f.pfn) === f);
    // Only a folio that is new can hold a frame that went bad before it was handed out; a folio
    // whose counts changed keeps its allocation (its bad frames were looked at when they went bad).
    for (const f of this.added) if (mem.folios.get(f.pfn) === f) for (const p of this.badIn(f.pfn, folioNrPages(f))) bad.add(p);
    // In the order of the whole-state check: bad frames by when they went bad, then folios, then entries.
    const order = (p: number): number => mem.badFrames.get(p) ?? -1;
    for (const p of [...bad].sort((x, y) => order(x) - order(y))) checkBadFrame(m, p);
    for (const f of live) checkCounts(m, f);
    checkAccounting(m, this.folioFrames);
    for (const pte of this.newEntries) {
      const loc = this.current(pte);
      if (loc) checkEntry(m, loc.t, loc.base, loc.size, pte);
    }
    // Entries into a folio that left the map (freed, dissolved, split into smaller ones).
    for (const f of this.gone) {
      const n = folioNrPages(f);
      for (let b = Math.floor(f.pfn / PTE_BLOCK); b <= Math.floor((f.pfn + n - 1) / PTE_BLOCK); b++) {
        const s = this.entryBlocks.get(b);
        if (!s) continue;
        for (const pte of s) {
          const loc = this.current(pte);
          if (loc) checkEntry(m, loc.t, loc.base, loc.size, pte);
        }
      }
    }
    this.clear();
  }
}

/** The folios a step touched or removed and the frames it made bad. */
export interface StepChanges {
  folios: ReadonlySet<Folio>;
  gone: ReadonlySet<Folio>;
  bad: ReadonlySet<number>;
}

/**
 * What the machine's last step changed, for a subsystem's checks after that step (src/iommufd);
 * undefined when that step was checked by walking the whole machine (nothing narrower is known).
 */
export function lastStepChanges(m: Machine): StepChanges | undefined {
  if (walksEveryStep(m)) return undefined;
  return trackers.get(m)?.last;
}

interface Loc {
  t: Task;
  base: number;
  size: PageSize;
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
