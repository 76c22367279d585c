// A userspace MFR policy (Chapter 6): the five decisions the LKML thread argues about, as code the
// models consult where the kernel, or the RFC, would decide. Types only; the table that describes
// each decision is decisions.ts, the built-in policies builtins.ts.
import type { PageSize } from "../core/units.js";
import type { CocoDesignId } from "../guest_memfd/designs.js";

/** A UE in a guest memfd page: keep it mapped (the RFC's MFD_MF_KEEP_UE_MAPPED), unmap it (mainline), or split the folio first. */
export type MemfdUeChoice = "keep-mapped" | "unmap" | "split";
/** Poisoned folios leave a kept memfd: offline them in one batch (v1), one folio at a time (v2/v3), when their last reference drops, or leave them. */
export type ReleaseChoice = "at-once" | "per-folio" | "deferred" | "leave";
/** A poisoned folio is long-term pinned: offline it anyway, refuse with -EBUSY, or revoke the pinning mapping. */
export type PinnedChoice = "offline" | "ebusy" | "revoke";
/** An error in a guest_memfd folio: zap the whole folio (mainline), keep it mapped in the secure world, split then zap 4K. */
export type GmemChoice = "zap-folio" | "keep-mapped" | "split-then-zap";
/** An error in a driver-owned PFN range: unmap the page, keep it mapped (and signal), or hand it to the owning driver (mainline 7.3). */
export type PfnChoice = "unmap" | "keep" | "driver";

export type DecisionId = "memfdUe" | "release" | "pinned" | "gmemError" | "pfnError";
export const DECISION_IDS: readonly DecisionId[] = ["memfdUe", "release", "pinned", "gmemError", "pfnError"];

export interface ChoiceOf {
  memfdUe: MemfdUeChoice;
  release: ReleaseChoice;
  pinned: PinnedChoice;
  gmemError: GmemChoice;
  pfnError: PfnChoice;
}

/** Every choice of every decision, in the order the course lists them (the mainline one first where there is one). */
export const CHOICES: { readonly [D in DecisionId]: readonly ChoiceOf[D][] } = {
  memfdUe: ["unmap", "keep-mapped", "split"],
  release: ["leave", "at-once", "per-folio", "deferred"],
  pinned: ["offline", "ebusy", "revoke"],
  gmemError: ["zap-folio", "keep-mapped", "split-then-zap"],
  pfnError: ["driver", "keep", "unmap"],
};

/** The battery's workloads (scorecard.ts): one per chapter that has a decision to make. */
export type WorkloadId = "vm-thp" | "vm-1g" | "dma" | "cvm" | "vfio";
export const WORKLOAD_IDS: readonly WorkloadId[] = ["vm-thp", "vm-1g", "dma", "cvm", "vfio"];

/**
 * Asked once per guest memfd, when the VMM creates it: the RFC makes the policy a property of the
 * memfd (MFD_MF_KEEP_UE_MAPPED at memfd_create()), which memory_failure() reads at every error in it.
 */
export interface MemfdUeContext {
  decision: "memfdUe";
  workload: WorkloadId;
  /** hugetlbfs (MFD_HUGETLB) or shmem with THP. */
  fs: "hugetlbfs" | "shmem";
  folioSize: "2M" | "1G";
  memfdBytes: number;
  /** The VMM will also map it for a device through iommufd (long-term pins for the VM's life). */
  forDevice: boolean;
}

/** Asked when poisoned folios leave a memfd whose UEs are kept mapped (truncate, hole punch, release). */
export interface ReleaseContext {
  decision: "release";
  workload: WorkloadId;
  reason: string;
  folioSize: PageSize;
  /** Poisoned folios being removed, and how many of them a device still pins. */
  poisonedFolios: number;
  pinnedFolios: number;
}

/** Asked when a poisoned folio is long-term pinned: at the error, and when the memfd releases it. */
export interface PinnedContext {
  decision: "pinned";
  workload: WorkloadId;
  when: "error" | "release";
  folioSize: PageSize;
  /** Long-term pins on the folio. */
  pins: number;
  /** The pin holder can be told to let go (an fd-based IOMMU_IOAS_MAP_FILE mapping; a VA-based one cannot). */
  revocable: boolean;
  /** The memfd keeps UEs mapped. */
  keptMapped: boolean;
}

/** Asked at each error in a confidential guest's private (guest_memfd) memory. */
export interface GmemErrorContext {
  decision: "gmemError";
  workload: WorkloadId;
  folioSize: PageSize;
  design: CocoDesignId;
  /** The device's DMA is translated by the CPU's stage-2 (a zap also cuts the device off). */
  iommuSharesStage2: boolean;
  hasDevice: boolean;
  errorsSoFar: number;
  /** Errors already in this folio. */
  errorsInFolio: number;
}

/** Asked at each error in device memory without struct page (a VFIO BAR mapped into the VMM). */
export interface PfnErrorContext {
  decision: "pfnError";
  workload: WorkloadId;
  device: string;
  /** The device's driver registered the range (register_pfn_address_space()). */
  registered: boolean;
  /** Leaf size of the huge pfnmap holding the page. */
  leafSize: PageSize;
  regionBytes: number;
  errorsSoFar: number;
}

export interface ContextOf {
  memfdUe: MemfdUeContext;
  release: ReleaseContext;
  pinned: PinnedContext;
  gmemError: GmemErrorContext;
  pfnError: PfnErrorContext;
}

/** One decision: a function of its context, or a constant choice. */
export type Decide<D extends DecisionId> = ChoiceOf[D] | ((ctx: Readonly<ContextOf[D]>) => ChoiceOf[D]);

/**
 * A userspace MFR policy: an answer at each decision point. Mainline 7.3, the RFC's versions and the
 * thread's alternatives are Policies too (builtins.ts), so a student's stands in the same line-up.
 */
export interface Policy {
  name: string;
  /** One line: what this policy is and whose idea. */
  summary?: string;
  memfdUe: Decide<"memfdUe">;
  release: Decide<"release">;
  pinned: Decide<"pinned">;
  gmemError: Decide<"gmemError">;
  pfnError: Decide<"pfnError">;
}

/** A policy whose every decision is a constant (what the site's picker builds). */
export type PolicyChoices = ChoiceOf;

/** A Policy from constant choices. */
export function policyFromChoices(choices: PolicyChoices, name = "your policy", summary?: string): Policy {
  return { name, ...(summary ? { summary } : {}), ...choices };
}

/** True when every decision of `p` is a constant (then it is fully described by its choices). */
export function isConstantPolicy(p: Policy): boolean {
  return DECISION_IDS.every((d) => typeof p[d] === "string");
}
