import { checkInt, checkRange, ParameterError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import type { PageSize } from "../core/units.js";
import { cocoDesign, type CocoDesignId } from "./designs.js";
import { GuestMemfdVm, type GmemPolicy, type HwpoisonScope } from "./vm.js";

/** What the model assumes; shown next to every result (notebook, page). */
export const GMEM_ASSUMPTIONS: readonly string[] = [
  "Mainline guest_memfd (7.3.4 as 6.12.117) allocates order-0 (4K) folios (kvm_gmem_get_folio(): \"TODO: Support huge pages\", a WARN on a large folio, kvm_gmem_get_pfn() reports max_order 0). 2M and 1G folios are the 1G RFC's (Ackerley Tng, Sep 2024 / May 2025), whose TODO says memory error handling is not implemented: the model assumes such a folio reaches kvm_gmem_error_folio() whole, as a 4K one does.",
  "hwpoisonScope \"folio\" (default): after an error every GFN of a large folio refuses to fault back in, as the RFC author describes (\"later fault to any part of the HWPoison-ed folio\"); \"page\": only the poisoned GFN does. PG_hwpoison is per page and folio_test_hwpoison() reads the head page, so which one the RFC's folios get is not confirmed.",
  "A folio is mapped in stage-2 by one leaf of its own size (kvm_max_private_mapping_level() caps the level by the folio's order); a GFN faulted back in after a zap is counted as a 4K leaf.",
  "keep-mapped and split-then-zap are policies under discussion, not kernel code; they are assumed to report MF_DELAYED to truncate_error_folio() like kvm_gmem_error_folio().",
  "truncate_error_folio() treats error_remove_folio()'s MF_DELAYED (2) as a failure: MF_FAILED, memory_failure() returns -EBUSY. Checked in 7.3.4 and 6.12.117 (identical): Lisa Wang's RFC fix (Oct 2025) is not merged. The zap has already happened either way.",
  "A device cannot fault a zapped GFN back in; only a vCPU fault maps it again.",
  "A device reading a poisoned page is counted as a consumption; what the platform does with it (containment, poisoned completion) is not modelled.",
  "Faulting a zapped private page back in is modelled as free and keeping its contents; for real confidential guests that is architecture-specific and not confirmed here.",
  "Errors, vCPU accesses and DMAs fall uniformly on private memory, independently (except the `retouch` share of accesses, aimed at a poisoned GFN); all errors come first, then accesses and DMAs alternate.",
  "CoCo design records follow the course fact brief (iommufd/guest_memfd thread, Feb 2026); entries marked ASSUMPTION are not sourced, and which vendors share page tables physically is UNVERIFIED.",
];

/**
 * Kernel functions the model follows, with the tree each was checked in: Linux 7.3.4, and 6.12.117
 * where it differs (names as in 7.3; the 6.12 name is given when it was renamed).
 */
export const GMEM_KERNEL_SOURCES: readonly { path: string; ident: string; read: string }[] = [
  { path: "virt/kvm/guest_memfd.c", ident: "kvm_gmem_error_folio", read: "7.3.4; the same in 6.12.117 (whole-folio range, no truncate, MF_DELAYED)" },
  { path: "virt/kvm/guest_memfd.c", ident: "kvm_gmem_invalidate_start", read: "7.3.4; kvm_gmem_invalidate_begin() in 6.12.117" },
  { path: "virt/kvm/guest_memfd.c", ident: "kvm_gmem_get_pfn", read: "7.3.4 and 6.12.117 (__kvm_gmem_get_pfn(): -EHWPOISON on folio_test_hwpoison())" },
  { path: "virt/kvm/guest_memfd.c", ident: "kvm_gmem_get_folio", read: "7.3.4 and 6.12.117 (\"TODO: Support huge pages\", order 0)" },
  { path: "virt/kvm/guest_memfd.c", ident: "kvm_gmem_commit_memory_region", read: "7.3.4 (bindings stored, overlap -EEXIST); kvm_gmem_bind() in 6.12.117" },
  { path: "arch/x86/kvm/mmu/mmu.c", ident: "kvm_mmu_faultin_pfn_gmem", read: "7.3.4; kvm_faultin_pfn_private() in 6.12.117 (both: kvm_mmu_prepare_memory_fault_exit() on a kvm_gmem_get_pfn() error)" },
  { path: "arch/x86/kvm/mmu/mmu.c", ident: "kvm_faultin_pfn_private", read: "6.12.117 (kvm_mmu_faultin_pfn_gmem() in 7.3.4)" },
  { path: "arch/x86/kvm/mmu/mmu.c", ident: "kvm_handle_error_pfn", read: "7.3.4 and 6.12.117: KVM_PFN_ERR_HWPOISON → kvm_send_hwpoison_signal()" },
  { path: "arch/x86/kvm/mmu/mmu.c", ident: "kvm_send_hwpoison_signal", read: "7.3.4 and 6.12.117: send_sig_mceerr(BUS_MCEERR_AR, hva, PAGE_SHIFT, current)" },
  { path: "include/linux/kvm_host.h", ident: "kvm_prepare_memory_fault_exit", read: "7.3.4 and 6.12.117 (gpa = gfn << PAGE_SHIFT, size PAGE_SIZE, KVM_MEMORY_EXIT_FLAG_PRIVATE)" },
  { path: "mm/memory-failure.c", ident: "truncate_error_folio", read: "7.3.4 and 6.12.117, identical: error_remove_folio() != 0 → \"Failed to punch page\", MF_FAILED (Lisa Wang's Oct 2025 fix not merged)" },
];

export interface GmemPolicyOutcomeOptions {
  memory: string | number;
  folioSize: PageSize;
  /** Memory errors, on distinct GFNs chosen uniformly. */
  errors: number;
  /** vCPU accesses, uniform over private memory, after the errors. */
  accesses: number;
  /** Device DMAs, uniform over private memory, interleaved with the accesses. */
  dmas: number;
  policy: GmemPolicy;
  design: CocoDesignId;
  seed: number;
  hwpoisonScope?: HwpoisonScope;
  baseGfn?: number;
  /**
   * Probability (0–1, default 0) that a vCPU access or a DMA goes to one of the poisoned GFNs
   * instead of a uniform one: a guest that was never told keeps using its page. With 0 the run
   * is uniform, and a handful of errors in gigabytes is almost never touched again.
   */
  retouch?: number;
}

export interface GmemPolicyOutcome {
  /** Healthy GFNs the guest cannot get back after the errors. */
  healthyGfnsLost: number;
  /** healthyGfnsLost / healthy private GFNs. */
  healthyFractionLost: number;
  /** Healthy GFNs unmapped right after the errors (with a shared stage-2, gone for DMA until a vCPU faults them back). */
  healthyGfnsUnmapped: number;
  zappedGfns: number;
  poisonedGfns: number;
  exits: number;
  dmaFaults: number;
  consumptions: number;
  /** Stage-2 leaf entries for private memory after the errors (splitting costs entries). */
  stage2Leaves: number;
  /** The GFNs that were poisoned, in order. */
  errorGfns: number[];
  assumptions: string[];
}

/**
 * A seeded run: `errors` memory errors on random GFNs (memory_failure() → the policy), then
 * `accesses` vCPU accesses and `dmas` device DMAs, uniform over the guest's private memory.
 * What the policy costs under the design: healthy GFNs lost, KVM_EXIT_MEMORY_FAULT exits, DMA
 * faults and repeated poison consumptions. Same inputs, same numbers.
 */
export function gmemPolicyOutcome(o: GmemPolicyOutcomeOptions): GmemPolicyOutcome {
  if (!o || typeof o !== "object") throw new ParameterError("options", "expected { memory, folioSize, errors, accesses, dmas, policy, design, seed }");
  const vm = new GuestMemfdVm({ memory: o.memory, folioSize: o.folioSize, policy: o.policy, design: o.design, seed: o.seed, hwpoisonScope: o.hwpoisonScope, baseGfn: o.baseGfn });
  checkInt("errors", o.errors, 0, Math.min(vm.privateGfns, 100_000));
  checkInt("accesses", o.accesses, 0, 10_000_000);
  checkInt("dmas", o.dmas, 0, 10_000_000);
  checkInt("seed", o.seed, 0, 0xffffffff);
  const retouch = checkRange("retouch", o.retouch ?? 0, 0, 1);
  const rng = new Rng(o.seed);
  const pick = () => vm.baseGfn + rng.nextInt(vm.privateGfns);
  // Only draws the extra random number when retouch > 0, so retouch 0 keeps the uniform run's numbers.
  const target = () => (retouch > 0 && errorGfns.length > 0 && rng.next() < retouch ? errorGfns[rng.nextInt(errorGfns.length)] : pick());
  const errorGfns: number[] = [];
  const seen = new Set<number>();
  while (errorGfns.length < o.errors) {
    const g = pick();
    if (seen.has(g)) continue;
    seen.add(g);
    errorGfns.push(g);
    vm.poison(g);
  }
  const after = vm.metrics();
  for (let i = 0; i < Math.max(o.accesses, o.dmas); i++) {
    if (i < o.accesses) vm.vcpuAccess(target());
    if (i < o.dmas) vm.dma(target());
  }
  const end = vm.metrics();
  const healthy = vm.privateGfns - after.poisonedGfns;
  const design = cocoDesign(o.design);
  return {
    healthyGfnsLost: after.healthyGfnsLost,
    healthyFractionLost: healthy > 0 ? after.healthyGfnsLost / healthy : 0,
    healthyGfnsUnmapped: after.healthyGfnsUnmapped,
    zappedGfns: after.zappedGfns,
    poisonedGfns: after.poisonedGfns,
    exits: end.exits,
    dmaFaults: end.dmaFaults,
    consumptions: end.consumptions,
    stage2Leaves: after.stage2Leaves,
    errorGfns,
    assumptions: [
      ...GMEM_ASSUMPTIONS,
      `design ${design.name}: device DMA ${design.iommuSharesStage2 ? "shares the CPU's stage-2" : "uses its own IOMMU tables"} (${design.sharingBasis}); a DMA to an unmapped GFN: ${design.dmaToUnmapped}`,
    ],
  };
}
