// Runs a ScenarioSpec on src/mfr's Machine and tells what happened with the file's names.
// Browser-safe: notebooks and the site call runScenario(parseScenario(text, name)).
import { MfrLabError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { parseSize } from "../core/units.js";
import { ACTION_PAGE_TYPES } from "../mfr/constants.js";
import type { MfrEvent } from "../mfr/events.js";
import { Machine, type AccessResult, type MemoryFailureResult } from "../mfr/machine.js";
import { folioNrPages, folioTest, PG_hwpoison } from "../mfr/mm/folio.js";
import { walk } from "../mfr/mm/pagetable.js";
import { pinRegistry, type Device, type Iommufd, type Ioas, type VfioContainer } from "../iommufd/index.js";
import { assertedFields, evaluateCheck, type CheckView } from "./checks.js";
import { errnoName, formatOffset, hex, mfFlagsText } from "./format.js";
import { OPS } from "./ops/index.js";
import type { OpDef, ResolvedTarget, StepExec } from "./ops/types.js";
import { ScenarioError } from "./parse.js";
import type {
  CheckSpec, OffsetSpec, PageState, PageTarget, RunOptions, ScenarioFinal, ScenarioResult, ScenarioSpec,
  StepRecord, StepSpec, TimelineEntry,
} from "./types.js";

export { errnoName, formatOffset, mfFlagsText } from "./format.js";

export interface MemfdState { name: string; owner: string; fds: Map<string, number>; size: number; failed?: string }
export interface MappingState { name: string; process: string; pid: number; addr: number; length: number; memfd?: string }
/** A named IOVA range: an iommufd area (of IOAS `owner`) or a vfio_dma (of container `owner`). */
export interface AreaState { name: string; kind: "ioas" | "vfio"; owner: string; iova: number; length: number }

type SizeSpecLike = string | number;

/**
 * Runs a scenario: setup (processes, memfds, mappings) then every step, on a fresh Machine.
 * Throws a ScenarioError naming the step when a name is unknown or the model refuses a call;
 * failed `check` steps and invariant violations are reported in the result instead.
 */
export function runScenario(spec: ScenarioSpec, options: RunOptions = {}): ScenarioResult {
  return new Runner(spec, options).run();
}

/** Setup entries (processes, memfds, mappings) as steps, then the steps: what every backend runs, in order. */
export function scenarioActions(s: ScenarioSpec): { path: string; step: StepSpec }[] {
  const actions: { path: string; step: StepSpec }[] = [];
  (s.processes ?? []).forEach((p, i) => {
    const name = typeof p === "string" ? p : p.name;
    const capSysAdmin = typeof p === "string" ? undefined : p.capSysAdmin;
    actions.push({ path: `processes[${i}]`, step: capSysAdmin === undefined ? { op: "spawn", process: name } : { op: "spawn", process: name, capSysAdmin } });
    if (typeof p !== "string" && p.mceKill) actions.push({ path: `processes[${i}]`, step: { op: "prctl", process: name, mceKill: p.mceKill } });
  });
  (s.memfds ?? []).forEach((f, i) => actions.push({ path: `memfds[${i}]`, step: { op: "memfd", ...f } }));
  (s.files ?? []).forEach((f, i) => actions.push({ path: `files[${i}]`, step: { op: "file", ...f } }));
  (s.mappings ?? []).forEach((mp, i) => actions.push({ path: `mappings[${i}]`, step: { op: "mmap", ...mp } }));
  s.steps.forEach((st, i) => actions.push({ path: `steps[${i}]`, step: st }));
  return actions;
}

/** The model backend: names → model objects, one op at a time (each op's model side is in ./ops). */
export class Runner {
  readonly source: string;
  readonly seed: number;
  readonly rng: Rng;
  m!: Machine;
  readonly procs = new Map<string, number>();
  readonly pidNames = new Map<number, string>();
  readonly memfds = new Map<string, MemfdState>();
  readonly mappings = new Map<string, MappingState>();
  readonly steps: StepRecord[] = [];
  readonly events: TimelineEntry[] = [];
  readonly violations: TimelineEntry[] = [];
  readonly checkFailures: string[] = [];
  lastMf: MemoryFailureResult | undefined;
  lastRet: number | undefined;
  lastAccess: AccessResult | undefined;
  lastTarget: { pfn: number; where: string; mp?: MappingState } | undefined;
  /** The current step's access outcome (touch/read/write). */
  stepAccess: AccessResult["result"] | undefined;
  /** What the current step resolved (random offsets, default lengths, pool pages) for the kernel side. */
  resolved: ResolvedTarget | undefined;
  /** The return value of the most recent step that had one (`check: ret`). */
  lastStepRet: number | undefined;
  /** The pfn the current step's own memory_failure()/madvise call named (to tell its return from action_result's). */
  directPfn: number | undefined;
  lastDma: string | undefined;
  readonly iommufds = new Map<string, Iommufd>();
  readonly ioases = new Map<string, Ioas>();
  readonly vfios = new Map<string, VfioContainer>();
  readonly devices = new Map<string, Device>();
  readonly areas = new Map<string, AreaState>();
  path = "";

  constructor(readonly spec: ScenarioSpec, readonly opts: RunOptions) {
    this.source = opts.source ?? spec.name;
    this.seed = opts.seed ?? spec.seed ?? 1;
    this.rng = new Rng(this.seed);
  }

  err(field: string, problem: string, hint?: string): ScenarioError {
    return new ScenarioError(this.source, field ? `${this.path}.${field}` : this.path, problem, hint);
  }

  run(): ScenarioResult {
    const s = this.spec;
    this.path = "machine";
    try {
      // A "ebusy" pin policy needs filemap_offline_hwpoison_folio() to leave pinned folios alone.
      const ebusy = s.steps.some((st) => st.op === "iommufd" && st.policy === "ebusy");
      this.m = new Machine({
        ...s.machine,
        kernel: this.opts.kernel ?? s.machine.kernel,
        offlinePinned: s.machine.offlinePinned ?? (ebusy ? "ebusy" : undefined),
        checkEveryStep: this.opts.checkEveryStep ?? s.machine.checkEveryStep,
        recordEvents: this.opts.recordEvents ?? s.machine.recordEvents,
      });
    } catch (e) {
      if (e instanceof MfrLabError) throw new ScenarioError(this.source, "machine", e.message);
      throw e;
    }
    const actions = scenarioActions(s);

    let panicked = false;
    for (const a of actions) {
      if (panicked) break;
      this.path = a.path;
      const index = this.steps.length;
      const evFrom = this.m.events.length;
      let text: string;
      let outcome: string;
      let check: StepRecord["check"];
      this.lastRet = undefined;
      this.directPfn = undefined;
      this.resolved = undefined;
      this.stepAccess = undefined;
      try {
        const r = this.exec(a.step);
        text = r.text;
        outcome = r.outcome;
        check = r.check;
      } catch (e) {
        if (e instanceof ScenarioError) throw e;
        if (e instanceof MfrLabError && this.m.panicked) {
          panicked = true;
          text = describe(a.step);
          outcome = `kernel panic: ${e.message}`;
        } else if (e instanceof MfrLabError) {
          throw this.err("", `the model refused "${a.step.op}": ${e.message}`);
        } else throw e;
      }
      const rec: StepRecord = { index, path: a.path, op: a.step.op, text, outcome };
      if (this.lastRet !== undefined) {
        rec.ret = this.lastRet;
        this.lastStepRet = this.lastRet;
      }
      if (check) rec.check = check;
      if (a.step.note) rec.note = a.step.note;
      if (this.resolved) rec.resolved = this.resolved;
      if (this.stepAccess) rec.access = this.stepAccess;
      if (!panicked) rec.after = { counters: { hardwareCorrupted: this.m.numPoisonedPages * 4096, ...this.m.stats }, hugetlb: { "2M": this.m.hugetlb("2M"), "1G": this.m.hugetlb("1G") } };
      this.steps.push(rec);
      const evs = this.m.events;
      let mfHere = false;
      for (let i = evFrom; i < evs.length; i++) {
        const ev = evs[i];
        // An access that consumed poison ran memory_failure() too: `check: last` sees it.
        if (ev.kind === "memory_failure") {
          this.lastMf = { ret: ev.ret, type: ev.type, result: ev.result };
          mfHere = true;
        }
        const t = this.entry(index, a.path, ev);
        this.events.push(t);
        if (t.kind === "invariant") this.violations.push(t);
      }
      // A direct call's own return value wins over action_result()'s (e.g. -EHWPOISON for an unsplit THP).
      if (this.lastRet !== undefined && this.lastMf && mfHere) this.lastMf = { ...this.lastMf, ret: this.lastRet };
    }
    const names = new Set(this.violations.map((v) => (v.event as Extract<MfrEvent, { kind: "invariant" }>).name));
    const want = new Set(s.expectViolations ?? []);
    const violationsExpected = names.size === want.size && [...want].every((n) => names.has(n));
    const out: ScenarioResult = {
      scenario: s.name,
      seed: this.seed,
      kernel: this.m.opts.kernel,
      steps: this.steps,
      events: this.events,
      violations: this.violations,
      checkFailures: this.checkFailures,
      violationsExpected,
      final: this.final(panicked),
    };
    if (s.description !== undefined) out.description = s.description;
    return out;
  }

  final(panicked: boolean): ScenarioFinal {
    const processes: ScenarioFinal["processes"] = {};
    for (const [name, pid] of this.procs) {
      let signals = 0;
      for (const e of this.events) if (e.event.kind === "signal" && e.event.pid === pid) signals++;
      processes[name] = { pid, alive: !!this.m.tasks.get(pid)?.alive, signals };
    }
    return { ...this.m.summary(), processes, panicked };
  }

  // ---------------------------------------------------------------- names → model objects

  pid(name: string, field: string, live = true): number {
    const pid = this.procs.get(name);
    if (pid === undefined) throw this.err(field, `no process "${name}"`, this.known("processes", [...this.procs.keys()]));
    if (live && !this.m.tasks.get(pid)?.alive) throw this.err(field, `process "${name}" has exited`);
    return pid;
  }

  known(what: string, names: string[]): string {
    return names.length ? `known ${what}: ${names.join(", ")}` : `no ${what} defined yet`;
  }

  memfd(name: string, field: string): MemfdState {
    const f = this.memfds.get(name);
    if (!f) throw this.err(field, `no memfd "${name}"`, this.known("memfds", [...this.memfds.keys()]));
    if (f.failed) throw this.err(field, `memfd "${name}" was not created (memfd_create returned ${f.failed})`);
    return f;
  }

  fdOf(f: MemfdState, proc: string, field: string): { pid: number; fd: number } {
    const pid = this.pid(proc, field);
    const fd = f.fds.get(proc);
    if (fd === undefined) throw this.err(field, `process "${proc}" has no open fd of memfd "${f.name}"`);
    return { pid, fd };
  }

  mapping(name: string, field = "mapping"): MappingState {
    const mp = this.mappings.get(name);
    if (!mp) throw this.err(field, `no mapping "${name}"`, this.known("mappings", [...this.mappings.keys()]));
    this.pid(mp.process, field);
    return mp;
  }

  offset(mp: MappingState, o: OffsetSpec | undefined, field = "offset"): number {
    if (o === undefined) return 0;
    const off = o === "random" ? this.rng.nextInt(mp.length / 4096) * 4096 : parseSize(o, field);
    if (off >= mp.length) throw this.err(field, `${formatOffset(off)} is outside mapping "${mp.name}" (length ${formatOffset(mp.length)})`);
    return off;
  }

  /** The physical page a poison/unpoison/soft-offline step names. */
  targetPfn(t: PageTarget): { pfn: number; where: string; mp?: MappingState } {
    const r = this.resolveTarget(t);
    this.lastTarget = r;
    return r;
  }

  resolveTarget(t: PageTarget): { pfn: number; where: string; mp?: MappingState } {
    if (t.previous) {
      if (!this.lastTarget) throw this.err("previous", "no earlier poison, madvise, unpoison or soft-offline step named a page");
      this.resolved = { previous: true };
      return this.lastTarget;
    }
    if (t.pfn !== undefined) {
      this.resolved = { pfn: t.pfn };
      return { pfn: t.pfn, where: `pfn ${hex(t.pfn)}` };
    }
    if (t.mapping !== undefined) {
      const mp = this.mapping(t.mapping);
      const off = this.offset(mp, t.offset);
      this.resolved = { mapping: mp.name, offset: off };
      const pfn = this.m.pfnOf(mp.pid, mp.addr + off);
      if (pfn === null) {
        throw this.err("offset", `no page is present at ${mp.name}+${formatOffset(off)} (not faulted in, or already replaced by a hwpoison entry)`, "touch or populate it first, or name the page by pfn");
      }
      return { pfn, where: `the page at ${mp.name}+${formatOffset(off)} (pfn ${hex(pfn)})`, mp };
    }
    const mem = this.m.mem;
    const pool = t.pool as NonNullable<PageTarget["pool"]>;
    const chosen = (page: number) => {
      this.resolved = { pool, page };
      return page;
    };
    if (pool === "kernel") {
      const page = chosen(t.page === "random" ? this.rng.nextInt(mem.reservedFrames) : t.page ?? 0);
      if (page >= mem.reservedFrames) throw this.err("page", `${page} is past the ${mem.reservedFrames} reserved kernel frames`);
      return { pfn: page, where: `reserved kernel pfn ${hex(page)}` };
    }
    if (pool === "buddy") {
      if (t.page === "random") {
        for (let i = 0; i < 10_000; i++) {
          const pfn = mem.reservedFrames + this.rng.nextInt(mem.nrFrames - mem.reservedFrames);
          if (mem.buddy.isFree(pfn)) {
            chosen(pfn % 512);
            return { pfn, where: `free buddy pfn ${hex(pfn)}` };
          }
        }
        throw this.err("pool", "found no free buddy page");
      }
      const page = chosen(t.page ?? 0);
      // The largest free block holds the page: deterministic and far from recent allocations.
      let best: { head: number; order: number } | null = null;
      for (const b of mem.buddy.blocks()) if (!best || b.order > best.order || (b.order === best.order && b.head < best.head)) best = b;
      if (!best) throw this.err("pool", "the buddy allocator has no free page");
      if (page >= 2 ** best.order) throw this.err("page", `${page} is past the largest free block (${2 ** best.order} pages)`);
      return { pfn: best.head + page, where: `free buddy pfn ${hex(best.head + page)}` };
    }
    const size = pool === "hugetlb-1G" ? "1G" : "2M";
    const h = mem.hstates.get(size);
    const f = h?.freeList.find((x) => !folioTest(x, PG_hwpoison));
    if (!f) throw this.err("pool", `no healthy free ${size} hugetlb page`, `give machine.hugetlb.${size} a pool, or free one first`);
    const n = folioNrPages(f);
    const page = chosen(t.page === "random" ? this.rng.nextInt(n) : t.page ?? 0);
    if (page >= n) throw this.err("page", `${page} is past the ${n} pages of a ${size} folio`);
    return { pfn: f.pfn + page, where: `page ${page} of a free ${size} hugetlb folio (pfn ${hex(f.pfn + page)})` };
  }

  /** "ram+28K" for an address inside one of the process's mappings, else hex. */
  where(pid: number, addr: number): string {
    for (const mp of this.mappings.values()) {
      if (mp.pid === pid && addr >= mp.addr && addr < mp.addr + mp.length) return `${mp.name}+${formatOffset(addr - mp.addr)}`;
    }
    return hex(addr);
  }

  procName(pid: number): string {
    return this.pidNames.get(pid) ?? `pid ${pid}`;
  }

  // ---------------------------------------------------------------- iommufd / VFIO names

  iommufd(name: string, field: string): Iommufd {
    const c = this.iommufds.get(name);
    if (!c) throw this.err(field, `no iommufd "${name}"`, this.known("iommufds", [...this.iommufds.keys()]));
    if (c.closed) throw this.err(field, `iommufd "${name}" is closed`);
    return c;
  }

  ioas(name: string, field: string): Ioas {
    const io = this.ioases.get(name);
    if (!io) throw this.err(field, `no IOAS "${name}"`, this.known("IOASes", [...this.ioases.keys()]));
    if (io.ctx.closed) throw this.err(field, `IOAS "${name}" went with its closed iommufd`);
    return io;
  }

  vfio(name: string, field: string): VfioContainer {
    const c = this.vfios.get(name);
    if (!c) throw this.err(field, `no VFIO container "${name}"`, this.known("VFIO containers", [...this.vfios.keys()]));
    if (c.closed) throw this.err(field, `VFIO container "${name}" is closed`);
    return c;
  }

  area(name: string, field: string): AreaState {
    const a = this.areas.get(name);
    if (!a) throw this.err(field, `no area "${name}" (unmapped, or never named)`, this.known("areas", [...this.areas.keys()]));
    return a;
  }

  addArea(name: string | undefined, kind: AreaState["kind"], owner: string, iova: number, length: number): void {
    if (name === undefined) return;
    if (this.areas.has(name)) throw this.err("name", `an area "${name}" already exists`);
    this.areas.set(name, { name, kind, owner, iova, length });
  }

  /** Forgets named areas of `owner` inside [iova, iova + length) once they are unmapped. */
  dropAreas(kind: AreaState["kind"], owner: string, iova: number, length: number): void {
    for (const a of [...this.areas.values()]) if (a.kind === kind && a.owner === owner && a.iova >= iova && a.iova + a.length <= iova + length) this.areas.delete(a.name);
  }

  range(st: { area?: string; iova?: SizeSpecLike; length?: SizeSpecLike }, kind: AreaState["kind"], owner: string): { iova: number; length: number; label: string } {
    if (st.area !== undefined) {
      const a = this.area(st.area, "area");
      if (a.kind !== kind || a.owner !== owner) throw this.err("area", `area "${a.name}" is not in ${owner}`);
      return { iova: a.iova, length: a.length, label: `${a.name} (IOVA ${hex(a.iova)}+${formatOffset(a.length)})` };
    }
    const iova = parseSize(st.iova as SizeSpecLike, "iova");
    const length = parseSize(st.length as SizeSpecLike, "length");
    return { iova, length, label: `IOVA ${hex(iova)}+${formatOffset(length)}` };
  }

  /** An IOMMU_IOAS_UNMAP or VFIO_IOMMU_UNMAP_DMA step: the same range resolution, bookkeeping and report. */
  unmapRange(
    st: { area?: string; iova?: SizeSpecLike; length?: SizeSpecLike },
    kind: AreaState["kind"],
    owner: string,
    ioctl: string,
    unmap: (iova: number, length: number) => { ret: number; unmapped: number },
  ): { text: string; outcome: string } {
    const { iova, length, label } = this.range(st, kind, owner);
    const r = unmap(iova, length);
    this.lastRet = r.ret;
    if (r.ret === 0) this.dropAreas(kind, owner, iova, length);
    return { text: `${ioctl} ${owner} ${label}`, outcome: r.ret === 0 ? `${formatOffset(r.unmapped)} unmapped` : errnoName(r.ret) };
  }

  // ---------------------------------------------------------------- steps

  exec(st: StepSpec): StepExec {
    const def = OPS[st.op] as OpDef;
    return def.model(this, st as never);
  }

  mfOutcome(r: MemoryFailureResult): string {
    this.lastMf = r;
    this.lastRet = r.ret;
    return r.type ? `${errnoName(r.ret)} ${r.type} ${r.result}` : errnoName(r.ret);
  }

  check(st: CheckSpec & { op: "check" }): StepExec & { check: { ok: boolean; failures: string[] } } {
    // Names are checked here, so a typo is a scenario error on the model, not a failed check.
    if (st.signal) this.pid(st.signal.process, "signal.process", false);
    if (st.signalCount) this.pid(st.signalCount.process, "signalCount.process", false);
    for (const name of Object.keys(st.alive ?? {})) this.pid(name, `alive.${name}`, false);
    if (st.accounting) this.pid(st.accounting.process, "accounting.process", false);
    if (st.page) this.offset(this.mapping(st.page.mapping, "page.mapping"), st.page.offset, "page.offset");
    const { failures } = evaluateCheck(st, this.view());
    for (const f of failures) this.checkFailures.push(`${this.path}: ${f}`);
    return { text: `check ${assertedFields(st).join(", ")}`, outcome: failures.length ? `FAILED: ${failures.join("; ")}` : "ok", check: { ok: failures.length === 0, failures } };
  }

  /** The model as a check sees it. */
  view(): CheckView {
    const m = this.m;
    const pidOf = (name: string) => this.procs.get(name) as number;
    return {
      lastMf: () => this.lastMf,
      lastAccess: () => this.lastAccess?.result,
      lastStepRet: () => this.lastStepRet,
      signals: (name) => m.signalsOf(pidOf(name)).map((s) => {
        const at = this.mappingAt(s.pid, s.addr);
        return { sig: s.sig, code: s.code, lsb: s.lsb, mapping: at?.mp.name, offset: at?.offset };
      }),
      alive: (name) => !!m.tasks.get(pidOf(name))?.alive,
      hugetlb: (size) => m.hugetlb(size),
      counters: () => ({ hardwareCorrupted: m.numPoisonedPages * 4096, ...m.stats }),
      page: (name, offset) => {
        const mp = this.mappings.get(name) as MappingState;
        const w = walk(m.task(mp.pid), mp.addr + offset);
        const state: PageState = !w ? "none" : w.pte.hwpoison ? "hwpoison" : "present";
        const pfn = w && !w.pte.hwpoison ? w.pte.pfn + Math.floor((mp.addr + offset - w.base) / 4096) : undefined;
        return { state, moved: this.lastTarget ? pfn !== this.lastTarget.pfn : undefined };
      },
      summary: () => m.summary(),
      violations: () => m.violations.map((v) => v.name),
      lastDma: () => this.lastDma,
      pins: () => pinRegistry(m).metrics(),
      accounting: (name) => {
        const pid = pidOf(name);
        const reg = pinRegistry(m);
        return { userLockedVm: reg.userLockedVm.get(reg.uidOf(pid)) ?? 0, mmLockedVm: reg.mmLockedVm.get(pid) ?? 0, pinnedVm: reg.pinnedVm.get(pid) ?? 0 };
      },
    };
  }

  /** The mapping of a process that holds `addr`, and the offset there. */
  mappingAt(pid: number, addr: number): { mp: MappingState; offset: number } | undefined {
    for (const mp of this.mappings.values()) {
      if (mp.pid === pid && addr >= mp.addr && addr < mp.addr + mp.length) return { mp, offset: addr - mp.addr };
    }
    return undefined;
  }

  // ---------------------------------------------------------------- events → timeline

  entry(step: number, path: string, e: MfrEvent): TimelineEntry {
    const t: TimelineEntry = { step, path, kind: e.kind, text: "", event: e };
    switch (e.kind) {
      case "memory_failure": {
        // action_result() returns 0 or -EBUSY; some paths (already poisoned, unsplit THP) then
        // return -EHWPOISON from memory_failure() itself. Show both when they differ.
        const direct = this.lastRet !== undefined && this.directPfn === e.pfn ? this.lastRet : undefined;
        const own = direct !== undefined && direct !== e.ret ? `, memory_failure() returns ${errnoName(direct)}` : "";
        t.text = `memory_failure(pfn ${hex(e.pfn)}, ${mfFlagsText(e.flags)}): ${e.type} (${ACTION_PAGE_TYPES[e.type]}) → ${e.result}, action_result ${errnoName(e.ret)}${own}`;
        break;
      }
      case "iommu":
        t.text = `iommu ${e.what}: ${e.detail}`;
        break;
      case "signal": {
        t.process = this.procName(e.pid);
        const at = this.mappingAt(e.pid, e.addr);
        if (at) t.at = { mapping: at.mp.name, offset: at.offset };
        t.text = `${t.process}: ${e.sig}${e.code ? " " + e.code : ""} at ${this.where(e.pid, e.addr)}${e.sig === "SIGBUS" ? ` lsb ${e.lsb}` : ""} (${e.why})`;
        break;
      }
      case "split":
        t.text = `split of the order-${e.order} folio at pfn ${hex(e.pfn)}: ${e.ok ? "split to 4K pages" : `refused${e.reason ? ` (${e.reason})` : ""}`}`;
        break;
      case "unmap":
        t.process = this.procName(e.pid);
        t.text = `${t.process}: ${this.where(e.pid, e.addr)} (pfn ${hex(e.pfn)}) ${e.result === "hwpoison-entry" ? "unmapped, hwpoison entry installed" : e.result === "kept-mapped" ? "kept mapped (MFD_MF_KEEP_UE_MAPPED)" : e.result === "dropped" ? "unmapped (clean: it is read from disk again)" : "unmap failed"}`;
        break;
      case "dissolve":
        t.text = `dissolve_free_hugetlb_folio(pfn ${hex(e.pfn)}, order ${e.order}) = ${errnoName(e.ret)}`;
        break;
      case "offline":
        t.text = `pfn ${hex(e.pfn)}: ${e.how} (${e.by})`;
        break;
      case "alloc":
        t.text = `allocated order ${e.order} at pfn ${hex(e.pfn)} (${e.what})`;
        break;
      case "free":
        t.text = `freed order ${e.order} at pfn ${hex(e.pfn)} (${e.what})`;
        break;
      case "fault":
        t.process = this.procName(e.pid);
        t.text = `${t.process}: fault at ${this.where(e.pid, e.addr)}: ${e.result}`;
        break;
      case "policy":
        t.text = e.what;
        break;
      case "invariant":
        t.text = `INVARIANT ${e.name}: ${e.detail}`;
        break;
      default:
        // Kinds added later (e.g. src/iommufd's "iommu" events) keep their own fields.
        t.text = describeEvent(e);
    }
    return t;
  }
}

/** One line for an event kind the switch above does not know: its kind and fields. */
function describeEvent(e: MfrEvent): string {
  const r = e as unknown as Record<string, unknown>;
  const what = typeof r.what === "string" ? ` ${r.what}` : "";
  const detail = typeof r.detail === "string" ? `: ${r.detail}` : "";
  return `${e.kind}${what}${detail}`;
}

/** A step as text when it could not run (after a panic). */
function describe(st: StepSpec): string {
  const { op, note: _note, ...rest } = st as StepSpec & Record<string, unknown>;
  return `${op} ${JSON.stringify(rest)}`;
}
