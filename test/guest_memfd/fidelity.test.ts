// Fidelity table for Chapter 4: each case asserts what the kernel does with a memory error in
// guest_memfd memory and names the function that decides it. Read: virt/kvm/guest_memfd.c
// (kvm_gmem_error_folio, kvm_gmem_invalidate_start, kvm_gmem_get_pfn, kvm_gmem_commit_memory_region;
// kvm_gmem_invalidate_begin and kvm_gmem_bind until 6.12), arch/x86/kvm/mmu/mmu.c
// (kvm_mmu_faultin_pfn_gmem, kvm_faultin_pfn_private until 6.12; kvm_handle_error_pfn, kvm_send_hwpoison_signal),
// include/linux/kvm_host.h (kvm_prepare_memory_fault_exit), mm/memory-failure.c (truncate_error_folio).
import { describe, expect, it } from "vitest";
import {
  COCO_DESIGNS, EBUSY, EEXIST, EHWPOISON, EINVAL, GMEM_ASSUMPTIONS, GMEM_KERNEL_SOURCES, GuestMemfdVm, KVM_EXIT_MEMORY_FAULT,
  KVM_MEMORY_EXIT_FLAG_PRIVATE, MF_DELAYED, PAGE_SHIFT, basePagesPer, cocoDesign, folioIndexRange, gmemPolicyOutcome,
  kvmGmemBindCheck, kvmGmemErrorFolio, kvmGmemGetIndex, kvmGmemInvalidateRanges, type GmemBinding,
} from "../../src/index.js";

const hex = (n: number) => "0x" + n.toString(16);

describe("kvm_gmem_error_folio(): the whole folio's index range", () => {
  for (const [size, pages] of [["4K", 1], ["2M", 512], ["1G", 262_144]] as const) {
    it(`${size} folio: start = folio->index, end = start + folio_nr_pages = ${pages.toLocaleString("en-US")} pages`, () => {
      const inside = 3 * pages + Math.floor(pages / 3); // a page somewhere inside folio 3
      expect(folioIndexRange(inside, size), `folio of index ${inside}`).toEqual([3 * pages, 4 * pages]);
      const slot: GmemBinding = { slot: 0, baseGfn: 0x100000, npages: 8 * pages, pgoff: 0 };
      const r = kvmGmemErrorFolio([slot], inside, size);
      expect(r.zappedGfns, `kvm_gmem_error_folio zaps every GFN of the ${size} folio`).toBe(pages);
      expect(r.ranges).toEqual([{ slot: 0, start: 0x100000 + 3 * pages, end: 0x100000 + 4 * pages }]);
    });
  }

  it("a 1G folio is 262,144 GFNs, derived from the folio size", () => {
    expect(basePagesPer("1G")).toBe(2 ** 30 / 2 ** PAGE_SHIFT);
    expect(new GuestMemfdVm({ memory: "4G", folioSize: "1G" }).poison(0x40000 + 5).zappedGfns).toBe(262_144);
  });

  it("returns MF_DELAYED, takes the invalidate lock shared and never truncates", () => {
    const r = kvmGmemErrorFolio([{ slot: 0, baseGfn: 0, npages: 1024, pgoff: 0 }], 700, "2M");
    expect(r.returns).toBe("MF_DELAYED");
    expect(MF_DELAYED, "enum mf_result: MF_DELAYED is 2").toBe(2);
    expect(r.truncated, "'Do not truncate the range'").toBe(false);
    expect(r.steps[0]).toMatch(/filemap_invalidate_lock_shared/);
    expect(r.steps.join("\n")).toMatch(/userspace's decision/);
    expect(r.steps[r.steps.length - 1]).toMatch(/kvm_gmem_invalidate_end.*return MF_DELAYED/);
  });
});

describe("kvm_gmem_invalidate_start() (kvm_gmem_invalidate_begin() until 6.12): per binding, clamped to the memslot", () => {
  // Two memslots bound to adjacent file ranges; a 2M folio [0, 512) straddles the boundary at 300.
  const a: GmemBinding = { slot: "A", baseGfn: 0x1000, npages: 300, pgoff: 0 };
  const b: GmemBinding = { slot: "B", baseGfn: 0x80000, npages: 1000, pgoff: 300 };

  it("a folio straddling two bindings zaps each slot's part only (max(pgoff, start), min(pgoff + npages, end))", () => {
    const r = kvmGmemErrorFolio([b, a], 400, "2M");
    expect(r.index).toEqual([0, 512]);
    expect(r.ranges, "xa_for_each_range visits both bindings, clamped").toEqual([
      { slot: "A", start: 0x1000, end: 0x1000 + 300 },
      { slot: "B", start: 0x80000, end: 0x80000 + 212 },
    ]);
    expect(r.zappedGfns).toBe(512);
  });

  it("file pages no slot binds zap nothing", () => {
    const r = kvmGmemErrorFolio([{ slot: 0, baseGfn: 0, npages: 100, pgoff: 1024 }], 10, "2M");
    expect(r.ranges).toEqual([]);
    expect(r.zappedGfns).toBe(0);
    expect(r.steps.join("\n")).toMatch(/no memslot binds/);
  });

  it("a binding that starts inside the folio is clamped at its own start", () => {
    expect(kvmGmemInvalidateRanges([{ slot: 1, baseGfn: 0x5000, npages: 50, pgoff: 100 }], 0, 512)).toEqual([{ slot: 1, start: 0x5000, end: 0x5000 + 50 }]);
  });

  it("kvm_gmem_get_index(): gfn - base_gfn + pgoff", () => {
    expect(kvmGmemGetIndex(b, 0x80000 + 7)).toBe(307);
    expect(() => kvmGmemGetIndex(b, 0x80000 + 1000), "a GFN outside the slot").toThrow(/gfn/);
  });

  it("7.3: -EINVAL past i_size (kvm_gmem_prepare_memory_region), -EEXIST on an overlapping binding (kvm_gmem_commit_memory_region), else 0", () => {
    expect(kvmGmemBindCheck([a], 300, 1000, 2048)).toBe(0);
    expect(kvmGmemBindCheck([a], 299, 10, 2048), "overlaps A's last page").toBe(-EEXIST);
    expect(kvmGmemBindCheck([a], 1500, 1000, 2048), "runs past i_size").toBe(-EINVAL);
  });

  it("6.12: kvm_gmem_bind() returns -EINVAL for both", () => {
    expect(kvmGmemBindCheck([a], 299, 10, 2048, "6.12"), "overlaps A's last page").toBe(-EINVAL);
    expect(kvmGmemBindCheck([a], 1500, 1000, 2048, "6.12"), "runs past i_size").toBe(-EINVAL);
    expect(kvmGmemBindCheck([a], 300, 1000, 2048, "6.12")).toBe(0);
  });
});

describe("memory_failure() → truncate_error_folio() → kvm_gmem_error_folio()", () => {
  it("as read, truncate_error_folio() counts MF_DELAYED (2) as a failure: MF_FAILED, -EBUSY", () => {
    const vm = new GuestMemfdVm({ memory: "1G", folioSize: "4K" });
    const r = vm.poison(42);
    expect(r.errorRemoveFolio, "kvm_gmem_error_folio returned MF_DELAYED").toBe("MF_DELAYED");
    expect(r.result, "\"err != 0\" → MF_FAILED").toBe("MF_FAILED");
    expect(r.ret).toBe(-EBUSY);
    expect(r.truncated).toBe(false);
    expect(r.steps.join("\n")).toMatch(/Failed to punch page: 2/);
  });

  it("with the proposed fix (Lisa Wang, Oct 2025) MF_DELAYED passes through: action_result → 0", () => {
    const r = new GuestMemfdVm({ memory: "1G", folioSize: "4K", mfDelayedFix: true }).poison(42);
    expect(r.result).toBe("MF_DELAYED");
    expect(r.ret).toBe(0);
  });

  it("x86 kill_me_maybe(): an action-required error that was not recovered forces a SIGBUS without address", () => {
    const vm = new GuestMemfdVm({ memory: "1G", folioSize: "4K" });
    expect(vm.poison(7, { actionRequired: true }).vmmSignal).toMatch(/force_sig.*no si_addr/);
    expect(new GuestMemfdVm({ memory: "1G", folioSize: "4K", mfDelayedFix: true }).poison(7, { actionRequired: true }).vmmSignal, "MF_DELAYED → 0: no forced signal").toBeUndefined();
  });

  it("a second error on the same page: TestSetPageHWPoison() already set → -EHWPOISON, no second zap", () => {
    const vm = new GuestMemfdVm({ memory: "2G", folioSize: "2M" });
    vm.poison(1000);
    const again = vm.poison(1000);
    expect(again.ret).toBe(-EHWPOISON);
    expect(again.alreadyPoisoned).toBe(true);
    expect(again.errorRemoveFolio).toBe("none");
    expect(again.zappedGfns).toBe(0);
  });
});

describe("a vCPU fault on private memory: kvm_mmu_faultin_pfn_gmem() (kvm_faultin_pfn_private() until 6.12) → KVM_EXIT_MEMORY_FAULT", () => {
  it("the poisoned GFN: kvm_gmem_get_pfn() → -EHWPOISON, kvm_mmu_prepare_memory_fault_exit() fills kvm_run", () => {
    const base = 0x100000;
    const vm = new GuestMemfdVm({ memory: "1G", folioSize: "4K", baseGfn: base });
    const gfn = base + 0x1234;
    vm.poison(gfn);
    const a = vm.vcpuAccess(gfn);
    expect(a.result).toBe("KVM_EXIT_MEMORY_FAULT");
    expect(a.exitReason, "include/uapi/linux/kvm.h KVM_EXIT_MEMORY_FAULT").toBe(KVM_EXIT_MEMORY_FAULT);
    expect(KVM_EXIT_MEMORY_FAULT).toBe(39);
    expect(a.memoryFault, "gpa = gfn << PAGE_SHIFT, size = PAGE_SIZE, flags = KVM_MEMORY_EXIT_FLAG_PRIVATE (no RWX bits)").toEqual({ gpa: gfn * 4096, size: 4096, flags: KVM_MEMORY_EXIT_FLAG_PRIVATE });
    expect(KVM_MEMORY_EXIT_FLAG_PRIVATE).toBe(8);
    expect(a.errno, "KVM_RUN fails with EHWPOISON, not a SIGBUS").toBe("EHWPOISON");
    expect(vm.metrics().exits).toBe(1);
  });

  it("4K folio (mainline): the neighbours stay mapped", () => {
    const vm = new GuestMemfdVm({ memory: "1G", folioSize: "4K" });
    vm.poison(100);
    expect(vm.vcpuAccess(99)).toMatchObject({ result: "ok" });
    expect(vm.vcpuAccess(101)).toMatchObject({ result: "ok" });
    expect(vm.metrics().healthyGfnsLost).toBe(0);
  });

  it("2M folio, hwpoisonScope 'folio' (the RFC author's description): a healthy neighbour exits too", () => {
    const vm = new GuestMemfdVm({ memory: "1G", folioSize: "2M" });
    vm.poison(512 + 3);
    const n = vm.vcpuAccess(512 + 400);
    expect(n.result, "folio_test_hwpoison(folio) refuses the whole folio").toBe("KVM_EXIT_MEMORY_FAULT");
    expect(n.memoryFault?.gpa).toBe((512 + 400) * 4096);
    expect(vm.metrics().healthyGfnsLost).toBe(511);
    expect(vm.vcpuAccess(1024), "the next folio is untouched").toMatchObject({ result: "ok" });
  });

  it("2M folio, hwpoisonScope 'page': a healthy neighbour faults back in; the poisoned page still exits", () => {
    const vm = new GuestMemfdVm({ memory: "1G", folioSize: "2M", hwpoisonScope: "page" });
    vm.poison(512 + 3);
    expect(vm.isMapped(512 + 400)).toBe(false);
    expect(vm.vcpuAccess(512 + 400)).toMatchObject({ result: "ok", refaulted: true });
    expect(vm.isMapped(512 + 400)).toBe(true);
    expect(vm.vcpuAccess(512 + 3).result).toBe("KVM_EXIT_MEMORY_FAULT");
    expect(vm.metrics().healthyGfnsLost).toBe(0);
  });
});

describe("shared (HVA-backed) memory: kvm_handle_error_pfn() → kvm_send_hwpoison_signal()", () => {
  it("SIGBUS BUS_MCEERR_AR at the shared HVA, si_addr_lsb = PAGE_SHIFT (12) on x86 whatever the folio size", () => {
    for (const folioSize of ["4K", "2M", "1G"] as const) {
      const vm = new GuestMemfdVm({ memory: "2G", folioSize, sharedHva: 0x7f00_0000_0000 });
      const hva = 0x7f00_0000_0000 + 5 * 4096 + 123;
      const s = vm.sharedAccess(hva);
      expect(s).toMatchObject({ signal: "SIGBUS", code: "BUS_MCEERR_AR", lsb: 12, gfn: 5 });
      expect(s.addr, "gfn_to_hva_memslot(): the page's HVA").toBe(0x7f00_0000_0000 + 5 * 4096);
      expect(s.steps.join("\n")).toMatch(/send_sig_mceerr\(BUS_MCEERR_AR/);
    }
  });
});

describe("policies", () => {
  it("zap-folio (mainline) vs keep-mapped vs split-then-zap on a 1G folio", () => {
    const gfn = 262_144 + 1000;
    const zap = new GuestMemfdVm({ memory: "2G", folioSize: "1G", policy: "zap-folio" }).poison(gfn);
    const keep = new GuestMemfdVm({ memory: "2G", folioSize: "1G", policy: "keep-mapped" }).poison(gfn);
    const split = new GuestMemfdVm({ memory: "2G", folioSize: "1G", policy: "split-then-zap" }).poison(gfn);
    expect([zap.zappedGfns, zap.healthyGfnsLost, zap.range]).toEqual([262_144, 262_143, [262_144, 524_288]]);
    expect([keep.zappedGfns, keep.healthyGfnsLost, keep.stage2Leaves]).toEqual([0, 0, 1]);
    expect([split.zappedGfns, split.healthyGfnsLost], "only the poisoned 4K is zapped").toEqual([1, 0]);
    expect(split.stage2Leaves, "ASSUMPTION: 511 × 2M + 511 × 4K leaves after the split").toBe(511 + 511);
    expect(keep.steps.join("\n")).toMatch(/not kernel code/);
    expect(split.steps.join("\n")).toMatch(/a proposal/);
  });

  it("keep-mapped: the poisoned page stays mapped, a vCPU read consumes poison again", () => {
    const vm = new GuestMemfdVm({ memory: "1G", folioSize: "2M", policy: "keep-mapped" });
    vm.poison(10);
    expect(vm.vcpuAccess(10).result).toBe("poison-consumed");
    expect(vm.vcpuAccess(11).result).toBe("ok");
    expect(vm.metrics()).toMatchObject({ consumptions: 1, exits: 0, zappedGfns: 0 });
  });

  it("split-then-zap: the poisoned page exits, its neighbours run", () => {
    const vm = new GuestMemfdVm({ memory: "1G", folioSize: "2M", policy: "split-then-zap" });
    vm.poison(10);
    expect(vm.vcpuAccess(10).result).toBe("KVM_EXIT_MEMORY_FAULT");
    expect(vm.vcpuAccess(11).result).toBe("ok");
  });
});

describe("CoCo designs: what a zap does to device DMA", () => {
  it("TDX Connect shares the S-EPT: DMA to a zapped healthy GFN fails; SEV-SNP's own IOMMU tables still translate it", () => {
    const tdx = new GuestMemfdVm({ memory: "1G", folioSize: "2M", design: "tdx-connect" });
    const snp = new GuestMemfdVm({ memory: "1G", folioSize: "2M", design: "sev-snp" });
    tdx.poison(5);
    snp.poison(5);
    expect(tdx.dma(300).result, "shared stage-2: the zap took the GFN from the device too").toBe("dma-fault");
    expect(snp.dma(300).result, "kvm_gmem_error_folio() does not touch the IOMMU's tables").toBe("ok");
    expect(snp.dma(5).result, "and the poisoned page is still reachable by DMA").toBe("poison-consumed");
    expect(tdx.metrics().dmaFaults).toBe(1);
  });

  it("no-device: no DMA at all", () => {
    const vm = new GuestMemfdVm({ memory: "1G", folioSize: "4K", design: "no-device" });
    expect(vm.dma(3).result).toBe("no-device");
  });

  it("every design record names a source; unverified ones say ASSUMPTION", () => {
    expect(COCO_DESIGNS.map((d) => d.id)).toEqual(["tdx-connect", "sev-snp", "arm-cca", "pkvm", "no-device"]);
    for (const d of COCO_DESIGNS) {
      if (d.hasDevice) expect(d.source, `${d.id} needs a source`).toMatch(/2025|2026/);
      if (!d.verified) expect(d.sharingBasis, `${d.id} is not verified: its sharing must be labelled`).toMatch(/^ASSUMPTION/);
    }
    expect(cocoDesign("tdx-connect").iommuSharesStage2).toBe(true);
    expect(cocoDesign("tdx-connect").dmaToUnmapped).toMatch(/ASSUMPTION/);
    expect(cocoDesign("tdx-connect").dmaToUnmapped).toMatch(/machine check/);
    expect(cocoDesign("sev-snp").dmaToUnmapped).toMatch(/noisy but harmless/);
  });
});

describe("a seeded run (gmemPolicyOutcome)", () => {
  it("1G folios, zap-folio: each error in a distinct folio loses 262,143 healthy GFNs", () => {
    const r = gmemPolicyOutcome({ memory: "64G", folioSize: "1G", errors: 4, accesses: 0, dmas: 0, policy: "zap-folio", design: "tdx-connect", seed: 3 });
    const folios = new Set(r.errorGfns.map((g) => Math.floor(g / 262_144))).size;
    expect(r.healthyGfnsLost).toBe(folios * 262_144 - r.errorGfns.length);
    expect(r.assumptions.slice(0, GMEM_ASSUMPTIONS.length)).toEqual([...GMEM_ASSUMPTIONS]);
    expect(r.assumptions[r.assumptions.length - 1]).toMatch(/TDX Connect/);
  });

  it("retouch aims accesses at poisoned pages: keep-mapped consumes, zap-folio exits", () => {
    const o = { memory: "8G", folioSize: "2M" as const, errors: 4, accesses: 1000, dmas: 0, design: "no-device" as const, seed: 11, retouch: 0.5 };
    const keep = gmemPolicyOutcome({ ...o, policy: "keep-mapped" });
    const zap = gmemPolicyOutcome({ ...o, policy: "zap-folio" });
    expect(keep.consumptions, "about half of 1000 accesses hit a poisoned page").toBeGreaterThan(400);
    expect(keep.exits).toBe(0);
    expect(zap.consumptions).toBe(0);
    expect(zap.exits).toBeGreaterThanOrEqual(keep.consumptions);
  });

  it("GMEM_KERNEL_SOURCES cite the functions the model follows", () => {
    const ids = GMEM_KERNEL_SOURCES.map((s) => s.ident);
    for (const f of ["kvm_gmem_error_folio", "kvm_gmem_get_pfn", "kvm_faultin_pfn_private", "kvm_send_hwpoison_signal", "truncate_error_folio"]) expect(ids).toContain(f);
  });
});

describe("bad parameters say what is wrong", () => {
  it("memory that is not a whole number of folios, an unknown design or policy, a GFN outside the VM", () => {
    expect(() => new GuestMemfdVm({ memory: "3M", folioSize: "2M" })).toThrow(/whole number of 2M folios/);
    expect(() => new GuestMemfdVm({ memory: "1G", folioSize: "4K", design: "sgx" as never })).toThrow(/not a modelled design/);
    expect(() => new GuestMemfdVm({ memory: "1G", folioSize: "4K", policy: "truncate" as never })).toThrow(/not a policy/);
    const vm = new GuestMemfdVm({ memory: "1G", folioSize: "4K", baseGfn: 0x1000 });
    expect(() => vm.poison(0x10), `GFN ${hex(0x10)} is below the memslot`).toThrow(/gfn/);
    expect(() => gmemPolicyOutcome({ memory: "1G", folioSize: "4K", errors: 1, accesses: 1, dmas: 1, policy: "zap-folio", design: "pkvm", seed: 1, retouch: 2 })).toThrow(/retouch/);
  });
});
