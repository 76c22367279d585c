// Runs a ScenarioSpec on src/mfr's Machine and tells what happened with the file's names.
// Browser-safe: notebooks and the site call runScenario(parseScenario(text, name)).
import { MfrLabError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { parseSize } from "../core/units.js";
import {
  ACTION_PAGE_TYPES, EBUSY, EHWPOISON, EINVAL, ENOMEM, ENXIO, EOPNOTSUPP, EFAULT, EIO,
  MF_ACTION_REQUIRED, MF_COUNT_INCREASED, MF_MUST_KILL, MF_NO_RETRY, MF_SOFT_OFFLINE, MF_SW_SIMULATED, MF_UNPOISON,
} from "../mfr/constants.js";
import type { MfrEvent } from "../mfr/events.js";
import { Machine, type AccessResult, type MemoryFailureResult } from "../mfr/machine.js";
import { folioNrPages, folioTest, PG_hwpoison } from "../mfr/mm/folio.js";
import { Iommufd, pinRegistry, VfioContainer, type Device, type Ioas } from "../iommufd/index.js";
import { ScenarioError } from "./parse.js";
import type {
  CheckSpec, MappingSpec, MemfdSpec, OffsetSpec, PageTarget, RunOptions, ScenarioFinal, ScenarioResult, ScenarioSpec,
  StepRecord, StepSpec, TimelineEntry,
} from "./types.js";

interface MemfdState { name: string; owner: string; fds: Map<string, number>; size: number; failed?: string }
interface MappingState { name: string; process: string; pid: number; addr: number; length: number; memfd?: string }
/** A named IOVA range: an iommufd area (of IOAS `owner`) or a vfio_dma (of container `owner`). */
interface AreaState { name: string; kind: "ioas" | "vfio"; owner: string; iova: number; length: number }

const ERRNO: Record<number, string> = {
  [EIO]: "EIO", [ENXIO]: "ENXIO", [ENOMEM]: "ENOMEM", [EFAULT]: "EFAULT", [EBUSY]: "EBUSY", [EINVAL]: "EINVAL",
  [EOPNOTSUPP]: "EOPNOTSUPP", [EHWPOISON]: "EHWPOISON", 2: "ENOENT", 17: "EEXIST", 28: "ENOSPC", 25: "ENOTTY", 131: "ENOTRECOVERABLE",
};

/** 0, or "-EBUSY" for a negative errno. */
export function errnoName(ret: number): string {
  return ret >= 0 ? String(ret) : `-${ERRNO[-ret] ?? `E${-ret}`}`;
}

const FLAG_NAMES: [number, string][] = [
  [MF_ACTION_REQUIRED, "MF_ACTION_REQUIRED"], [MF_COUNT_INCREASED, "MF_COUNT_INCREASED"], [MF_MUST_KILL, "MF_MUST_KILL"],
  [MF_SOFT_OFFLINE, "MF_SOFT_OFFLINE"], [MF_UNPOISON, "MF_UNPOISON"], [MF_SW_SIMULATED, "MF_SW_SIMULATED"], [MF_NO_RETRY, "MF_NO_RETRY"],
];

/** memory_failure() flags as "MF_ACTION_REQUIRED|MF_SW_SIMULATED" ("0" for none). */
export function mfFlagsText(flags: number): string {
  const names = FLAG_NAMES.filter(([b]) => flags & b).map(([, n]) => n);
  return names.length ? names.join("|") : "0";
}

/** An offset in the largest unit that divides it: "0", "28K", "2M", "1G", else hex bytes. */
export function formatOffset(bytes: number): string {
  if (bytes === 0) return "0";
  for (const [s, v] of [["G", 2 ** 30], ["M", 2 ** 20], ["K", 2 ** 10]] as const) if (bytes % v === 0) return `${bytes / v}${s}`;
  return `0x${bytes.toString(16)}`;
}

const hex = (n: number): string => `0x${n.toString(16)}`;
type SizeSpecLike = string | number;

/**
 * Runs a scenario: setup (processes, memfds, mappings) then every step, on a fresh Machine.
 * Throws a ScenarioError naming the step when a name is unknown or the model refuses a call;
 * failed `check` steps and invariant violations are reported in the result instead.
 */
export function runScenario(spec: ScenarioSpec, options: RunOptions = {}): ScenarioResult {
  return new Runner(spec, options).run();
}

class Runner {
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
    const actions: { path: string; step: StepSpec }[] = [];
    (s.processes ?? []).forEach((p, i) => {
      const name = typeof p === "string" ? p : p.name;
      actions.push({ path: `processes[${i}]`, step: { op: "spawn", process: name } });
      if (typeof p !== "string" && p.mceKill) actions.push({ path: `processes[${i}]`, step: { op: "prctl", process: name, mceKill: p.mceKill } });
    });
    (s.memfds ?? []).forEach((f, i) => actions.push({ path: `memfds[${i}]`, step: { op: "memfd", ...f } }));
    (s.mappings ?? []).forEach((mp, i) => actions.push({ path: `mappings[${i}]`, step: { op: "mmap", ...mp } }));
    s.steps.forEach((st, i) => actions.push({ path: `steps[${i}]`, step: st }));

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
      this.steps.push(rec);
      const evs = this.m.events;
      for (let i = evFrom; i < evs.length; i++) {
        const ev = evs[i];
        // An access that consumed poison ran memory_failure() too: `check: last` sees it.
        if (ev.kind === "memory_failure") this.lastMf = { ret: ev.ret, type: ev.type, result: ev.result };
        const t = this.entry(index, a.path, ev);
        this.events.push(t);
        if (t.kind === "invariant") this.violations.push(t);
      }
      // A direct call's own return value wins over action_result()'s (e.g. -EHWPOISON for an unsplit THP).
      if (this.lastRet !== undefined && this.lastMf) this.lastMf = { ...this.lastMf, ret: this.lastRet };
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
      if (!this.lastTarget) throw this.err("previous", "no earlier poison, unpoison or soft-offline step named a page");
      return this.lastTarget;
    }
    if (t.pfn !== undefined) return { pfn: t.pfn, where: `pfn ${hex(t.pfn)}` };
    if (t.mapping !== undefined) {
      const mp = this.mapping(t.mapping);
      const off = this.offset(mp, t.offset);
      const pfn = this.m.pfnOf(mp.pid, mp.addr + off);
      if (pfn === null) {
        throw this.err("offset", `no page is present at ${mp.name}+${formatOffset(off)} (not faulted in, or already replaced by a hwpoison entry)`, "touch or populate it first, or name the page by pfn");
      }
      return { pfn, where: `the page at ${mp.name}+${formatOffset(off)} (pfn ${hex(pfn)})`, mp };
    }
    const mem = this.m.mem;
    const pool = t.pool as NonNullable<PageTarget["pool"]>;
    if (pool === "kernel") {
      const page = t.page === "random" ? this.rng.nextInt(mem.reservedFrames) : t.page ?? 0;
      if (page >= mem.reservedFrames) throw this.err("page", `${page} is past the ${mem.reservedFrames} reserved kernel frames`);
      return { pfn: page, where: `reserved kernel pfn ${hex(page)}` };
    }
    if (pool === "buddy") {
      if (t.page === "random") {
        for (let i = 0; i < 10_000; i++) {
          const pfn = mem.reservedFrames + this.rng.nextInt(mem.nrFrames - mem.reservedFrames);
          if (mem.buddy.isFree(pfn)) return { pfn, where: `free buddy pfn ${hex(pfn)}` };
        }
        throw this.err("pool", "found no free buddy page");
      }
      const page = t.page ?? 0;
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
    const page = t.page === "random" ? this.rng.nextInt(n) : t.page ?? 0;
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

  exec(st: StepSpec): { text: string; outcome: string; check?: StepRecord["check"] } {
    const m = this.m;
    switch (st.op) {
      case "spawn": {
        if (this.procs.has(st.process)) throw this.err("process", `a process "${st.process}" already exists`);
        const pid = m.spawn();
        this.procs.set(st.process, pid);
        this.pidNames.set(pid, st.process);
        return { text: `spawn ${st.process}`, outcome: `pid ${pid}` };
      }
      case "prctl": {
        m.prctlMceKill(this.pid(st.process, "process"), st.mceKill);
        return { text: `${st.process}: prctl(PR_MCE_KILL, ${st.mceKill})`, outcome: "ok" };
      }
      case "memfd":
        return this.memfdCreate(st);
      case "share": {
        const f = this.memfd(st.memfd, "memfd");
        const from = st.from ?? f.owner;
        const { pid, fd } = this.fdOf(f, from, "from");
        if (f.fds.has(st.to)) throw this.err("to", `process "${st.to}" already has an fd of memfd "${f.name}"`);
        const nfd = m.shareFd(pid, fd, this.pid(st.to, "to"));
        f.fds.set(st.to, nfd);
        return { text: `${from} → ${st.to}: pass memfd ${f.name} (SCM_RIGHTS)`, outcome: `fd ${nfd}` };
      }
      case "mmap":
        return this.mmap(st);
      case "munmap": {
        const mp = this.mapping(st.mapping);
        m.munmap(mp.pid, mp.addr);
        this.mappings.delete(mp.name);
        return { text: `${mp.process}: munmap ${mp.name}`, outcome: "ok" };
      }
      case "touch":
      case "write":
      case "read": {
        const mp = this.mapping(st.mapping);
        const off = this.offset(mp, st.offset);
        const write = st.op !== "read";
        const r = m.touch(mp.pid, mp.addr + off, { write });
        this.lastAccess = r;
        const sig = r.signals.map((s) => `${s.sig}${s.code ? " " + s.code : ""} lsb ${s.lsb}`).join(", ");
        return { text: `${mp.process}: ${write ? "write" : "read"} ${mp.name}+${formatOffset(off)}`, outcome: sig ? `${r.result} (${sig})` : r.result };
      }
      case "populate": {
        const mp = this.mapping(st.mapping);
        const off = st.offset === undefined ? 0 : this.offset(mp, st.offset);
        const len = st.length === undefined ? mp.length - off : parseSize(st.length, "length");
        if (off + len > mp.length) throw this.err("length", `${formatOffset(off)} + ${formatOffset(len)} runs past mapping "${mp.name}" (length ${formatOffset(mp.length)})`);
        m.populate(mp.pid, mp.addr + off, len);
        return { text: `${mp.process}: populate ${mp.name}+${formatOffset(off)}, ${formatOffset(len)}`, outcome: "ok" };
      }
      case "poison": {
        const t = this.targetPfn(st);
        let flags = 0;
        if (st.actionRequired) flags |= MF_ACTION_REQUIRED;
        if (st.swSimulated) flags |= MF_SW_SIMULATED;
        let current: number | undefined;
        if (st.current !== undefined) current = this.pid(st.current, "current");
        else if (st.actionRequired && t.mp) current = t.mp.pid;
        this.directPfn = t.pfn;
        const r = m.memoryFailure(t.pfn, flags, current === undefined ? {} : { current });
        const by = current === undefined ? "" : `, current ${this.procName(current)}`;
        return { text: `memory_failure(${t.where}, ${mfFlagsText(flags)}${by})`, outcome: this.mfOutcome(r) };
      }
      case "madvise": {
        const mp = this.mapping(st.mapping);
        const off = this.offset(mp, st.offset);
        this.directPfn = m.pfnOf(mp.pid, mp.addr + off) ?? undefined;
        const r = m.madviseHwpoison(mp.pid, mp.addr + off);
        return { text: `${mp.process}: madvise(MADV_HWPOISON) ${mp.name}+${formatOffset(off)}`, outcome: this.mfOutcome(r) };
      }
      case "pin":
      case "unpin": {
        const mp = this.mapping(st.mapping);
        const off = this.offset(mp, st.offset);
        const ok = st.op === "pin" ? m.pin(mp.pid, mp.addr + off) : m.unpin(mp.pid, mp.addr + off);
        const what = st.op === "pin" ? "pin_user_pages(FOLL_LONGTERM)" : "unpin_user_pages";
        return { text: `${mp.process}: ${what} ${mp.name}+${formatOffset(off)}`, outcome: ok ? (st.op === "pin" ? "pinned" : "unpinned") : `no ${st.op === "pin" ? "page to pin" : "pin there"}` };
      }
      case "truncate": {
        const f = this.memfd(st.memfd, "memfd");
        const proc = st.process ?? f.owner;
        const { pid, fd } = this.fdOf(f, proc, "process");
        m.truncate(pid, fd, st.size);
        return { text: `${proc}: ftruncate(${f.name}, ${formatOffset(parseSize(st.size, "size"))})`, outcome: "ok" };
      }
      case "punch-hole": {
        const f = this.memfd(st.memfd, "memfd");
        const proc = st.process ?? f.owner;
        const { pid, fd } = this.fdOf(f, proc, "process");
        m.punchHole(pid, fd, st.offset, st.length);
        return { text: `${proc}: fallocate(${f.name}, PUNCH_HOLE, ${formatOffset(parseSize(st.offset))}, ${formatOffset(parseSize(st.length))})`, outcome: "ok" };
      }
      case "close": {
        const f = this.memfd(st.memfd, "memfd");
        const proc = st.process ?? f.owner;
        const { pid, fd } = this.fdOf(f, proc, "process");
        m.close(pid, fd);
        f.fds.delete(proc);
        return { text: `${proc}: close(${f.name})`, outcome: "ok" };
      }
      case "exit": {
        const pid = this.pid(st.process, "process");
        m.exit(pid);
        for (const f of this.memfds.values()) f.fds.delete(st.process);
        for (const mp of [...this.mappings.values()]) if (mp.pid === pid) this.mappings.delete(mp.name);
        // exit_files() released its iommufd and VFIO fds: their IOASes, areas and devices are gone.
        for (const [name, io] of this.ioases) if (io.ctx.closed) this.dropAreas("ioas", name, 0, Number.MAX_SAFE_INTEGER);
        for (const [name, c] of this.vfios) if (c.closed) this.dropAreas("vfio", name, 0, Number.MAX_SAFE_INTEGER);
        return { text: `${st.process}: exit`, outcome: "ok" };
      }
      case "unpoison": {
        const t = this.targetPfn(st);
        const ret = m.unpoison(t.pfn);
        this.lastRet = ret;
        this.lastMf = { ret };
        return { text: `unpoison_memory(${t.where})`, outcome: errnoName(ret) };
      }
      case "soft-offline": {
        const t = this.targetPfn(st);
        const ret = m.softOffline(t.pfn);
        this.lastRet = ret;
        this.lastMf = { ret };
        return { text: `soft_offline_page(${t.where})`, outcome: errnoName(ret) };
      }
      case "iommufd": {
        if (this.iommufds.has(st.name)) throw this.err("name", `an iommufd "${st.name}" already exists`);
        const pid = this.pid(st.process, "process");
        const iotlb = st.iotlbEntries === undefined ? undefined : { entries: st.iotlbEntries };
        const ctx = new Iommufd(m, pid, { policy: st.policy, revokeOnPoison: st.revokeOnPoison, accountMode: st.accountMode, iotlb });
        this.iommufds.set(st.name, ctx);
        const pol = st.policy ?? "none";
        const extra = pol === "revoke" ? `, revokeOnPoison ${st.revokeOnPoison ?? true}` : "";
        return { text: `${st.process}: open /dev/iommu as ${st.name} (policy ${pol}${extra})`, outcome: "ok" };
      }
      case "ioas": {
        if (this.ioases.has(st.name)) throw this.err("name", `an IOAS "${st.name}" already exists`);
        const ctx = this.iommufd(st.iommufd, "iommufd");
        this.ioases.set(st.name, ctx.ioasAlloc());
        return { text: `${st.iommufd}: IOMMU_IOAS_ALLOC ${st.name}`, outcome: "ok" };
      }
      case "attach": {
        if (this.devices.has(st.device)) throw this.err("device", `a device "${st.device}" is already attached`);
        const dev = st.ioas !== undefined ? this.ioas(st.ioas, "ioas").attach(st.device) : this.vfio(st.vfio as string, "vfio").attach(st.device);
        this.devices.set(st.device, dev);
        return { text: `attach ${st.device} to ${st.ioas ?? st.vfio}`, outcome: "ok" };
      }
      case "map": {
        const ioas = this.ioas(st.ioas, "ioas");
        const mp = this.mapping(st.mapping);
        const off = st.offset === undefined ? 0 : this.offset(mp, st.offset);
        const len = st.length === undefined ? mp.length - off : parseSize(st.length, "length");
        if (off + len > mp.length) throw this.err("length", `${formatOffset(off)} + ${formatOffset(len)} runs past mapping "${mp.name}" (length ${formatOffset(mp.length)})`);
        const iova = st.iova === undefined ? undefined : parseSize(st.iova, "iova");
        const r = ioas.map({ uptr: mp.addr + off, length: len, iova, pid: mp.pid });
        this.lastRet = r.ret;
        if (r.ret === 0) this.addArea(st.name, "ioas", st.ioas, r.iova, len);
        return { text: `${mp.process}: IOMMU_IOAS_MAP ${st.ioas} ${mp.name}+${formatOffset(off)}, ${formatOffset(len)}${st.name ? ` as ${st.name}` : ""}`, outcome: r.ret === 0 ? `IOVA ${hex(r.iova)}` : errnoName(r.ret) };
      }
      case "map-file": {
        const ioas = this.ioas(st.ioas, "ioas");
        const f = this.memfd(st.memfd, "memfd");
        const proc = st.process ?? f.owner;
        const { pid, fd } = this.fdOf(f, proc, "process");
        const start = st.start === undefined ? 0 : parseSize(st.start, "start");
        const len = st.length === undefined ? f.size - start : parseSize(st.length, "length");
        const iova = st.iova === undefined ? undefined : parseSize(st.iova, "iova");
        const r = ioas.mapFile({ fd, start, length: len, iova, pid });
        this.lastRet = r.ret;
        if (r.ret === 0) this.addArea(st.name, "ioas", st.ioas, r.iova, len);
        return { text: `${proc}: IOMMU_IOAS_MAP_FILE ${st.ioas} ${f.name}@${formatOffset(start)}, ${formatOffset(len)}${st.name ? ` as ${st.name}` : ""}`, outcome: r.ret === 0 ? `IOVA ${hex(r.iova)}` : errnoName(r.ret) };
      }
      case "ioas-unmap": {
        const ioas = this.ioas(st.ioas, "ioas");
        return this.unmapRange(st, "ioas", st.ioas, "IOMMU_IOAS_UNMAP", (iova, len) => ioas.unmap(iova, len));
      }
      case "ioas-copy": {
        const from = this.ioas(st.from, "from");
        const to = this.ioas(st.to, "to");
        const a = this.area(st.area, "area");
        if (a.kind !== "ioas" || a.owner !== st.from) throw this.err("area", `area "${a.name}" is not in IOAS "${st.from}"`);
        const ctx = [...this.iommufds.values()].find((c) => c.ioases.has(from));
        if (!ctx || !ctx.ioases.has(to)) throw this.err("to", `IOAS "${st.to}" is not in the same iommufd as "${st.from}"`);
        const r = ctx.copy(from, a.iova, a.length, to, st.iova === undefined ? undefined : parseSize(st.iova, "iova"));
        this.lastRet = r.ret;
        if (r.ret === 0) this.addArea(st.name, "ioas", st.to, r.iova, a.length);
        return { text: `IOMMU_IOAS_COPY ${st.from}:${a.name} → ${st.to}${st.name ? ` as ${st.name}` : ""}`, outcome: r.ret === 0 ? `IOVA ${hex(r.iova)}` : errnoName(r.ret) };
      }
      case "dma": {
        const dev = this.devices.get(st.device);
        if (!dev) throw this.err("device", `no device "${st.device}"`, this.known("devices", [...this.devices.keys()]));
        let iova: number;
        let where: string;
        if (st.area !== undefined) {
          const a = this.area(st.area, "area");
          const off = st.offset === undefined ? 0 : parseSize(st.offset, "offset");
          if (off >= a.length) throw this.err("offset", `${formatOffset(off)} is outside area "${a.name}" (length ${formatOffset(a.length)})`);
          iova = a.iova + off;
          where = `${a.name}+${formatOffset(off)}`;
        } else {
          iova = parseSize(st.iova as SizeSpecLike, "iova");
          where = `IOVA ${hex(iova)}`;
        }
        if (!dev.domain.devices.has(dev.name)) {
          this.lastDma = "io-page-fault";
          return { text: `${st.device}: DMA ${st.read ? "read" : "write"} at ${where}`, outcome: "detached (no DMA)" };
        }
        const r = dev.dma(iova, { write: !st.read });
        this.lastDma = r.result;
        return { text: `${st.device}: DMA ${st.read ? "read" : "write"} at ${where}`, outcome: r.pfn === null ? r.result : `${r.result} (pfn ${hex(r.pfn)}${r.iotlbHit ? ", IOTLB hit" : ""})` };
      }
      case "iommufd-close": {
        const ctx = this.iommufd(st.iommufd, "iommufd");
        ctx.close();
        // The IOASes keep their names, so a later use says they went with the iommufd.
        for (const [name, io] of this.ioases) if (io.ctx === ctx) this.dropAreas("ioas", name, 0, Number.MAX_SAFE_INTEGER);
        return { text: `close(${st.iommufd}): every IOAS destroyed`, outcome: "ok" };
      }
      case "vfio": {
        if (this.vfios.has(st.name)) throw this.err("name", `a VFIO container "${st.name}" already exists`);
        this.vfios.set(st.name, new VfioContainer(m, this.pid(st.process, "process")));
        return { text: `${st.process}: open /dev/vfio/vfio as ${st.name} (type1)`, outcome: "ok" };
      }
      case "vfio-map": {
        const c = this.vfio(st.vfio, "vfio");
        const mp = this.mapping(st.mapping);
        if (mp.pid !== c.pid) throw this.err("mapping", `mapping "${mp.name}" belongs to "${mp.process}", not to the container's process`);
        const off = st.offset === undefined ? 0 : this.offset(mp, st.offset);
        const len = st.length === undefined ? mp.length - off : parseSize(st.length, "length");
        if (off + len > mp.length) throw this.err("length", `${formatOffset(off)} + ${formatOffset(len)} runs past mapping "${mp.name}"`);
        const iova = parseSize(st.iova, "iova");
        const ret = c.mapDma({ vaddr: mp.addr + off, iova, size: len });
        this.lastRet = ret;
        if (ret === 0) this.addArea(st.name, "vfio", st.vfio, iova, len);
        return { text: `${mp.process}: VFIO_IOMMU_MAP_DMA ${st.vfio} ${mp.name}+${formatOffset(off)}, ${formatOffset(len)} at IOVA ${hex(iova)}`, outcome: errnoName(ret) };
      }
      case "vfio-unmap": {
        const c = this.vfio(st.vfio, "vfio");
        return this.unmapRange(st, "vfio", st.vfio, "VFIO_IOMMU_UNMAP_DMA", (iova, len) => c.unmapDma(iova, len));
      }
      case "vfio-close": {
        const c = this.vfio(st.vfio, "vfio");
        c.close();
        this.dropAreas("vfio", st.vfio, 0, Number.MAX_SAFE_INTEGER);
        return { text: `close(${st.vfio}): every vfio_dma unmapped and unpinned`, outcome: "ok" };
      }
      case "memlock": {
        const pid = this.pid(st.process, "process");
        const reg = pinRegistry(m);
        if (st.limit !== undefined) {
          if (st.limit === "unlimited") reg.rlimitMemlock.delete(pid);
          else reg.rlimitMemlock.set(pid, parseSize(st.limit, "limit"));
        }
        if (st.capIpcLock !== undefined) reg.capIpcLock.set(pid, st.capIpcLock);
        const parts = [st.limit !== undefined ? `RLIMIT_MEMLOCK ${st.limit === "unlimited" ? "unlimited" : formatOffset(parseSize(st.limit))}` : "", st.capIpcLock !== undefined ? `CAP_IPC_LOCK ${st.capIpcLock ? "on" : "off"}` : ""].filter(Boolean);
        return { text: `${st.process}: ${parts.join(", ") || "memlock unchanged"}`, outcome: "ok" };
      }
      case "check":
        return this.check(st);
    }
  }

  mfOutcome(r: MemoryFailureResult): string {
    this.lastMf = r;
    this.lastRet = r.ret;
    return r.type ? `${errnoName(r.ret)} ${r.type} ${r.result}` : errnoName(r.ret);
  }

  memfdCreate(st: Omit<MemfdSpec, "name"> & { name: string }): { text: string; outcome: string } {
    if (this.memfds.has(st.name)) throw this.err("name", `a memfd "${st.name}" already exists`);
    const pid = this.pid(st.process, "process");
    const fd = this.m.memfdCreate(pid, { size: st.size, hugetlb: st.hugetlb, keepUeMapped: st.keepUeMapped, thp: st.thp });
    const flags = [st.hugetlb ? `MFD_HUGETLB|MFD_HUGE_${st.hugetlb}` : "", st.keepUeMapped ? "MFD_MF_KEEP_UE_MAPPED" : ""].filter(Boolean).join("|") || "0";
    const text = `${st.process}: memfd_create(${st.name}, ${flags}), size ${formatOffset(parseSize(st.size))}${st.thp ? ", THP" : ""}`;
    const f: MemfdState = { name: st.name, owner: st.process, fds: new Map(), size: parseSize(st.size) };
    this.memfds.set(st.name, f);
    if (fd < 0) {
      f.failed = errnoName(fd);
      this.lastRet = fd;
      return { text, outcome: errnoName(fd) };
    }
    f.fds.set(st.process, fd);
    for (const to of st.sharedWith ?? []) {
      const nfd = this.m.shareFd(pid, fd, this.pid(to, "sharedWith"));
      f.fds.set(to, nfd);
    }
    return { text: text + (st.sharedWith?.length ? `, passed to ${st.sharedWith.join(", ")}` : ""), outcome: `fd ${fd}` };
  }

  mmap(st: Omit<MappingSpec, "name"> & { name: string }): { text: string; outcome: string } {
    if (this.mappings.has(st.name)) throw this.err("name", `a mapping "${st.name}" already exists`);
    const pid = this.pid(st.process, "process");
    let fd: number | undefined;
    let length: number;
    if (st.memfd !== undefined) {
      const f = this.memfd(st.memfd, "memfd");
      fd = this.fdOf(f, st.process, "memfd").fd;
      length = st.length === undefined ? f.size - (st.offset === undefined ? 0 : parseSize(st.offset)) : parseSize(st.length, "length");
      if (st.thp || st.hugetlb) throw this.err(st.thp ? "thp" : "hugetlb", "applies to anonymous mappings only; set it on the memfd");
    } else {
      if (st.length === undefined) throw this.err("length", "an anonymous mapping needs a length");
      length = parseSize(st.length, "length");
    }
    const addr = this.m.mmap(pid, { length, fd, offset: st.offset, thp: st.thp, hugetlb: st.hugetlb });
    const mp: MappingState = { name: st.name, process: st.process, pid, addr, length, memfd: st.memfd };
    this.mappings.set(st.name, mp);
    const kind = st.memfd ? `memfd ${st.memfd}${st.offset ? ` at ${formatOffset(parseSize(st.offset))}` : ""}, MAP_SHARED` : `anonymous${st.thp ? " THP" : ""}${st.hugetlb ? ` MAP_HUGETLB ${st.hugetlb}` : ""}`;
    let text = `${st.process}: mmap ${st.name} = ${formatOffset(length)} of ${kind}`;
    if (st.populate) {
      this.m.populate(pid, addr, length);
      text += ", populated";
    }
    return { text, outcome: hex(addr) };
  }

  check(st: CheckSpec & { op: "check" }): { text: string; outcome: string; check: { ok: boolean; failures: string[] } } {
    const m = this.m;
    const fails: string[] = [];
    const eq = (what: string, got: unknown, want: unknown) => {
      if (got !== want) fails.push(`${what} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    };
    if (st.last) {
      const r = this.lastMf;
      if (!r) fails.push("no memory_failure/madvise/unpoison/soft-offline step ran before this check");
      else {
        if (st.last.ret !== undefined) eq("the last return value", errnoName(r.ret), errnoName(st.last.ret));
        if (st.last.type !== undefined) eq("the last MF_MSG type", r.type, st.last.type);
        if (st.last.result !== undefined) eq("the last result", r.result, st.last.result);
      }
    }
    if (st.access !== undefined) {
      if (!this.lastAccess) fails.push("no touch/read/write step ran before this check");
      else eq("the last access", this.lastAccess.result, st.access);
    }
    if (st.signal) {
      const pid = this.pid(st.signal.process, "signal.process", false);
      const sigs = m.signalsOf(pid);
      const last = sigs[sigs.length - 1];
      const who = `process "${st.signal.process}"`;
      if ("none" in st.signal) {
        if (last) fails.push(`${who} got ${sigs.length} signal(s), expected none (last: ${last.sig} ${last.code ?? ""} lsb ${last.lsb})`);
      } else if (!last) fails.push(`${who} got no signal`);
      else {
        if (st.signal.sig !== undefined) eq(`${who}'s last signal`, last.sig, st.signal.sig);
        if (st.signal.code !== undefined) eq(`${who}'s last si_code`, last.code, st.signal.code);
        if (st.signal.lsb !== undefined) eq(`${who}'s last si_addr_lsb`, last.lsb, st.signal.lsb);
        if (st.signal.offset !== undefined) eq(`${who}'s last si_addr`, this.where(pid, last.addr), this.whereOffset(pid, last.addr, parseSize(st.signal.offset)));
      }
    }
    if (st.signalCount) {
      const pid = this.pid(st.signalCount.process, "signalCount.process", false);
      eq(`signals to "${st.signalCount.process}"`, m.signalsOf(pid).length, st.signalCount.count);
    }
    for (const [name, want] of Object.entries(st.alive ?? {})) {
      const pid = this.pid(name, `alive.${name}`, false);
      eq(`"${name}" alive`, !!m.tasks.get(pid)?.alive, want);
    }
    for (const size of ["2M", "1G"] as const) {
      const w = st.hugetlb?.[size];
      if (!w) continue;
      const h = m.hugetlb(size);
      if (w.nr !== undefined) eq(`nr_hugepages (${size})`, h.nr, w.nr);
      if (w.free !== undefined) eq(`free_hugepages (${size})`, h.free, w.free);
    }
    if (st.summary) {
      const s = m.summary();
      for (const [k, v] of Object.entries(st.summary)) if (v !== undefined) eq(`${k} pages`, s[k as keyof typeof s], v);
    }
    if (st.violations) {
      const got = [...new Set(m.violations.map((v) => v.name))].sort();
      eq("violations", got.join(", ") || "none", [...new Set(st.violations)].sort().join(", ") || "none");
    }
    if (st.ret !== undefined) {
      if (this.lastStepRet === undefined) fails.push("no step with a return value ran before this check");
      else eq("the last return value", errnoName(this.lastStepRet), errnoName(st.ret));
    }
    if (st.dma !== undefined) {
      if (this.lastDma === undefined) fails.push("no dma step ran before this check");
      else eq("the last DMA outcome", this.lastDma, st.dma);
    }
    if (st.pins) {
      const mt = pinRegistry(m).metrics();
      const bytes: [keyof NonNullable<CheckSpec["pins"]>, number, string][] = [
        ["pinned", mt.pinnedBytes, "pinned"], ["heldBack", mt.heldBackBytes, "held back"], ["pending", mt.pendingBytes, "pending"], ["leaked", mt.leakedBytes, "leaked"],
      ];
      for (const [k, got, what] of bytes) {
        const want = st.pins[k];
        if (want !== undefined) eq(`${what} memory`, formatOffset(got), formatOffset(parseSize(want as SizeSpecLike)));
      }
      const counts: [keyof NonNullable<CheckSpec["pins"]>, number, string][] = [
        ["dmas", mt.dmas, "DMAs"], ["dmaToPoison", mt.dmaToPoison, "DMAs that reached poison"], ["dmaToOffline", mt.dmaToOffline, "DMAs that reached offlined memory"],
        ["ioPageFaults", mt.ioPageFaults, "IO page faults"], ["invalidations", mt.invalidations, "IOTLB invalidations"], ["revokes", mt.revokes, "revoked iopt_pages"],
      ];
      for (const [k, got, what] of counts) if (st.pins[k] !== undefined) eq(what, got, st.pins[k]);
    }
    if (st.accounting) {
      const pid = this.pid(st.accounting.process, "accounting.process", false);
      const reg = pinRegistry(m);
      const who = `"${st.accounting.process}"`;
      const page = (n: number | undefined) => formatOffset((n ?? 0) * 4096);
      if (st.accounting.userLockedVm !== undefined) eq(`user->locked_vm of ${who}'s user`, page(reg.userLockedVm.get(reg.uidOf(pid))), formatOffset(parseSize(st.accounting.userLockedVm)));
      if (st.accounting.mmLockedVm !== undefined) eq(`mm->locked_vm of ${who}`, page(reg.mmLockedVm.get(pid)), formatOffset(parseSize(st.accounting.mmLockedVm)));
      if (st.accounting.pinnedVm !== undefined) eq(`mm->pinned_vm of ${who}`, page(reg.pinnedVm.get(pid)), formatOffset(parseSize(st.accounting.pinnedVm)));
    }
    for (const f of fails) this.checkFailures.push(`${this.path}: ${f}`);
    const asserted = Object.keys(st).filter((k) => k !== "op" && k !== "note");
    return { text: `check ${asserted.join(", ")}`, outcome: fails.length ? `FAILED: ${fails.join("; ")}` : "ok", check: { ok: fails.length === 0, failures: fails } };
  }

  /** The symbolic name an expected signal address would have: the signalled mapping + offset. */
  whereOffset(pid: number, addr: number, off: number): string {
    const cur = this.where(pid, addr);
    const plus = cur.lastIndexOf("+");
    return plus > 0 ? `${cur.slice(0, plus)}+${formatOffset(off)}` : formatOffset(off);
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
      case "signal":
        t.process = this.procName(e.pid);
        t.text = `${t.process}: ${e.sig}${e.code ? " " + e.code : ""} at ${this.where(e.pid, e.addr)}${e.sig === "SIGBUS" ? ` lsb ${e.lsb}` : ""} (${e.why})`;
        break;
      case "split":
        t.text = `split of the order-${e.order} folio at pfn ${hex(e.pfn)}: ${e.ok ? "split to 4K pages" : `refused${e.reason ? ` (${e.reason})` : ""}`}`;
        break;
      case "unmap":
        t.process = this.procName(e.pid);
        t.text = `${t.process}: ${this.where(e.pid, e.addr)} (pfn ${hex(e.pfn)}) ${e.result === "hwpoison-entry" ? "unmapped, hwpoison entry installed" : e.result === "kept-mapped" ? "kept mapped (MFD_MF_KEEP_UE_MAPPED)" : "unmap failed"}`;
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
