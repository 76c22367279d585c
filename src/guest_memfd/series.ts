import { checkInt, ParameterError } from "../core/errors.js";
import { basePagesPer, PAGE_SIZES, parsePageSize, type PageSize } from "../core/units.js";
import { COCO_DESIGNS, cocoDesign, type CocoDesignId } from "./designs.js";
import { gmemPolicyOutcome, type GmemPolicyOutcomeOptions } from "./outcome.js";
import { GMEM_POLICIES, GuestMemfdVm, type GmemPolicy, type HwpoisonScope } from "./vm.js";

/** Data series for the Chapter 4 charts (src/viz/guest-memfd.ts), computed from the model. */

/** What one error costs, per folio size and policy. */
export interface GmemZapRow {
  folioSize: PageSize;
  policy: GmemPolicy;
  /** GFNs zapped from stage-2 by the error. */
  zappedGfns: number;
  /** Healthy GFNs the guest cannot fault back in. */
  healthyGfnsLost: number;
  /** Stage-2 leaves that map the folio's range afterwards. */
  stage2Leaves: number;
}

/** One error in the middle of a folio, for each folio size × policy, on a fresh VM each time. */
export function gmemZapRows(opts: { folioSizes?: readonly PageSize[]; policies?: readonly GmemPolicy[]; hwpoisonScope?: HwpoisonScope } = {}): GmemZapRow[] {
  const sizes = opts.folioSizes ?? PAGE_SIZES;
  const policies = opts.policies ?? GMEM_POLICIES;
  if (!sizes.length || !policies.length) throw new ParameterError("folioSizes/policies", "nothing to compute", "pass at least one folio size and one policy");
  const rows: GmemZapRow[] = [];
  for (const folioSize of sizes) {
    for (const policy of policies) {
      const vm = new GuestMemfdVm({ memory: "2G", folioSize, policy, hwpoisonScope: opts.hwpoisonScope });
      const [a, b] = vm.folioGfns(0);
      const r = vm.poison(a + Math.floor((b - a) / 2));
      rows.push({ folioSize, policy, zappedGfns: r.zappedGfns, healthyGfnsLost: r.healthyGfnsLost, stage2Leaves: r.stage2Leaves });
    }
  }
  return rows;
}

/** One policy × design cell of a seeded run. */
export interface GmemOutcomeRow {
  policy: GmemPolicy;
  design: CocoDesignId;
  designName: string;
  iommuSharesStage2: boolean;
  /** false for "no-device". */
  hasDevice: boolean;
  healthyGfnsLost: number;
  healthyFractionLost: number;
  exits: number;
  dmaFaults: number;
  consumptions: number;
  stage2Leaves: number;
}

/** gmemPolicyOutcome() for every policy × design, same seed and workload. */
export function gmemOutcomeRows(
  base: Omit<GmemPolicyOutcomeOptions, "policy" | "design">,
  policies: readonly GmemPolicy[] = GMEM_POLICIES,
  designs: readonly CocoDesignId[] = COCO_DESIGNS.map((d) => d.id),
): GmemOutcomeRow[] {
  if (!policies.length || !designs.length) throw new ParameterError("policies/designs", "nothing to compute", "pass at least one policy and one design");
  const rows: GmemOutcomeRow[] = [];
  for (const design of designs) {
    const d = cocoDesign(design);
    for (const policy of policies) {
      const r = gmemPolicyOutcome({ ...base, policy, design });
      rows.push({ policy, design, designName: d.name, iommuSharesStage2: d.iommuSharesStage2, hasDevice: d.hasDevice, healthyGfnsLost: r.healthyGfnsLost, healthyFractionLost: r.healthyFractionLost, exits: r.exits, dmaFaults: r.dmaFaults, consumptions: r.consumptions, stage2Leaves: r.stage2Leaves });
    }
  }
  return rows;
}

export type GfnState = ReturnType<GuestMemfdVm["gfnState"]>;

/** A run of GFNs [start, end) in the same state. */
export interface GfnRun {
  start: number;
  end: number;
  state: GfnState;
}

/** The GFN states of [from, to) as runs (for a strip chart around an error). At most 4M GFNs. */
export function gmemGfnRuns(vm: GuestMemfdVm, from: number, to: number): GfnRun[] {
  checkInt("from", from, vm.baseGfn, vm.baseGfn + vm.privateGfns - 1);
  checkInt("to", to, from + 1, Math.min(vm.baseGfn + vm.privateGfns, from + 4 * 1024 * 1024));
  const runs: GfnRun[] = [];
  for (let g = from; g < to; g++) {
    const s = vm.gfnState(g);
    const last = runs[runs.length - 1];
    if (last && last.state === s && last.end === g) last.end = g + 1;
    else runs.push({ start: g, end: g + 1, state: s });
  }
  return runs;
}

/** One lane of the GFN strip chart: the states of a GFN window under one policy. */
export interface GmemStripLane {
  label: string;
  policy: GmemPolicy;
  /** The window [from, to) in GFNs; runs tile it. */
  from: number;
  to: number;
  runs: GfnRun[];
  /** The GFN that was poisoned. */
  poisonedGfn: number;
}

/**
 * For each policy, a fresh VM of three `folioSize` folios with one error in the middle of the
 * middle folio, and the GFN states of the whole VM afterwards (the neighbours show what is kept).
 */
export function gmemStripLanes(opts: { folioSize: PageSize; policies?: readonly GmemPolicy[]; hwpoisonScope?: HwpoisonScope; offsetInFolio?: number }): GmemStripLane[] {
  if (!opts || typeof opts !== "object") throw new ParameterError("options", "expected { folioSize, … }");
  const policies = opts.policies ?? GMEM_POLICIES;
  if (!policies.length) throw new ParameterError("policies", "nothing to compute", "pass at least one policy");
  const lanes: GmemStripLane[] = [];
  for (const policy of policies) {
    const vm = new GuestMemfdVm({ memory: 3 * 4096 * basePagesPer(parsePageSize(opts.folioSize, "folioSize")), folioSize: opts.folioSize, policy, hwpoisonScope: opts.hwpoisonScope });
    const [a, b] = vm.folioGfns(1);
    const off = opts.offsetInFolio ?? Math.floor((b - a) / 2);
    checkInt("offsetInFolio", off, 0, b - a - 1);
    vm.poison(a + off);
    lanes.push({ label: policy, policy, from: vm.baseGfn, to: vm.baseGfn + vm.privateGfns, runs: gmemGfnRuns(vm, vm.baseGfn, vm.baseGfn + vm.privateGfns), poisonedGfn: a + off });
  }
  return lanes;
}
