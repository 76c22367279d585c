// Scenario → the kernel lab agent's program (src/kernel/agent/mfr-agent.c reads it). Each op's
// kernel side (src/scenario/ops) emits its instructions through the KernelEmitter below; the first
// op a mainline kernel cannot perform ends the kernel run of that scenario, with its reason.
// Browser-safe: pure text in, text out.
import { ParameterError } from "../core/errors.js";
import { OPS } from "../scenario/ops/index.js";
import type { KernelEmitter, OpDef, ResolvedTarget, ResultKind } from "../scenario/ops/types.js";
import { scenarioActions } from "../scenario/run.js";
import type { ScenarioResult, ScenarioSpec, StepOp } from "../scenario/types.js";

/** The agent's limits (MAXP, MAXSLOT in mfr-agent.c). */
export const AGENT_MAX_PROCESSES = 16;
export const AGENT_MAX_SLOTS = 64;

/** Machine options that only a model can have (fault injection, unmerged series, history). */
const MODEL_ONLY_MACHINE: [keyof ScenarioSpec["machine"], (v: unknown) => boolean, string][] = [
  ["hvoRestoreFails", (v) => v === true, "a vmemmap restore failure is fault injection the kernel does not offer"],
  ["rawHwpAllocFails", (v) => v === true, "a failing raw_hwp_page allocation is fault injection the kernel does not offer"],
  ["unmapFails", (v) => v === true, "a try_to_unmap() that loses its race is fault injection the kernel does not offer"],
  ["freeHasHwpoisoned", (v) => v === true, "free_has_hwpoisoned() is Jiaqi Yan's 2026 series, not in mainline"],
  ["killOnUnmapFailure", (v) => v === "sigkill", "SIGKILL on unmap failure is the behaviour before Jane Chu's 2024 series, not 6.12's or 7.3's"],
];

/** Makes and mounts the disk file system in the guest (/dev/vda, the VM's virtio disk, may take a moment to appear). */
export const DISK_SETUP = "for i in $(seq 1 200); do [ -b /dev/vda ] && break; sleep 0.05; done; mke2fs -q /dev/vda && mount -t ext4 /dev/vda /mnt";

/** Agent FIND kinds for a pool page. */
const FIND_KIND = { buddy: 0, "hugetlb-2M": 1, "hugetlb-1G": 2, kernel: 3 } as const;

export interface CompiledStep {
  /** StepRecord.index of the model run. */
  index: number;
  path: string;
  op: StepOp;
  lines: string[];
  kinds: ResultKind[];
}

export interface CompiledScenario {
  /** Unique within a batch (the agent's SCEN line). */
  id: string;
  name: string;
  /** sysctl/sysfs values set before the steps, in order. */
  sets: { path: string; value: string }[];
  steps: CompiledStep[];
  /** The first step the kernel cannot perform, and why; the kernel run ends before it. */
  stopped?: { index: number; path: string; reason: string };
  /** Worker index → process name; per worker, mapping slot → mapping name. */
  procs: string[];
  maps: Map<number, Map<number, string>>;
  /** The HugeTLB pools the scenario sets. */
  hugetlb: { "2M": number; "1G": number };
  /** Whether the scenario needs the disk file system. */
  disk: boolean;
}

class ModelOnly extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

class Emitter implements KernelEmitter {
  readonly procs = new Map<string, number>();
  readonly owners = new Map<string, string>();
  readonly units = new Map<string, number>();
  readonly fds = new Map<string, number>();
  readonly fdCount = new Map<number, number>();
  readonly maps = new Map<string, { proc: number; slot: number; length: number }>();
  readonly mapCount = new Map<number, number>();
  readonly pins = new Map<string, number>();
  readonly sets: { path: string; value: string }[] = [];
  lines: string[] = [];
  kinds: ResultKind[] = [];
  disk = false;

  proc(name: string): number {
    const i = this.procs.get(name);
    if (i === undefined) throw new ModelOnly(`process "${name}" was never started on the kernel`);
    return i;
  }

  spawn(name: string): number {
    const i = this.procs.size;
    if (i >= AGENT_MAX_PROCESSES) throw new ModelOnly(`the kernel lab's agent runs at most ${AGENT_MAX_PROCESSES} processes per scenario`);
    this.procs.set(name, i);
    return i;
  }

  owner(memfd: string): string {
    const o = this.owners.get(memfd);
    if (o === undefined) throw new ModelOnly(`memfd "${memfd}" was never created on the kernel`);
    return o;
  }

  private slot(counts: Map<number, number>, proc: number, what: string): number {
    const n = counts.get(proc) ?? 0;
    if (n >= AGENT_MAX_SLOTS) throw new ModelOnly(`the kernel lab's agent keeps at most ${AGENT_MAX_SLOTS} ${what} per process`);
    counts.set(proc, n + 1);
    return n;
  }

  fdSlot(memfd: string, process: string, create = false): number {
    const key = `${process}\u0000${memfd}`;
    let s = this.fds.get(key);
    if (s === undefined || create) {
      if (!create) throw new ModelOnly(`process "${process}" has no fd of "${memfd}" on the kernel`);
      if (!this.owners.has(memfd)) this.owners.set(memfd, process);
      s = this.slot(this.fdCount, this.proc(process), "fds");
      this.fds.set(key, s);
    }
    return s;
  }

  mapSlot(mapping: string, create?: { process: string; length: number }): { proc: number; slot: number; length: number } {
    if (create) {
      const proc = this.proc(create.process);
      const m = { proc, slot: this.slot(this.mapCount, proc, "mappings"), length: create.length };
      this.maps.set(mapping, m);
      return m;
    }
    const m = this.maps.get(mapping);
    if (!m) throw new ModelOnly(`mapping "${mapping}" does not exist on the kernel`);
    return m;
  }

  memfdUnit(memfd: string, unit?: number): number {
    if (unit !== undefined) this.units.set(memfd, unit);
    return this.units.get(memfd) ?? 0;
  }

  pinSlot(mapping: string, offset: number, create = false): number {
    const key = `${mapping}\u0000${offset}`;
    let s = this.pins.get(key);
    if (s === undefined || create) {
      s = this.slot(this.mapCount, this.mapSlot(mapping).proc + AGENT_MAX_PROCESSES, "pins");
      this.pins.set(key, s);
    }
    return s;
  }

  needDisk(): void {
    this.disk = true;
  }

  emit(line: string, kind: ResultKind): void {
    this.lines.push(line);
    this.kinds.push(kind);
  }

  set(path: string, value: string): void {
    const i = this.sets.findIndex((s) => s.path === path);
    if (i >= 0) this.sets[i].value = value;
    else this.sets.push({ path, value });
  }

  namePage(t: ResolvedTarget): void {
    if (t.previous) return;
    if (t.mapping !== undefined) {
      const m = this.mapSlot(t.mapping);
      this.emit(`P ${m.proc} pfn ${m.slot} ${t.offset ?? 0}`, "name");
      return;
    }
    if (t.pool !== undefined) {
      this.emit(`FIND 1 ${FIND_KIND[t.pool]} ${(t.page ?? 0) % (t.pool === "buddy" ? 512 : Number.MAX_SAFE_INTEGER)}`, "name");
      return;
    }
    if (t.pfn !== undefined) throw new ModelOnly("a raw pfn names a different page on a real machine (name it by mapping or pool)");
    throw new ModelOnly("the step names no page");
  }

  modelOnly(reason: string): never {
    throw new ModelOnly(reason);
  }
}

/**
 * Compiles one scenario for the agent, replaying the model run's resolved choices (random
 * offsets, default lengths) so both backends do the same thing.
 */
export function compileScenario(spec: ScenarioSpec, model: ScenarioResult, id: string): CompiledScenario {
  if (/\s/.test(id)) throw new ParameterError("id", `"${id}" has white space`);
  const e = new Emitter();
  const out: CompiledScenario = {
    id, name: spec.name, sets: e.sets, steps: [], procs: [], maps: new Map(),
    hugetlb: { "2M": spec.machine.hugetlb?.["2M"] ?? 0, "1G": spec.machine.hugetlb?.["1G"] ?? 0 }, disk: false,
  };
  const mc = spec.machine;
  // The machine: THP only where the scenario asks (MADV_HUGEPAGE), as in the model; the sysctls.
  // HVO before the pools (programText's POOL lines): it applies to pages allocated after it.
  e.set("/sys/kernel/mm/transparent_hugepage/enabled", "madvise");
  e.set("/proc/sys/vm/hugetlb_optimize_vmemmap", mc.hvo ? "1" : "0");
  e.set("/proc/sys/vm/memory_failure_early_kill", mc.earlyKill ? "1" : "0");
  e.set("/proc/sys/vm/enable_soft_offline", mc.enableSoftOffline === false ? "0" : "1");
  e.set("/proc/sys/vm/memory_failure_recovery", mc.memoryFailureRecovery === false ? "0" : "1");
  const actions = scenarioActions(spec);
  const machineOnly = MODEL_ONLY_MACHINE.find(([k, bad]) => bad(mc[k]));
  if (machineOnly) {
    out.stopped = { index: 0, path: `machine.${machineOnly[0]}`, reason: machineOnly[2] };
    return out;
  }
  for (const rec of model.steps) {
    const action = actions[out.steps.length];
    if (!action || action.path !== rec.path) break;
    const def = OPS[action.step.op] as OpDef;
    e.lines = [];
    e.kinds = [];
    try {
      if (typeof def.kernel !== "function") throw new ModelOnly(def.kernel.modelOnly);
      def.kernel(e, action.step as never, rec.resolved);
    } catch (err) {
      if (!(err instanceof ModelOnly)) throw err;
      out.stopped = { index: rec.index, path: rec.path, reason: err.reason };
      break;
    }
    out.steps.push({ index: rec.index, path: rec.path, op: action.step.op, lines: e.lines, kinds: e.kinds });
  }
  for (const [name, i] of e.procs) out.procs[i] = name;
  for (const [name, m] of e.maps) {
    if (!out.maps.has(m.proc)) out.maps.set(m.proc, new Map());
    out.maps.get(m.proc)!.set(m.slot, name);
  }
  out.disk = e.disk;
  return out;
}

/** Ops whose outcome says something about memory-failure handling (the rest set a scenario up). */
const TELLING_OPS = new Set<StepOp>(["poison", "madvise", "unpoison", "soft-offline", "touch", "write", "read", "pread", "pwrite", "fsync", "pin", "check"]);

/** True when the kernel would run at least one step whose outcome says something (not only set-up). */
export function worthRunning(c: CompiledScenario): boolean {
  return c.steps.some((s) => TELLING_OPS.has(s.op));
}

/** A scenario's name as an agent id (no white space). */
export function scenarioId(name: string): string {
  return name.replace(/\s+/g, "_") || "scenario";
}

/** 1G pages a batch reserves at boot: runtime allocation of gigantic pages is slow and often fails. */
export function bootHugepages1G(batch: CompiledScenario[]): number {
  return batch.reduce((n, c) => n + c.hugetlb["1G"], 0);
}

/**
 * Agent program for a batch: modules, a hello, then each scenario. Each scenario's pools are set
 * with POOL: its own free pages, plus (for 1G) the pages later scenarios of the batch will use,
 * which replay hides from its counts. Run scenarios that use 1G pages first: the boot reserved them.
 */
export function programText(batch: CompiledScenario[], o: { modules: { path: string; params?: string }[]; commandTimeoutMs: number; disk?: boolean }): string {
  const out: string[] = [`TIMEOUT ${o.commandTimeoutMs}`];
  for (const m of o.modules) out.push(`MODULE ${m.path}${m.params ? ` ${m.params}` : ""}`);
  // busybox makes ext2, which the ext4 driver mounts; files of `file` steps live in /mnt.
  if (o.disk) out.push(`SH ${DISK_SETUP}`);
  out.push("HELLO");
  let later1G = bootHugepages1G(batch);
  for (const c of batch) {
    out.push(`SCEN ${c.id}`);
    for (const s of c.sets) out.push(`SET ${s.path} ${s.value}`);
    later1G -= c.hugetlb["1G"];
    out.push(`POOL 2048 ${c.hugetlb["2M"]}`, `POOL 1048576 ${c.hugetlb["1G"] + later1G}`);
    out.push("BASE");
    for (const st of c.steps) {
      out.push(`STEP ${st.index}`, ...st.lines, "DONE");
    }
    out.push("END");
  }
  return out.join("\n") + "\n";
}
