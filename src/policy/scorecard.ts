// The scorecard: one policy run over a seeded battery of workloads from every chapter, measured on
// every metric and judged against every objection in the thread. Same policy, same options, same
// numbers.
import { checkInt, checkRange, MfrLabError, ParameterError } from "../core/errors.js";
import { parsePageSize, type PageSize } from "../core/units.js";
import { cocoDesign, type CocoDesignId } from "../guest_memfd/designs.js";
import { BUILTIN_POLICIES } from "./builtins.js";
import { Consultant, type DecisionRecord, type PolicyViolation } from "./consult.js";
import { METRIC_IDS, METRICS, type CostSource, type MetricId } from "./metrics.js";
import { judgeObjections, type ObjectionVerdict } from "./objections.js";
import { CHOICES, DECISION_IDS, isConstantPolicy, WORKLOAD_IDS, type DecisionId, type Policy, type PolicyChoices, type WorkloadId } from "./types.js";
import type { BatteryParams, WorkloadInfo, WorkloadRun } from "./workloads/common.js";
import { CVM_WORKLOAD, runCvm } from "./workloads/cvm.js";
import { MEMFD_WORKLOADS, runMemfdVm } from "./workloads/memfd-vm.js";
import { runVfio, VFIO_WORKLOAD } from "./workloads/vfio.js";

export interface BatteryOptions {
  /** Seed of every workload's error pattern (default 1). */
  seed?: number;
  /** Errors per workload (default 3). */
  errors?: number;
  /** Accesses and DMAs to a poisoned page right after its error, before the guest can react (default 2). */
  retouch?: number;
  /** Accesses and DMAs to healthy pages of the poisoned folio after each error (default 4). */
  probes?: number;
  /** Assumed VMM time per SIGBUS or KVM exit handled, µs (default 50). */
  signalCostUs?: number;
  /** The confidential guest's design (default "tdx-connect", whose device shares the CPU's stage-2) and guest_memfd folio size (default "1G", the RFC's). */
  cvm?: { design?: CocoDesignId; folioSize?: PageSize };
  /** Which workloads to run (default all five). */
  workloads?: readonly WorkloadId[];
  /** Called with each Machine workload's Machine after its teardown (tests and notebooks look inside). */
  onMachine?: BatteryParams["onMachine"];
}

export const BATTERY_DEFAULTS: Readonly<Required<Omit<BatteryOptions, "workloads" | "onMachine" | "cvm">>> = { seed: 1, errors: 3, retouch: 2, probes: 4, signalCostUs: 50 };

/** The battery's workloads, in order, each with the model that runs it. */
export const WORKLOADS: { readonly [W in WorkloadId]: WorkloadInfo & { run: (c: Consultant, p: BatteryParams) => WorkloadRun } } = {
  "vm-thp": { ...MEMFD_WORKLOADS["vm-thp"], run: (c, p) => runMemfdVm("vm-thp", c, p) },
  "vm-1g": { ...MEMFD_WORKLOADS["vm-1g"], run: (c, p) => runMemfdVm("vm-1g", c, p) },
  dma: { ...MEMFD_WORKLOADS.dma, run: (c, p) => runMemfdVm("dma", c, p) },
  cvm: { ...CVM_WORKLOAD, run: runCvm },
  vfio: { ...VFIO_WORKLOAD, run: runVfio },
};

/** What the battery assumes (shown by the CLI, the notebook and the page). */
export const BATTERY_ASSUMPTIONS: readonly string[] = [
  "Errors land on seeded random 4K pages, in distinct folios while there are folios left (real DRAM errors cluster by row, bank and DIMM); each is first reported by a patrol scrubber or firmware (memory_failure(pfn, 0), the VMM is not early-kill), then the guest touches the page `retouch` times before it can react, and a device DMAs to it as often.",
  "The VMM forwards every SIGBUS it gets to the guest for the extent it names (si_addr, si_addr_lsb), and the guest then stops using that extent: a 1G extent is 1G of memory lost while running, a 4K one 4K.",
  "Throughput lost to splits is Chapter 1's MemCycle model (fitted to the RFC's two published points) at the fraction of a VM's memory translated by 4K entries after the errors, as if each VM were the RFC's MemCycler guest; a device's IOTLB is not included (iommufd builds IOPTEs at map time and hears nothing of CPU-side splits).",
  "VMM time on signals is the count of SIGBUSes and KVM_EXIT_MEMORY_FAULT exits the VMM handled times signalCostUs (50 µs by default, an assumption: no measurement was read); only the ranking by count is solid.",
  "The workloads are small (512M, 4G, 128M, 16G and 20G) so that a scorecard runs in a browser; memory figures scale with folio size and error count, not with guest size.",
  "Mainline is Linux 7.3 as read: no MFD_MF_KEEP_UE_MAPPED, no free_has_hwpoisoned(), truncate_error_folio() turning MF_DELAYED into MF_FAILED, memory_failure_pfn() and the nvgrace-gpu registration merged.",
  "A consumption that memory_failure() neither recovers nor signals ends with x86's kill_me_maybe() calling kill_me_now(), a SIGBUS with no address: the battery counts that VM as lost (guest-visible breakage). That an arm64 host's SEA path ends the same way is an assumption.",
  "A policy's answers are checked before the model acts: an answer that is not a choice, or a decision that throws, is reported and mainline's answer used; a request the model cannot carry out safely (demoting a folio a device pins) is refused and reported; a poisoned frame the model catches on the free lists is reported and taken off before anything can allocate it.",
];

export interface MetricScore {
  id: MetricId;
  /** The battery's value: the sum over workloads, or the worst workload for throughput. */
  value: number;
  perWorkload: Partial<Record<WorkloadId, number>>;
  /** Every amount with its cause. */
  sources: CostSource[];
}

export interface WorkloadScore {
  id: WorkloadId;
  title: string;
  vmKilled: boolean;
  notes: string[];
  metrics: Record<MetricId, number>;
}

export interface Scorecard {
  policy: { name: string; summary?: string; constant: boolean; choices?: PolicyChoices };
  options: BatteryParams & { workloads: WorkloadId[] };
  metrics: Record<MetricId, MetricScore>;
  workloads: WorkloadScore[];
  /** Every question asked, in order, with the answer and what was applied. */
  decisions: DecisionRecord[];
  /** How often each answer was applied, per decision (a decision never asked has none). */
  answers: Record<DecisionId, Record<string, number>>;
  violations: PolicyViolation[];
  objections: ObjectionVerdict[];
}

/** Resolves and checks battery options; a ParameterError names the bad one. */
export function batteryParams(o: BatteryOptions = {}): BatteryParams & { workloads: WorkloadId[] } {
  if (o === null || typeof o !== "object") throw new ParameterError("options", "expected an object");
  const p = { ...BATTERY_DEFAULTS, ...stripUndefined(o) } as Required<Omit<BatteryOptions, "workloads" | "onMachine" | "cvm">>;
  checkInt("seed", p.seed, 0, 0xffffffff);
  checkInt("errors", p.errors, 0, 12);
  checkInt("retouch", p.retouch, 0, 20);
  checkInt("probes", p.probes, 0, 16);
  checkRange("signalCostUs", p.signalCostUs, 0, 1e6);
  const workloads = [...(o.workloads ?? WORKLOAD_IDS)];
  for (const w of workloads) if (!(WORKLOAD_IDS as readonly string[]).includes(w)) throw new ParameterError("workloads", `"${String(w)}" is not a workload`, `use ${WORKLOAD_IDS.join(", ")}`);
  if (workloads.length === 0) throw new ParameterError("workloads", "no workload to run", `use some of ${WORKLOAD_IDS.join(", ")}`);
  if (o.onMachine !== undefined && typeof o.onMachine !== "function") throw new ParameterError("onMachine", "expected a function");
  const design = cocoDesign(o.cvm?.design ?? "tdx-connect").id;
  const folioSize = parsePageSize(o.cvm?.folioSize ?? "1G", "cvm.folioSize");
  return { seed: p.seed, errors: p.errors, retouch: p.retouch, probes: p.probes, signalCostUs: p.signalCostUs, cvm: { design, folioSize }, workloads, ...(o.onMachine ? { onMachine: o.onMachine } : {}) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * Checks that `value` is a policy: an object whose five decisions are each a function or one of
 * that decision's choices. `where` names it in the error (a file, a cell).
 */
export function toPolicy(value: unknown, where = "the policy"): Policy {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new MfrLabError(`${where} is not a policy object`, `export an object with ${DECISION_IDS.join(", ")}`);
  }
  const v = value as Record<string, unknown>;
  for (const d of DECISION_IDS) {
    const x = v[d];
    if (typeof x === "function") continue;
    if (x === undefined) throw new MfrLabError(`${where} has no decision "${d}"`, `give a function of its context or one of ${CHOICES[d].join(", ")}`);
    if (typeof x !== "string" || !(CHOICES[d] as readonly string[]).includes(x)) {
      throw new MfrLabError(`${where}: decision "${d}" is ${JSON.stringify(x)}`, `use a function or one of ${CHOICES[d].join(", ")}`);
    }
  }
  if (v.name !== undefined && typeof v.name !== "string") throw new MfrLabError(`${where}: name must be a string`);
  return { ...(v as unknown as Policy), name: typeof v.name === "string" && v.name.trim() ? v.name : "your policy" };
}

/** Scores one policy over the battery. */
export function scorePolicy(policy: Policy, options: BatteryOptions = {}): Scorecard {
  const pol = toPolicy(policy);
  const params = batteryParams(options);
  const consult = new Consultant(pol);
  const runs: WorkloadRun[] = params.workloads.map((w) => WORKLOADS[w].run(consult, params));
  const metrics = {} as Record<MetricId, MetricScore>;
  for (const id of METRIC_IDS) {
    const sources: CostSource[] = [];
    const perWorkload: Partial<Record<WorkloadId, number>> = {};
    if (id === "violations") {
      for (const v of consult.violations) sources.push({ workload: v.workload, amount: 1, what: `${v.kind}${v.decision ? ` (${v.decision})` : ""}: ${v.detail}` });
      for (const w of params.workloads) perWorkload[w] = consult.violations.filter((v) => v.workload === w).length;
    } else {
      for (const r of runs) {
        sources.push(...r.tally.sources[id]);
        perWorkload[r.id] = r.tally.value(id);
      }
    }
    const vals = Object.values(perWorkload) as number[];
    const value = METRICS[id].aggregate === "max" ? Math.max(0, ...vals) : vals.reduce((s, x) => s + x, 0);
    metrics[id] = { id, value, perWorkload, sources };
  }
  const workloads: WorkloadScore[] = runs.map((r) => ({
    id: r.id,
    title: WORKLOADS[r.id].title,
    vmKilled: r.vmKilled,
    notes: r.notes,
    metrics: Object.fromEntries(METRIC_IDS.map((m) => [m, metrics[m].perWorkload[r.id] ?? 0])) as Record<MetricId, number>,
  }));
  const answers = Object.fromEntries(DECISION_IDS.map((d) => [d, {} as Record<string, number>])) as Record<DecisionId, Record<string, number>>;
  for (const rec of consult.decisions) answers[rec.decision][rec.applied] = (answers[rec.decision][rec.applied] ?? 0) + 1;
  const constant = isConstantPolicy(pol);
  const sources = Object.fromEntries(METRIC_IDS.map((m) => [m, metrics[m].sources])) as Record<MetricId, CostSource[]>;
  return {
    policy: { name: pol.name, ...(pol.summary ? { summary: pol.summary } : {}), constant, ...(constant ? { choices: choicesOf(pol) } : {}) },
    options: params,
    metrics,
    workloads,
    decisions: consult.decisions,
    answers,
    violations: consult.violations,
    objections: judgeObjections(sources),
  };
}

/** The constant choices of a constant policy. */
export function choicesOf(p: Policy): PolicyChoices {
  return Object.fromEntries(DECISION_IDS.map((d) => [d, p[d]])) as unknown as PolicyChoices;
}

/** Scorecards of every built-in policy (or those given), same options. */
export function scoreBuiltins(options: BatteryOptions = {}, policies: readonly Policy[] = BUILTIN_POLICIES): Scorecard[] {
  return policies.map((p) => scorePolicy(p, options));
}

/** One row per scorecard: the policy, each metric's value, and the objections it fails. */
export interface ScoreRow {
  policy: string;
  metrics: Record<MetricId, number>;
  fails: string[];
}

export function scoreRows(cards: readonly Scorecard[]): ScoreRow[] {
  return cards.map((c) => ({
    policy: c.policy.name,
    metrics: Object.fromEntries(METRIC_IDS.map((m) => [m, c.metrics[m].value])) as Record<MetricId, number>,
    fails: c.objections.filter((o) => o.failed).map((o) => o.id),
  }));
}
