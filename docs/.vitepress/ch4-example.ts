// Chapter 4's running example, shared by its build-time values (lib-values-ch4.ts), its chart and the
// site test, so the prose and the chart's starting position describe the same confidential VM.
// Sizes are chosen for the example; 2M and 1G guest_memfd folios are the 1G RFC's, not mainline's.
import type { PageSize } from "../../src/core/units.js";
import type { CocoDesignId } from "../../src/guest_memfd/designs.js";
import { gmemOutcomeRows, type GmemOutcomeRow } from "../../src/guest_memfd/series.js";
import { GMEM_POLICIES, type GmemPolicy } from "../../src/guest_memfd/vm.js";

export const CH4_EXAMPLE = {
  /** Private memory of the VM: one guest_memfd file bound to one memslot at GFN 0. */
  memory: "16G",
  folioSize: "1G" as PageSize,
  /** Memory errors on distinct, uniformly drawn private GFNs. */
  errors: 4,
  /** vCPU accesses and device DMAs after the errors, uniform over private memory. */
  accesses: 10_000,
  dmas: 10_000,
  seed: 1,
  /** The chart's slider range. */
  maxErrors: 32,
  /** Share of accesses and DMAs that go back to a poisoned page (gmemPolicyOutcome's retouch): 0 in the table. */
  retouch: 0,
  /** The chart's retouch slider goes up to this many percent. */
  maxRetouchPercent: 20,
  /** The poisoned page of the single-error walkthrough: GFN 0x40005, in the second 1G folio. */
  poisonGfn: 0x40005,
  /** A healthy GFN in the same 1G folio, and one in another folio. */
  healthyGfn: 0x40007,
  otherGfn: 0x10,
};

/** The policies in the order the chapter's table and chart show them. */
export const CH4_POLICIES: readonly GmemPolicy[] = GMEM_POLICIES;
export const CH4_POLICY_LABEL: Record<GmemPolicy, string> = {
  "zap-folio": "zap the folio (mainline)",
  "keep-mapped": "keep mapped (Jason)",
  "split-then-zap": "split, zap 4K (proposal)",
};
export const CH4_DESIGN_SHORT: Record<CocoDesignId, string> = {
  "tdx-connect": "TDX Connect",
  "sev-snp": "SEV-SNP/TIO",
  "arm-cca": "Arm CCA",
  pkvm: "pKVM",
  "no-device": "no device",
};

/** Every policy × design on the example's workload, with the folio size and error count overridden. */
export function ch4Outcomes(o: { folioSize?: PageSize; errors?: number; retouch?: number } = {}): GmemOutcomeRow[] {
  const ex = CH4_EXAMPLE;
  return gmemOutcomeRows({
    memory: ex.memory,
    folioSize: o.folioSize ?? ex.folioSize,
    errors: o.errors ?? ex.errors,
    accesses: ex.accesses,
    dmas: ex.dmas,
    seed: ex.seed,
    retouch: o.retouch ?? ex.retouch,
  });
}
