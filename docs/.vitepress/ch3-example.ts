// Chapter 3's running example, shared by its build-time values (lib-values-ch3.ts) and its charts,
// so the prose and the charts' starting positions describe the same VM.
import { heldBackOverVmLife, type VmLifeOptions, type VmLifeSeries } from "../../src/iommufd/vm-life.js";
import type { PinPolicy } from "../../src/iommufd/iommufd.js";

/** A VM with a passthrough device: 8G of guest RAM in 1G HugeTLB folios, 30 days, seeded errors. */
export const CH3_EXAMPLE = {
  guest: "8G",
  pageSize: "1G" as const,
  days: 30,
  errors: 3,
  dmaPerDay: 8,
  seed: 1,
  /** After each error the VMM punches the poisoned folio out of the memfd, wanting it freed. */
  punchPoisoned: true,
  maxErrors: 12,
  maxDmaPerDay: 64,
};

/** The pin policies Chapter 3 compares, in the order its charts and tables show them. */
export const CH3_POLICIES: PinPolicy[] = ["none", "ebusy", "revoke"];
export const CH3_POLICY_LABEL: Record<PinPolicy, string> = { none: "none (mainline)", ebusy: "-EBUSY", revoke: "revoke" };

/** The example VM's life under one policy (heldBackOverVmLife), with some example values overridden. */
export function ch3VmLife(policy: PinPolicy, o: Partial<VmLifeOptions> = {}): VmLifeSeries {
  const ex = CH3_EXAMPLE;
  return heldBackOverVmLife({ policy, errors: ex.errors, guest: ex.guest, pageSize: ex.pageSize, days: ex.days, dmaPerDay: ex.dmaPerDay, seed: ex.seed, punchPoisoned: ex.punchPoisoned, ...o });
}
