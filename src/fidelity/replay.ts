// The agent's JSON lines for one scenario → what the kernel did, step by step, in the model's
// terms; `check` steps are evaluated over it with the same code as on the model
// (src/scenario/checks.ts). Browser-safe.
import type { MfMsg } from "../mfr/constants.js";
import type { MfResult } from "../mfr/result.js";
import { evaluateCheck, type CheckView, type ObservedCounters, type ObservedSignal } from "../scenario/checks.js";
import { scenarioActions } from "../scenario/run.js";
import type { CheckSpec, PageState, ScenarioSpec, StepOp } from "../scenario/types.js";
import { actionResultRet, parseRecoveryLine } from "./kmsg.js";
import type { CompiledScenario } from "./program.js";

/** Counters as the agent reports them: HardwareCorrupted in kB, the node counters, pools [nr, free]. */
export interface AgentCounters { hc: number; total: number; ignored: number; failed: number; delayed: number; recovered: number; h2: [number, number]; h1: [number, number] }

export type AgentLine =
  | { t: "hello"; release: string; uptime: number; nodeCounters: number; corruptPfn: number; disk: number }
  | { t: "sh"; cmd: string; status: number }
  | { t: "run"; cmd: string; status: number; output: string }
  | { t: "module"; path: string; ret: number }
  | { t: "scen"; id: string }
  | { t: "set"; path: string; ret: number; value: string }
  | { t: "base"; c: AgentCounters }
  | { t: "pool"; kb: number; want: number; ret: number; before: [number, number]; after: [number, number] }
  | { t: "begin"; i: number }
  | {
    t: "step"; i: number; r: Record<string, unknown>[]; k: string[];
    s: { p: number; sig: number; code: number; lsb: number; m: number; off: number }[];
    d: { p: number; sig: number; exit: number }[]; c: AgentCounters; ms: number;
  }
  | { t: "end" }
  | { t: "fin"; ms: number };

/** One step as the kernel did it. */
export interface KernelStep {
  index: number;
  path: string;
  op: StepOp;
  /** The step's own return value (a syscall, or memory_failure() through corrupt-pfn). */
  ret?: number;
  access?: "ok" | "sigbus" | "killed";
  /** action_result() lines of this step. */
  mf: { type?: MfMsg; typeText: string; result?: MfResult }[];
  /** Every kernel log line of interest the step produced. */
  log: string[];
  signals: (ObservedSignal & { process: string })[];
  /** Processes that ended during the step: by a signal (its number) or exit. */
  deaths: { process: string; signal: number; exit: number }[];
  /** Counters since the scenario began, after the step. */
  counters: ObservedCounters;
  hugetlb: { "2M": { nr: number; free: number }; "1G": { nr: number; free: number } };
  check?: { ok: boolean; failures: string[]; modelOnly: string[] };
  /** What the kernel could not do for the step (a setup call failed, a worker died or hung). */
  errors: string[];
  ms: number;
}

export interface KernelScenarioRun {
  id: string;
  name: string;
  steps: KernelStep[];
  /** sysctl/sysfs values that could not be set as the scenario asks. */
  setFailures: string[];
  stopped?: CompiledScenario["stopped"];
  /** The kernel panicked during this step (the VM stopped). */
  panic?: { index: number; path: string; message: string };
  /** The run stopped early for another reason (the VM died, a timeout). */
  aborted?: string;
  checkFailures: string[];
}

const SIGNAL_NAME: Record<number, "SIGBUS" | "SIGKILL"> = { 7: "SIGBUS", 9: "SIGKILL" };
const SI_CODE: Record<number, ObservedSignal["code"]> = { 4: "BUS_MCEERR_AR", 5: "BUS_MCEERR_AO" };
/** Ops whose own call is a memory_failure()/unpoison/soft-offline entry point (`check: last`). */
const MF_OPS = new Set<StepOp>(["poison", "madvise", "unpoison", "soft-offline"]);

function kb(c: AgentCounters, base: AgentCounters): ObservedCounters {
  return {
    hardwareCorrupted: (c.hc - base.hc) * 1024, total: c.total - base.total, ignored: c.ignored - base.ignored,
    failed: c.failed - base.failed, delayed: c.delayed - base.delayed, recovered: c.recovered - base.recovered,
  };
}

/**
 * Replays one scenario's agent lines. `panic` is the console's panic message when the VM
 * stopped during this scenario.
 */
export function replayScenario(spec: ScenarioSpec, c: CompiledScenario, lines: AgentLine[], panic?: string): KernelScenarioRun {
  const run: KernelScenarioRun = { id: c.id, name: c.name, steps: [], setFailures: [], checkFailures: [] };
  if (c.stopped) run.stopped = c.stopped;
  const actions = new Map(scenarioActions(spec).map((a) => [a.path, a.step]));
  let base: AgentCounters | undefined;
  // Pages of a pool that are not this scenario's (leaked by earlier ones, reserved for later ones).
  const poolOffset = { "2M": { nr: 0, free: 0 }, "1G": { nr: 0, free: 0 } };
  const overdrawn = new Set<"2M" | "1G">();
  let last: AgentCounters | undefined;
  let begun: number | undefined;
  const signals = new Map<string, ObservedSignal[]>();
  const dead = new Set<string>();
  let lastMf: { ret?: number; type?: MfMsg; result?: MfResult } | undefined;
  let lastAccess: KernelStep["access"];
  let lastStepRet: number | undefined;
  let named: number | undefined;
  const byIndex = new Map(c.steps.map((s) => [s.index, s]));
  for (const l of lines) {
    if (l.t === "set" && l.ret !== 0) run.setFailures.push(`${l.path} = … failed (${l.ret}), it reads "${l.value}"`);
    if (l.t === "set" && l.ret === 0) {
      const want = c.sets.find((s) => s.path === l.path)?.value;
      const shown = /\[(\w+)\]/.exec(l.value)?.[1] ?? l.value;
      if (want !== undefined && shown !== want) run.setFailures.push(`${l.path} reads "${shown}" after writing "${want}"`);
    }
    if (l.t === "pool") {
      const size = l.kb === 2048 ? "2M" : "1G";
      const need = c.hugetlb[size];
      poolOffset[size] = { nr: l.after[0] - need, free: l.after[1] - need };
      if (l.ret !== 0 || l.after[1] < need) run.setFailures.push(`the ${size} HugeTLB pool has ${Math.max(0, l.after[1])} free pages, the scenario needs ${need}`);
    }
    if (l.t === "base") base = last = l.c;
    if (l.t === "begin") begun = l.i;
    if (l.t !== "step") continue;
    begun = undefined;
    const cs = byIndex.get(l.i);
    if (!cs || !base) continue;
    const step: KernelStep = {
      index: l.i, path: cs.path, op: cs.op, mf: [], log: l.k, signals: [], deaths: [], errors: [],
      counters: kb(l.c, base), ms: l.ms,
      hugetlb: {
        "2M": { nr: l.c.h2[0] - poolOffset["2M"].nr, free: l.c.h2[1] - poolOffset["2M"].free },
        "1G": { nr: l.c.h1[0] - poolOffset["1G"].nr, free: l.c.h1[1] - poolOffset["1G"].free },
      },
    };
    last = l.c;
    // A negative count means the scenario used pool pages that were not its own (reserved for a
    // later scenario of the batch): its results and theirs would both be wrong.
    for (const size of ["2M", "1G"] as const) {
      const free = step.hugetlb[size].free;
      if (free >= 0 || overdrawn.has(size)) continue;
      overdrawn.add(size);
      run.setFailures.push(`step ${l.i}: the ${size} HugeTLB pool went ${-free} page(s) below this scenario's share; give machine.hugetlb more ${size} pages`);
    }
    let pageQuery: { pfn: number; swapped: number } | undefined;
    cs.kinds.forEach((kind, j) => {
      const r = l.r[j] ?? {};
      if (typeof r.error === "string") {
        step.errors.push(`${cs.lines[j]}: ${r.error}`);
        return;
      }
      const proc = typeof r.dead === "number" ? c.procs[r.dead] : undefined;
      if (proc !== undefined) {
        if (kind === "acc") step.access = "killed";
        else if (kind !== "exit") step.errors.push(`process "${proc}" ${r.timeout ? "did not answer in time and was killed" : "died"} during ${cs.lines[j]}`);
        return;
      }
      if (kind === "ret" && typeof r.ret === "number") {
        step.ret = r.ret;
        if (typeof r.pfn === "number" && r.pfn >= 0) named = r.pfn;
      } else if (kind === "acc") {
        step.access = r.acc === "sigbus" ? "sigbus" : "ok";
      } else if (kind === "name") {
        if (typeof r.pfn !== "number" || r.pfn < 0) step.errors.push(`the kernel has no page for ${cs.lines[j]} (not present, or no such free page)`);
        else named = r.pfn;
      } else if (kind === "setup") {
        const bad = (typeof r.ret === "number" && r.ret < 0) || r.acc === "sigbus" || r.error !== undefined;
        if (bad) step.errors.push(`${cs.lines[j]} failed on the kernel: ${JSON.stringify(r)}`);
      } else if (kind === "data" && typeof r.pfn === "number") {
        pageQuery = { pfn: r.pfn, swapped: Number(r.swapped ?? 0) };
      } else if (kind === "spawn" && !(typeof r.spawn === "number" && r.spawn > 0)) {
        step.errors.push(`fork() failed on the kernel (${JSON.stringify(r)})`);
      }
    });
    for (const line of l.k) {
      const rec = parseRecoveryLine(line);
      if (!rec) continue;
      step.mf.push({ type: rec.type, typeText: rec.typeText, result: rec.result });
      lastMf = { ret: actionResultRet(rec.result), type: rec.type, result: rec.result };
    }
    if (MF_OPS.has(cs.op) && step.ret !== undefined) lastMf = step.mf.length ? { ...lastMf, ret: step.ret } : { ret: step.ret };
    for (const s of l.s) {
      const process = c.procs[s.p];
      const sig: ObservedSignal & { process: string } = {
        process, sig: SIGNAL_NAME[s.sig] ?? "SIGBUS", code: SI_CODE[s.code] ?? null, lsb: s.lsb,
        mapping: s.m >= 0 ? c.maps.get(s.p)?.get(s.m) : undefined, offset: s.m >= 0 ? s.off : undefined,
      };
      step.signals.push(sig);
      if (!signals.has(process)) signals.set(process, []);
      signals.get(process)!.push(sig);
    }
    for (const d of l.d) {
      const process = c.procs[d.p];
      step.deaths.push({ process, signal: d.sig, exit: d.exit });
      dead.add(process);
      // The model logs SIGKILL as a signal; a real SIGKILL shows up as the process's death.
      if (d.sig === 9) {
        const k: ObservedSignal & { process: string } = { process, sig: "SIGKILL", code: null, lsb: 0 };
        step.signals.push(k);
        if (!signals.has(process)) signals.set(process, []);
        signals.get(process)!.push(k);
      }
    }
    if (step.access !== undefined) lastAccess = step.access;
    if (step.ret !== undefined) lastStepRet = step.ret;
    const action = actions.get(cs.path);
    if (action && action.op === "check") {
      const snap = step;
      const q = pageQuery;
      const view: CheckView = {
        lastMf: () => lastMf,
        lastAccess: () => lastAccess,
        lastStepRet: () => lastStepRet,
        signals: (p) => signals.get(p) ?? [],
        alive: (p) => !dead.has(p),
        hugetlb: (size) => snap.hugetlb[size],
        counters: () => snap.counters,
        page: () => {
          const state: PageState = !q ? "none" : q.pfn >= 0 ? "present" : q.swapped ? "hwpoison" : "none";
          return { state, moved: named === undefined || !q ? undefined : q.pfn !== named };
        },
      };
      const { failures, modelOnly } = evaluateCheck(action as CheckSpec, view);
      step.check = { ok: failures.length === 0, failures, modelOnly };
      for (const f of failures) run.checkFailures.push(`${cs.path}: ${f}`);
    }
    run.steps.push(step);
  }
  if (begun !== undefined) {
    const cs = byIndex.get(begun);
    const path = cs?.path ?? `step ${begun}`;
    if (panic !== undefined) run.panic = { index: begun, path, message: panic };
    else run.aborted = `the VM stopped during ${path}`;
  } else if (!lines.some((l) => l.t === "end")) {
    run.aborted = panic !== undefined ? `the kernel panicked (${panic}) before this scenario ended` : "the VM stopped before this scenario ended";
  }
  void last;
  return run;
}
