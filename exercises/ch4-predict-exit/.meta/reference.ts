// Exercise 4.3 — Predict the exit: KVM_EXIT_MEMORY_FAULT or SIGBUS (Chapter 4).
// Private guest_memfd memory reports a poisoned page as a KVM_EXIT_MEMORY_FAULT; shared memory as a
// SIGBUS at the host virtual address. The tests build each VM with the library's GuestMemfdVm,
// poison it, run the access and compare.
// Reference solution: the student's file is generated from this one (see src/grader/stubs.ts). // reference-only
import {
  KVM_EXIT_MEMORY_FAULT, KVM_MEMORY_EXIT_FLAG_PRIVATE, PAGE_SHIFT, basePagesPer, type GmemPolicy, type PageSize,
} from "../../../src/index.js";

export interface ExitScenario {
  /** The memslot's GFNs start at baseGfn; file page = gfn − baseGfn. */
  baseGfn: number;
  folioSize: PageSize;
  policy: GmemPolicy;
  /** "folio": a poisoned folio refuses every GFN on re-fault; "page": only the poisoned GFN. */
  hwpoisonScope: "folio" | "page";
  /** GFNs hit by memory errors (memory_failure() ran for each, under the policy), distinct. */
  poisoned: number[];
  /** userspace_addr of the memslot's shared view: GFN baseGfn + i is at sharedHva + i × 4096. */
  sharedHva: number;
  /**
   * What the vCPU touches next: a private GFN, or a byte of shared memory through its HVA (the
   * shared page behind it is poisoned; GUP finds it so).
   */
  access: { private: true; gfn: number } | { private: false; hva: number };
}

export type Seen =
  /** The access completes (the GFN is mapped, or a fault maps it back). */
  | { kind: "none" }
  /** Stage-2 still maps the poisoned page: the access reads poison again. */
  | { kind: "poison-consumed" }
  /** KVM_RUN fails with errno EHWPOISON and kvm_run.memory_fault filled in. */
  | { kind: "KVM_EXIT_MEMORY_FAULT"; exitReason: number; gpa: number; size: number; flags: number; errno: "EHWPOISON" }
  /** kvm_send_hwpoison_signal(): SIGBUS to the vCPU thread. */
  | { kind: "SIGBUS"; code: "BUS_MCEERR_AR"; addr: number; lsb: number };

/**
 * What the access shows. Think about: is the GFN still mapped in stage-2 under the policy; if not,
 * does kvm_gmem_get_pfn() refuse it (folio_test_hwpoison()); which fields
 * kvm_prepare_memory_fault_exit() fills; and what kvm_send_hwpoison_signal() sends for shared memory.
 */
export function predictExit(s: ExitScenario): Seen {
  // BEGIN SOLUTION: shared → SIGBUS at the page's HVA; private → mapped?, then refused?
  if (!s.access.private) {
    // send_sig_mceerr(BUS_MCEERR_AR, hva of the page, PAGE_SHIFT, current) on x86.
    const addr = s.sharedHva + Math.floor((s.access.hva - s.sharedHva) / 4096) * 4096;
    return { kind: "SIGBUS", code: "BUS_MCEERR_AR", addr, lsb: PAGE_SHIFT };
  }
  const gfn = s.access.gfn;
  const nr = basePagesPer(s.folioSize);
  const folio = (g: number) => Math.floor((g - s.baseGfn) / nr);
  const poisoned = s.poisoned.includes(gfn);
  const folioPoisoned = s.poisoned.some((g) => folio(g) === folio(gfn));
  const mapped = s.policy === "keep-mapped" ? true : s.policy === "split-then-zap" ? !poisoned : !folioPoisoned;
  if (mapped) return poisoned ? { kind: "poison-consumed" } : { kind: "none" };
  // Zapped: kvm_mmu_faultin_pfn_gmem() → kvm_gmem_get_pfn(): -EHWPOISON if folio_test_hwpoison().
  const refused = poisoned || (s.hwpoisonScope === "folio" && folioPoisoned);
  if (!refused) return { kind: "none" };
  return { kind: "KVM_EXIT_MEMORY_FAULT", exitReason: KVM_EXIT_MEMORY_FAULT, gpa: gfn * 4096, size: 4096, flags: KVM_MEMORY_EXIT_FLAG_PRIVATE, errno: "EHWPOISON" };
  // END SOLUTION
}
