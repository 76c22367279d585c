import { checkInt, ParameterError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { basePagesPer, formatSize, PAGE_SHIFT, parsePageSize, parseSize, type PageSize } from "../core/units.js";
import { EBUSY, EHWPOISON } from "../mfr/constants.js";
import { cocoDesign, type CocoDesign, type CocoDesignId } from "./designs.js";
import { KVM_EXIT_MEMORY_FAULT, KVM_MEMORY_EXIT_FLAG_PRIVATE, kvmGmemErrorFolio, kvmGmemGetIndex, type GmemBinding } from "./kvm-gmem.js";

/**
 * A confidential VM whose private memory is one guest_memfd file bound to one memslot, and what
 * a memory error in it costs the guest under three policies:
 * - "zap-folio": mainline kvm_gmem_error_folio() (virt/kvm/guest_memfd.c): zap the whole folio's
 *   GFNs from stage-2, no truncate;
 * - "keep-mapped": Jason Gunthorpe's reframing (20 Jan 2025): leave the pages mapped in the secure
 *   world, as a keep-UE-mapped memfd would leave them in the VMA;
 * - "split-then-zap": a proposal built on the 1G RFC's suggested optimisation (split 1G→2M first,
 *   to 4K only when needed): split down to the poisoned 4K and zap only that. Not kernel code.
 * Fault paths as read: kvm_mmu_faultin_pfn_gmem() / kvm_handle_error_pfn() /
 * kvm_send_hwpoison_signal() in arch/x86/kvm/mmu/mmu.c and kvm_prepare_memory_fault_exit() in
 * include/linux/kvm_host.h, checked in 7.3.4 and 6.12.117 (kvm_faultin_pfn_private() there).
 */

export type GmemPolicy = "zap-folio" | "keep-mapped" | "split-then-zap";
export const GMEM_POLICIES: readonly GmemPolicy[] = ["zap-folio", "keep-mapped", "split-then-zap"];

/**
 * What __kvm_gmem_get_pfn()'s folio_test_hwpoison(folio) reports for a large folio with one
 * poisoned page. PG_hwpoison is a per-page flag (PAGEFLAG(HWPoison, hwpoison, PF_ANY)) and the
 * test reads the folio's head page: a hugetlb folio is marked as a whole, a THP only on the raw
 * page. "folio": every GFN of the folio refuses to fault back in (the RFC author's description:
 * "later fault to any part of the HWPoison-ed folio" gets KVM_PFN_ERR_HWPOISON); "page": only the
 * poisoned GFN does. For 4K folios (mainline) both are the same. Which one the RFC's 1G folios
 * get is not confirmed.
 */
export type HwpoisonScope = "folio" | "page";

export interface GuestMemfdVmOptions {
  /** Private memory size, e.g. "16G" (a whole number of folios). */
  memory: string | number;
  /** guest_memfd folio size: "4K" is mainline (order-0 folios); "2M"/"1G" are the 1G RFC's (Ackerley Tng, 2024–2025). */
  folioSize: PageSize;
  /** base GFN of the memslot bound to file offset 0 (default 0). */
  baseGfn?: number;
  policy?: GmemPolicy;
  design?: CocoDesignId;
  /** Seed for randomGfns() (default 1). */
  seed?: number;
  /** Default "folio" (an assumption for 2M/1G, see HwpoisonScope). */
  hwpoisonScope?: HwpoisonScope;
  /**
   * false (default): truncate_error_folio() as read reports error_remove_folio()'s MF_DELAYED (2)
   * as a failure ("err != 0"): MF_FAILED, memory_failure() returns -EBUSY. true: the fix proposed
   * in "[RFC PATCH 1/3] mm: memory_failure: Fix MF_DELAYED handling on truncation during failure"
   * (Lisa Wang, 15 Oct 2025): MF_DELAYED is passed through and memory_failure() returns 0.
   */
  mfDelayedFix?: boolean;
  /** userspace_addr of the memslot's shared (HVA-backed) view, for sharedAccess() (default 0x7f0000000000). */
  sharedHva?: number;
}

export interface GmemPoisonResult {
  /** memory_failure()'s action_result(): MF_FAILED with the code as read, MF_DELAYED with the proposed fix. */
  result: "MF_DELAYED" | "MF_FAILED";
  /** memory_failure()'s return: 0 (MF_DELAYED), -EBUSY (MF_FAILED), -EHWPOISON (page already poisoned). */
  ret: number;
  /** What the .error_remove_folio a_op returned (kvm_gmem_error_folio: always MF_DELAYED). */
  errorRemoveFolio: "MF_DELAYED" | "none";
  /** GFNs whose stage-2 entries this error zapped. */
  zappedGfns: number;
  /** Healthy GFNs this error made unusable for the guest (zapped, and a re-fault exits). */
  healthyGfnsLost: number;
  /** GFN range [start, end) of the folio holding the poisoned page. */
  range: [number, number];
  /** File index range [start, end) of that folio. */
  index: [number, number];
  /** Stage-2 leaf entries mapping that folio's range afterwards (1 = still one huge leaf). */
  stage2Leaves: number;
  /** kvm_gmem_error_folio() never truncates. */
  truncated: false;
  alreadyPoisoned: boolean;
  /** With actionRequired and MF_FAILED: kill_me_maybe() "Memory error not recovered" → force_sig(SIGBUS), no si_addr. */
  vmmSignal?: string;
  steps: string[];
}

export interface KvmRunMemoryFault {
  /** kvm_run.memory_fault.flags: KVM_MEMORY_EXIT_FLAG_PRIVATE for a private access; no RWX bits. */
  flags: number;
  gpa: number;
  size: number;
}

export interface VcpuAccessResult {
  result: "ok" | "KVM_EXIT_MEMORY_FAULT" | "poison-consumed";
  /** kvm_run.exit_reason (KVM_EXIT_MEMORY_FAULT = 39) when the access returns to the VMM. */
  exitReason?: number;
  memoryFault?: KvmRunMemoryFault;
  /** KVM_RUN returns -1 with errno EHWPOISON (kvm_mmu_faultin_pfn_gmem() returns kvm_gmem_get_pfn()'s -EHWPOISON). */
  errno?: "EHWPOISON";
  /** The GFN was zapped and a fault mapped it back (kvm_gmem_get_pfn() succeeded). */
  refaulted?: boolean;
  note: string;
}

export interface GmemDmaResult {
  result: "ok" | "dma-fault" | "poison-consumed" | "no-device";
  note: string;
}

export interface SharedAccessResult {
  signal: "SIGBUS";
  code: "BUS_MCEERR_AR";
  /** si_addr: gfn_to_hva_memslot(slot, gfn), the shared page's HVA. */
  addr: number;
  /** si_addr_lsb: PAGE_SHIFT on x86, whatever backs the page. */
  lsb: number;
  gfn: number;
  steps: string[];
}

export interface GmemMetrics {
  privateGfns: number;
  /** GFNs not mapped in stage-2 right now. */
  zappedGfns: number;
  /** Healthy GFNs the guest cannot get back (zapped, re-fault exits). */
  healthyGfnsLost: number;
  /** Healthy GFNs not mapped right now (with a shared stage-2, also gone for DMA). */
  healthyGfnsUnmapped: number;
  poisonedGfns: number;
  /** KVM_EXIT_MEMORY_FAULT exits the VMM saw. */
  exits: number;
  dmaFaults: number;
  /** Accesses (vCPU or device) that read a poisoned page again. */
  consumptions: number;
  /** Stage-2 leaf entries mapping private memory. */
  stage2Leaves: number;
}

const hex = (n: number) => "0x" + n.toString(16);
const fmt = (n: number) => n.toLocaleString("en-US");
const PAGES_2M = 512;

export class GuestMemfdVm {
  readonly memoryBytes: number;
  readonly folioSize: PageSize;
  readonly folioPages: number;
  readonly baseGfn: number;
  readonly policy: GmemPolicy;
  readonly design: CocoDesign;
  readonly seed: number;
  readonly hwpoisonScope: HwpoisonScope;
  readonly mfDelayedFix: boolean;
  readonly sharedHva: number;
  readonly privateGfns: number;
  /** The one memslot binding: GFNs [baseGfn, baseGfn + privateGfns) ↔ file pages [0, privateGfns). */
  readonly binding: GmemBinding;
  private readonly rng: Rng;
  private readonly poisoned = new Set<number>();
  /** folio number → poisoned GFNs in it. */
  private readonly poisonedIn = new Map<number, number>();
  /** zap-folio: zapped folio number → GFNs faulted back in since the zap. */
  private readonly zappedFolios = new Map<number, Set<number>>();
  /** split-then-zap: single zapped 4K GFNs. */
  private readonly zapped4k = new Set<number>();
  /** split-then-zap: 2M block number → zapped 4K GFNs in it, so counting a folio's costs no scan of zapped4k. */
  private readonly zappedPerBlock = new Map<number, number>();
  /** split-then-zap: folio number → global 2M block numbers split to 4K (for a 2M folio, the folio itself). */
  private readonly splitFolios = new Map<number, Set<number>>();
  private exits = 0;
  private dmaFaults = 0;
  private consumptions = 0;

  constructor(o: GuestMemfdVmOptions) {
    if (!o || typeof o !== "object") throw new ParameterError("options", "expected { memory, folioSize, … }");
    this.folioSize = parsePageSize(o.folioSize, "folioSize");
    this.folioPages = basePagesPer(this.folioSize);
    this.memoryBytes = parseSize(o.memory, "memory");
    const folioBytes = this.folioPages * 4096;
    if (this.memoryBytes < folioBytes || this.memoryBytes % folioBytes !== 0) {
      throw new ParameterError("memory", `${formatSize(this.memoryBytes)} is not a whole number of ${this.folioSize} folios`, `use a multiple of ${this.folioSize}, e.g. "16G"`);
    }
    this.privateGfns = this.memoryBytes / 4096;
    checkInt("memory (pages)", this.privateGfns, 1, 2 ** 32);
    this.baseGfn = checkInt("baseGfn", o.baseGfn ?? 0, 0, 2 ** 40);
    this.policy = o.policy ?? "zap-folio";
    if (!(GMEM_POLICIES as readonly string[]).includes(this.policy)) {
      throw new ParameterError("policy", `"${String(o.policy)}" is not a policy`, `use ${GMEM_POLICIES.join(", ")}`);
    }
    this.design = cocoDesign(o.design ?? "tdx-connect");
    this.seed = o.seed ?? 1;
    this.rng = new Rng(this.seed);
    this.hwpoisonScope = o.hwpoisonScope ?? "folio";
    if (this.hwpoisonScope !== "folio" && this.hwpoisonScope !== "page") {
      throw new ParameterError("hwpoisonScope", `"${String(o.hwpoisonScope)}" is not a scope`, 'use "folio" or "page"');
    }
    this.mfDelayedFix = o.mfDelayedFix ?? false;
    this.sharedHva = checkInt("sharedHva", o.sharedHva ?? 0x7f00_0000_0000, 0, 2 ** 48);
    if (this.sharedHva % 4096 !== 0) throw new ParameterError("sharedHva", `${hex(this.sharedHva)} is not page aligned`);
    this.binding = { slot: 0, baseGfn: this.baseGfn, npages: this.privateGfns, pgoff: 0 };
  }

  /** GFN → folio number (file index / folio_nr_pages). */
  folioOf(gfn: number): number {
    return Math.floor(kvmGmemGetIndex(this.binding, gfn) / this.folioPages);
  }

  /** The GFN range [start, end) of folio number `f`. */
  folioGfns(f: number): [number, number] {
    const start = this.baseGfn + f * this.folioPages;
    return [start, start + this.folioPages];
  }

  private checkGfn(gfn: number): void {
    checkInt("gfn", gfn, this.baseGfn, this.baseGfn + this.privateGfns - 1);
  }

  /** Is the GFN mapped in the (CPU's) stage-2 right now? */
  isMapped(gfn: number): boolean {
    this.checkGfn(gfn);
    if (this.zapped4k.has(gfn)) return false;
    const refaulted = this.zappedFolios.get(this.folioOf(gfn));
    return !refaulted || refaulted.has(gfn);
  }

  isPoisoned(gfn: number): boolean {
    this.checkGfn(gfn);
    return this.poisoned.has(gfn);
  }

  /** __kvm_gmem_get_pfn(): does folio_test_hwpoison() refuse this GFN (-EHWPOISON)? */
  faultRefused(gfn: number): boolean {
    this.checkGfn(gfn);
    if (this.poisoned.has(gfn)) return true;
    // After a split the poisoned page is its own 4K folio; the rest are healthy folios.
    if (this.splitFolios.has(this.folioOf(gfn))) return false;
    return this.hwpoisonScope === "folio" && (this.poisonedIn.get(this.folioOf(gfn)) ?? 0) > 0;
  }

  /** State of one GFN, for tables and charts. */
  gfnState(gfn: number): "mapped" | "zapped" | "poisoned, mapped" | "poisoned, zapped" {
    const m = this.isMapped(gfn);
    if (this.poisoned.has(gfn)) return m ? "poisoned, mapped" : "poisoned, zapped";
    return m ? "mapped" : "zapped";
  }

  /** Stage-2 leaves mapping folio `f` (assumption: a folio is mapped with a leaf of its own size; a re-faulted GFN with a 4K leaf). */
  private leavesOf(f: number): number {
    const refaulted = this.zappedFolios.get(f);
    if (refaulted) return refaulted.size;
    const split = this.splitFolios.get(f);
    const [a, b] = this.folioGfns(f);
    if (!split) return this.folioPages === 1 ? 1 - this.zappedIn(a, b) : 1;
    if (this.folioSize === "2M") return PAGES_2M - this.zappedIn(a, b);
    let leaves = PAGES_2M - split.size; // 2M leaves left whole
    for (const blk of split) leaves += PAGES_2M - (this.zappedPerBlock.get(blk) ?? 0);
    return leaves;
  }

  /** Zapped 4K GFNs in [lo, hi): one GFN (a 4K folio) or whole 2M blocks; never a scan of all zapped GFNs. */
  private zappedIn(lo: number, hi: number): number {
    if (hi - lo < PAGES_2M) {
      let n = 0;
      for (let g = lo; g < hi; g++) if (this.zapped4k.has(g)) n++;
      return n;
    }
    let n = 0;
    for (let blk = (lo - this.baseGfn) / PAGES_2M; blk < (hi - this.baseGfn) / PAGES_2M; blk++) n += this.zappedPerBlock.get(blk) ?? 0;
    return n;
  }

  private healthyLostIn(f: number): number {
    if (!this.zappedFolios.has(f) || this.hwpoisonScope === "page") return 0;
    return this.folioPages - (this.poisonedIn.get(f) ?? 0);
  }

  /**
   * memory_failure() on the PFN behind private GFN `gfn`, which reaches guest_memfd's
   * .error_remove_folio (kvm_gmem_error_folio()) through truncate_error_folio(). `actionRequired`:
   * a vCPU consumed it (x86 kill_me_maybe() runs memory_failure() with MF_ACTION_REQUIRED).
   */
  poison(gfn: number, opts: { actionRequired?: boolean; policy?: GmemPolicy } = {}): GmemPoisonResult {
    this.checkGfn(gfn);
    // `policy`: this error's policy instead of the VM's (a userspace MFR policy asked per error, Chapter 6).
    const policy = opts.policy ?? this.policy;
    if (!(GMEM_POLICIES as readonly string[]).includes(policy)) throw new ParameterError("policy", `"${String(policy)}" is not a policy`, `use ${GMEM_POLICIES.join(", ")}`);
    const index = kvmGmemGetIndex(this.binding, gfn);
    const f = this.folioOf(gfn);
    const range = this.folioGfns(f);
    const idx: [number, number] = [f * this.folioPages, (f + 1) * this.folioPages];
    const steps: string[] = [`memory_failure(PFN of GFN ${hex(gfn)}): a guest_memfd page, file index ${hex(index)} (kvm_gmem_get_index)`];
    if (this.poisoned.has(gfn)) {
      steps.push("TestSetPageHWPoison(): already set → \"already poisoned\", -EHWPOISON; .error_remove_folio is not called again");
      return { result: "MF_FAILED", ret: -EHWPOISON, errorRemoveFolio: "none", zappedGfns: 0, healthyGfnsLost: 0, range, index: idx, stage2Leaves: this.leavesOf(f), truncated: false, alreadyPoisoned: true, steps };
    }
    const lostBefore = this.healthyLostIn(f);
    const unmappedBefore = this.unmappedIn(f);
    this.poisoned.add(gfn);
    this.poisonedIn.set(f, (this.poisonedIn.get(f) ?? 0) + 1);
    steps.push(`TestSetPageHWPoison(); the page belongs to a ${this.folioSize} guest_memfd folio (${fmt(this.folioPages)} pages)`);
    if (this.folioSize !== "4K") steps.push(`ASSUMPTION: the ${this.folioSize} folio (the 1G RFC's, whose TODO says memory error handling is not implemented) reaches kvm_gmem_error_folio() whole, like a 4K one`);

    if (policy === "zap-folio") {
      const z = kvmGmemErrorFolio([this.binding], index, this.folioSize);
      steps.push(...z.steps);
      this.zappedFolios.set(f, new Set());
    } else if (policy === "keep-mapped") {
      steps.push(`POLICY keep-mapped (Jason's reframing, not kernel code): nothing is zapped; the secure world's stage-2 keeps all ${fmt(this.folioPages)} GFNs of the folio mapped, the poisoned one included`);
      steps.push("a later access to the poisoned page consumes the poison again (repeated consumption)");
    } else {
      this.splitThenZap(gfn, f, steps);
    }

    const zappedGfns = this.unmappedIn(f) - unmappedBefore;
    // A second error in an already-lost folio turns a lost healthy GFN into a poisoned one: not a new loss.
    const healthyGfnsLost = Math.max(0, this.healthyLostIn(f) - lostBefore);
    let result: GmemPoisonResult["result"];
    let ret: number;
    if (this.mfDelayedFix) {
      steps.push("truncate_error_folio() with the proposed fix (Lisa Wang, Oct 2025): MF_DELAYED is passed through; action_result(MF_DELAYED) → 0");
      result = "MF_DELAYED";
      ret = 0;
    } else {
      steps.push("truncate_error_folio() as read: error_remove_folio() returned MF_DELAYED = 2, \"err != 0\" → \"Failed to punch page: 2\", MF_FAILED; action_result(MF_FAILED) → -EBUSY");
      result = "MF_FAILED";
      ret = -EBUSY;
    }
    const out: GmemPoisonResult = { result, ret, errorRemoveFolio: "MF_DELAYED", zappedGfns, healthyGfnsLost, range, index: idx, stage2Leaves: this.leavesOf(f), truncated: false, alreadyPoisoned: false, steps };
    if (opts.actionRequired && result === "MF_FAILED") {
      out.vmmSignal = "SIGBUS (force_sig, no si_addr/si_addr_lsb): kill_me_maybe() \"Memory error not recovered\" → kill_me_now(); Sean Christopherson's reading (reply to Ackerley Tng's patch of 9 Mar 2026): \"likely kill the VM\"";
      steps.push(`x86 kill_me_maybe(): ret ${ret} is neither 0 nor -EHWPOISON → ${out.vmmSignal}`);
    }
    return out;
  }

  private unmappedIn(f: number): number {
    const refaulted = this.zappedFolios.get(f);
    if (refaulted) return this.folioPages - refaulted.size;
    const [a, b] = this.folioGfns(f);
    return this.zappedIn(a, b);
  }

  /** The split-then-zap proposal: split 1G → 2M → 4K where needed, zap only the poisoned 4K. */
  private splitThenZap(gfn: number, f: number, steps: string[]): void {
    steps.push("POLICY split-then-zap (a proposal; the 1G RFC suggests splitting 1G→2M first and to 4K only when necessary): not kernel code");
    if (this.folioSize !== "4K") {
      let split = this.splitFolios.get(f);
      if (!split) {
        split = new Set();
        this.splitFolios.set(f, split);
        steps.push(this.folioSize === "1G" ? "split the 1G folio into 512 × 2M folios" : "split the 2M folio into 512 × 4K folios");
      }
      const blk = Math.floor((gfn - this.baseGfn) / PAGES_2M);
      if (this.folioSize === "1G" && !split.has(blk)) steps.push(`split the 2M folio holding GFN ${hex(gfn)} into 512 × 4K folios`);
      split.add(blk);
    }
    if (!this.zapped4k.has(gfn)) {
      this.zapped4k.add(gfn);
      const blk = Math.floor((gfn - this.baseGfn) / PAGES_2M);
      this.zappedPerBlock.set(blk, (this.zappedPerBlock.get(blk) ?? 0) + 1);
    }
    steps.push(`kvm_gmem_invalidate_start(index, index + 1): zap GFN ${hex(gfn)} only; its 4K folio keeps PG_hwpoison`);
  }

  /**
   * A vCPU access to private GFN `gfn`. Mapped: fine, or a repeated consumption if the page is
   * poisoned. Zapped: an EPT/NPT fault; kvm_mmu_faultin_pfn_gmem() → kvm_gmem_get_pfn(); if
   * folio_test_hwpoison() it returns -EHWPOISON, kvm_mmu_prepare_memory_fault_exit() fills
   * kvm_run (exit_reason KVM_EXIT_MEMORY_FAULT, gpa = gfn << PAGE_SHIFT, size = PAGE_SIZE,
   * flags = KVM_MEMORY_EXIT_FLAG_PRIVATE) and KVM_RUN fails with EHWPOISON; else the GFN is mapped again.
   */
  vcpuAccess(gfn: number): VcpuAccessResult {
    this.checkGfn(gfn);
    if (this.isMapped(gfn)) {
      if (this.poisoned.has(gfn)) {
        this.consumptions++;
        return { result: "poison-consumed", note: "stage-2 still maps the poisoned page: the load reads poison again (a new machine check; memory_failure() finds it already poisoned)" };
      }
      return { result: "ok", note: "mapped" };
    }
    if (this.faultRefused(gfn)) {
      this.exits++;
      return {
        result: "KVM_EXIT_MEMORY_FAULT",
        exitReason: KVM_EXIT_MEMORY_FAULT,
        memoryFault: { flags: KVM_MEMORY_EXIT_FLAG_PRIVATE, gpa: gfn * 4096, size: 4096 },
        errno: "EHWPOISON",
        note: this.poisoned.has(gfn)
          ? "kvm_gmem_get_pfn(): folio_test_hwpoison() → -EHWPOISON; KVM_RUN returns -1/EHWPOISON with a private memory-fault exit, not a SIGBUS"
          : "a healthy GFN, but its folio reads as hwpoisoned (hwpoisonScope \"folio\"): the same exit as for the poisoned page",
      };
    }
    const refaulted = this.zappedFolios.get(this.folioOf(gfn));
    if (refaulted) refaulted.add(gfn);
    return { result: "ok", refaulted: true, note: "zapped, but kvm_gmem_get_pfn() gives the PFN again: the fault maps it back" };
  }

  /**
   * A device DMA to private GFN `gfn` under the design. With a shared stage-2 the device sees the
   * zap (ASSUMPTION: it cannot fault a zapped GFN back in; only a vCPU fault does). With separate
   * IOMMU tables kvm_gmem_error_folio() never touches the device's translation (no callback into
   * the IOMMU, chapter 3): a DMA to the poisoned page reads it (ASSUMPTION: counted as a consumption).
   */
  dma(gfn: number): GmemDmaResult {
    this.checkGfn(gfn);
    if (!this.design.hasDevice) return { result: "no-device", note: "no device is assigned" };
    if (this.design.iommuSharesStage2 && !this.isMapped(gfn)) {
      this.dmaFaults++;
      return { result: "dma-fault", note: `the IOMMU translates through the zapped stage-2: ${this.design.dmaToUnmapped}` };
    }
    if (this.poisoned.has(gfn)) {
      this.consumptions++;
      return {
        result: "poison-consumed",
        note: this.design.iommuSharesStage2
          ? "the shared stage-2 still maps the poisoned page: the device reads poison (ASSUMPTION: platform containment not modelled)"
          : "the IOMMU's own tables still map the poisoned page (nothing told the IOMMU): the device reads poison (ASSUMPTION: platform containment not modelled)",
      };
    }
    return { result: "ok", note: this.design.iommuSharesStage2 ? "mapped in the shared stage-2" : "the IOMMU's own tables map it" };
  }

  /**
   * The shared (HVA-backed) path, for contrast: the shared page behind `hva` is poisoned, so GUP
   * (hva_to_pfn) yields KVM_PFN_ERR_HWPOISON; kvm_faultin_pfn() → kvm_handle_error_pfn() →
   * kvm_send_hwpoison_signal(slot, gfn) → send_sig_mceerr(BUS_MCEERR_AR, gfn_to_hva_memslot(),
   * PAGE_SHIFT, current), RET_PF_RETRY.
   */
  sharedAccess(hva: number): SharedAccessResult {
    checkInt("hva", hva, this.sharedHva, this.sharedHva + this.memoryBytes - 1);
    const gfn = this.baseGfn + Math.floor((hva - this.sharedHva) / 4096);
    const addr = this.sharedHva + (gfn - this.baseGfn) * 4096;
    return {
      signal: "SIGBUS",
      code: "BUS_MCEERR_AR",
      addr,
      lsb: PAGE_SHIFT,
      gfn,
      steps: [
        `shared access to GFN ${hex(gfn)}: __kvm_faultin_pfn() → __gfn_to_pfn_memslot(): GUP on HVA ${hex(addr)} finds the hwpoisoned page → KVM_PFN_ERR_HWPOISON`,
        "kvm_faultin_pfn(): is_error_pfn() → kvm_handle_error_pfn()",
        `kvm_send_hwpoison_signal(slot, gfn): send_sig_mceerr(BUS_MCEERR_AR, hva ${hex(addr)}, PAGE_SHIFT = ${PAGE_SHIFT}, current); RET_PF_RETRY`,
      ],
    };
  }

  /** `n` distinct random private GFNs from the VM's seed (uniform). */
  randomGfns(n: number): number[] {
    checkInt("n", n, 0, Math.min(this.privateGfns, 1_000_000));
    const out = new Set<number>();
    while (out.size < n) out.add(this.baseGfn + this.rng.nextInt(this.privateGfns));
    return [...out];
  }

  metrics(): GmemMetrics {
    const touched = new Set<number>([...this.zappedFolios.keys(), ...this.splitFolios.keys()]);
    for (const g of this.zapped4k) touched.add(this.folioOf(g));
    let zapped = 0;
    let lost = 0;
    let unmappedPoisoned = 0;
    let leaves = this.privateGfns / this.folioPages - touched.size;
    for (const f of touched) {
      zapped += this.unmappedIn(f);
      lost += this.healthyLostIn(f);
      leaves += this.leavesOf(f);
    }
    for (const g of this.poisoned) if (!this.isMapped(g)) unmappedPoisoned++;
    return {
      privateGfns: this.privateGfns,
      zappedGfns: zapped,
      healthyGfnsLost: lost,
      healthyGfnsUnmapped: zapped - unmappedPoisoned,
      poisonedGfns: this.poisoned.size,
      exits: this.exits,
      dmaFaults: this.dmaFaults,
      consumptions: this.consumptions,
      stage2Leaves: leaves,
    };
  }
}
