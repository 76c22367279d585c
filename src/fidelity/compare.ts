// The model next to a real kernel, step by step: what each did, and every difference. A
// difference is either explained by the known-differences table (with its cause) or unexplained,
// which fails the comparison. Browser-safe.
import { formatOffset, errnoName } from "../scenario/format.js";
import type { ScenarioResult, StepOp, StepRecord } from "../scenario/types.js";
import { explain, type KnownDifference } from "./known-differences.js";
import type { KernelScenarioRun, KernelStep } from "./replay.js";

/** What is compared after each step. */
export type DiffField = "ret" | "mf" | "access" | "signals" | "counters" | "hugetlb" | "check" | "kernel";

export interface Difference {
  path: string;
  op: StepOp;
  field: DiffField;
  model: string;
  kernel: string;
  /** The known difference that explains it, if any. */
  known?: Pick<KnownDifference, "id" | "category" | "cause" | "decidedBy">;
}

/** One step as both backends did it, in the same words. */
export interface StepComparison {
  index: number;
  path: string;
  op: StepOp;
  text: string;
  /** "agree", "differ", "model only" (the kernel run stopped before it), "not run" (panic or abort). */
  status: "agree" | "differ" | "model only" | "not run";
  model: Partial<Record<DiffField, string>>;
  kernel?: Partial<Record<DiffField, string>>;
  differences: Difference[];
}

export interface ScenarioComparison {
  scenario: string;
  kernel: { id: string; release: string; model: string };
  steps: StepComparison[];
  differences: Difference[];
  unexplained: Difference[];
  /** Where the kernel run stopped, and why (the step has no mainline equivalent). */
  modelOnlyFrom?: { path: string; reason: string };
  panic?: KernelScenarioRun["panic"];
  aborted?: string;
  setFailures: string[];
  checks: { model: string[]; kernel: string[] };
  /** Every step and check agreed, or differed only in known ways, and no check failed on either. */
  ok: boolean;
}

const ok = (r: number): string => (r >= 0 ? "ok" : errnoName(r));

function signalText(process: string, sig: string, code: string | null, lsb: number, mapping?: string, offset?: number): string {
  if (sig === "SIGKILL") return `${process} SIGKILL`;
  const at = mapping === undefined ? "outside its mappings" : `${mapping}+${formatOffset(offset ?? 0)}`;
  return `${process} ${sig} ${code ?? "(no code)"} lsb ${lsb} at ${at}`;
}

function countersText(c: { hardwareCorrupted: number; total: number; ignored: number; failed: number; delayed: number; recovered: number }): string {
  return `HardwareCorrupted ${formatOffset(c.hardwareCorrupted)}, total ${c.total} (recovered ${c.recovered}, delayed ${c.delayed}, failed ${c.failed}, ignored ${c.ignored})`;
}

function hugetlbText(h: Record<"2M" | "1G", { nr: number; free: number }>): string {
  return (["2M", "1G"] as const).filter((s) => h[s].nr !== 0 || h[s].free !== 0).map((s) => `${s} nr ${h[s].nr} free ${h[s].free}`).join(", ") || "no pools";
}

/** The model's side of one step, in comparable words. */
function modelSide(rec: StepRecord, run: ScenarioResult): Partial<Record<DiffField, string>> {
  const out: Partial<Record<DiffField, string>> = {};
  if (rec.ret !== undefined) out.ret = ok(rec.ret);
  if (rec.access) out.access = rec.access;
  const evs = run.events.filter((e) => e.step === rec.index);
  out.mf = evs.flatMap((e) => (e.event.kind === "memory_failure" ? [`${e.event.type} ${e.event.result}`] : [])).join(", ") || "none";
  const sigs: string[] = [];
  for (const e of evs) {
    if (e.event.kind !== "signal") continue;
    sigs.push(signalText(e.process ?? "?", e.event.sig, e.event.code, e.event.lsb, e.at?.mapping, e.at?.offset));
  }
  out.signals = sigs.sort().join("; ") || "none";
  if (rec.after) {
    out.counters = countersText(rec.after.counters);
    out.hugetlb = hugetlbText(rec.after.hugetlb);
  }
  if (rec.check) out.check = rec.check.ok ? "holds" : `fails: ${rec.check.failures.join("; ")}`;
  return out;
}

function kernelSide(k: KernelStep): Partial<Record<DiffField, string>> {
  const out: Partial<Record<DiffField, string>> = {};
  if (k.ret !== undefined) out.ret = ok(k.ret);
  if (k.access) out.access = k.access;
  out.mf = k.mf.map((m) => `${m.type ?? `"${m.typeText}"`} ${m.result ?? "?"}`).join(", ") || "none";
  out.signals = k.signals.map((s) => signalText(s.process, s.sig, s.code, s.lsb, s.mapping, s.offset)).sort().join("; ") || "none";
  out.counters = countersText(k.counters);
  out.hugetlb = hugetlbText(k.hugetlb);
  if (k.check) out.check = k.check.ok ? "holds" : `fails: ${k.check.failures.join("; ")}`;
  if (k.errors.length) out.kernel = k.errors.join("; ");
  return out;
}

/**
 * Compares a model run with a kernel run of the same scenario (the kernel's model version).
 * `kernelId` selects the known differences that apply.
 */
export function compareScenario(model: ScenarioResult, kernel: KernelScenarioRun, info: { id: string; release: string; model: string }): ScenarioComparison {
  const byIndex = new Map(kernel.steps.map((s) => [s.index, s]));
  const steps: StepComparison[] = [];
  const all: Difference[] = [];
  const stopAt = kernel.stopped?.index;
  for (const rec of model.steps) {
    const m = modelSide(rec, model);
    const k = byIndex.get(rec.index);
    const sc: StepComparison = { index: rec.index, path: rec.path, op: rec.op, text: rec.text, status: "agree", model: m, differences: [] };
    if (!k) {
      sc.status = stopAt !== undefined && rec.index >= stopAt ? "model only" : "not run";
      steps.push(sc);
      continue;
    }
    const kk = kernelSide(k);
    sc.kernel = kk;
    const diff = (field: DiffField, mv: string | undefined, kv: string | undefined) => {
      if (mv === kv) return;
      const d: Difference = { path: rec.path, op: rec.op, field, model: mv ?? "—", kernel: kv ?? "—" };
      const known = explain(d, { scenario: model.scenario, kernel: info.id });
      if (known) d.known = { id: known.id, category: known.category, cause: known.cause, decidedBy: known.decidedBy };
      sc.differences.push(d);
    };
    if (m.ret !== undefined || (k.ret !== undefined && k.ret < 0)) diff("ret", m.ret ?? "ok", kk.ret ?? "ok");
    if (m.access !== undefined || kk.access !== undefined) diff("access", m.access, kk.access);
    for (const f of ["mf", "signals", "counters", "hugetlb"] as const) diff(f, m[f], kk[f]);
    if (m.check !== undefined) diff("check", m.check === "holds" ? "holds" : "fails", kk.check === undefined ? undefined : kk.check === "holds" ? "holds" : "fails");
    if (kk.kernel) diff("kernel", "—", kk.kernel);
    if (sc.differences.length) sc.status = "differ";
    all.push(...sc.differences);
    steps.push(sc);
  }
  // A panic the model did not have (or at another step) is a difference of its own.
  if (kernel.panic && !(model.final.panicked && model.steps[model.steps.length - 1]?.path === kernel.panic.path)) {
    const d: Difference = { path: kernel.panic.path, op: model.steps.find((s) => s.path === kernel.panic!.path)?.op ?? "check", field: "kernel", model: model.final.panicked ? "panic at another step" : "no panic", kernel: `panic: ${kernel.panic.message}` };
    all.push(d);
  }
  const out: ScenarioComparison = {
    scenario: model.scenario, kernel: info, steps, differences: all, unexplained: all.filter((d) => !d.known),
    setFailures: kernel.setFailures, checks: { model: model.checkFailures, kernel: kernel.checkFailures }, ok: false,
  };
  if (kernel.stopped) out.modelOnlyFrom = { path: kernel.stopped.path, reason: kernel.stopped.reason };
  if (kernel.panic) out.panic = kernel.panic;
  if (kernel.aborted) out.aborted = kernel.aborted;
  const panicExpected = model.final.panicked && kernel.panic !== undefined;
  out.ok = out.unexplained.length === 0 && kernel.setFailures.length === 0 && model.checkFailures.length === 0 && kernel.checkFailures.length === 0
    && (!kernel.aborted) && (!kernel.panic || panicExpected);
  return out;
}
