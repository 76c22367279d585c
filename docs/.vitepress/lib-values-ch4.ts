/**
 * Chapter 4 (guest_memfd and the secure world): every number its page shows, computed by running
 * the course's model of kvm_gmem_error_folio(), the private fault path and the CoCo designs
 * (src/guest_memfd/) when the site is built. Merged into libValues() in lib-values.ts.
 */
import { basePagesPer, EBUSY, EHWPOISON, MF_DELAYED, PAGE_SIZES } from "../../src/index.js";
import { COCO_DESIGNS } from "../../src/guest_memfd/designs.js";
import { KVM_EXIT_MEMORY_FAULT, KVM_MEMORY_EXIT_FLAG_PRIVATE, kvmGmemErrorFolio, type GmemBinding } from "../../src/guest_memfd/kvm-gmem.js";
import { gmemZapRows } from "../../src/guest_memfd/series.js";
import { GuestMemfdVm, type GmemPolicy, type VcpuAccessResult } from "../../src/guest_memfd/vm.js";
import type { CocoDesignId } from "../../src/guest_memfd/designs.js";
import { CH4_EXAMPLE, ch4Outcomes } from "./ch4-example.js";
import { fmt } from "./format.js";

const hex = (n: number): string => "0x" + n.toString(16);
const ERRNO: Record<number, string> = { 0: "0", [-EBUSY]: "-EBUSY", [-EHWPOISON]: "-EHWPOISON" };
const errno = (n: number): string => ERRNO[n] ?? String(n);
const range = (r: readonly [number, number]): string => `${hex(r[0])}–${hex(r[1] - 1)}`;
/** What the VMM or guest sees for one vCPU access, in a few words. */
const access = (r: VcpuAccessResult): string =>
  r.result === "KVM_EXIT_MEMORY_FAULT" ? "KVM_EXIT_MEMORY_FAULT" : r.result === "poison-consumed" ? "poison consumed again" : r.refaulted ? "faulted back in" : "mapped, no exit";
/** "1,234 (0.12 %)" of the example's healthy private pages. */
const share = (x: number): string => (x === 0 ? "0 %" : x >= 0.01 ? `${fmt(100 * x, 1)} %` : `${fmt(100 * x, 3)} %`);

export function chapter4Values(): Record<string, string | number> {
  const v: Record<string, string | number> = {};
  const ex = CH4_EXAMPLE;
  const vm = (policy: GmemPolicy = "zap-folio", design: CocoDesignId = "tdx-connect", more: { hwpoisonScope?: "folio" | "page"; mfDelayedFix?: boolean } = {}) =>
    new GuestMemfdVm({ memory: ex.memory, folioSize: ex.folioSize, policy, design, ...more });

  // Constants of the uapi and of enum mf_result the chapter names.
  v["ch4.exitReason"] = KVM_EXIT_MEMORY_FAULT;
  v["ch4.flagPrivate"] = hex(KVM_MEMORY_EXIT_FLAG_PRIVATE);
  v["ch4.mfDelayed"] = MF_DELAYED;
  v["ch4.pages.2M"] = fmt(basePagesPer("2M"));
  v["ch4.pages.1G"] = fmt(basePagesPer("1G"));

  // One error in the middle of a folio, per folio size and policy (gmemZapRows()).
  for (const r of gmemZapRows({ folioSizes: PAGE_SIZES })) {
    const k = `ch4.zap.${r.folioSize}.${r.policy}`;
    v[`${k}.zapped`] = fmt(r.zappedGfns);
    v[`${k}.lost`] = fmt(r.healthyGfnsLost);
    v[`${k}.leaves`] = fmt(r.stage2Leaves);
  }

  // The walkthrough: 16G of private memory in 1G folios, one error at GFN 0x40005.
  {
    const m = vm();
    const p = m.poison(ex.poisonGfn);
    v["ch4.ex.memory"] = ex.memory;
    v["ch4.ex.folio"] = ex.folioSize;
    v["ch4.ex.privateGfns"] = fmt(m.privateGfns);
    v["ch4.ex.gfn"] = hex(ex.poisonGfn);
    v["ch4.ex.range"] = range(p.range);
    v["ch4.ex.index"] = range(p.index);
    v["ch4.ex.zapped"] = fmt(p.zappedGfns);
    v["ch4.ex.lost"] = fmt(p.healthyGfnsLost);
    v["ch4.ex.errorRemoveFolio"] = p.errorRemoveFolio;
    v["ch4.ex.truncated"] = p.truncated ? "truncated" : "not truncated";
    v["ch4.ex.result"] = p.result;
    v["ch4.ex.ret"] = errno(p.ret);
    v["ch4.ex.again"] = errno(m.poison(ex.poisonGfn).ret);
    const fix = vm("zap-folio", "tdx-connect", { mfDelayedFix: true }).poison(ex.poisonGfn);
    v["ch4.ex.fix.result"] = fix.result;
    v["ch4.ex.fix.ret"] = errno(fix.ret);
    const ar = vm().poison(ex.poisonGfn, { actionRequired: true });
    v["ch4.ex.ar.signal"] = ar.vmmSignal ? "SIGBUS without si_addr" : "no signal";

    // The vCPU comes back to the poisoned page, to a healthy page of the same folio, to another folio.
    const a = m.vcpuAccess(ex.poisonGfn);
    v["ch4.ex.exit"] = access(a);
    v["ch4.ex.exit.reason"] = a.exitReason ?? "none";
    v["ch4.ex.exit.gpa"] = a.memoryFault ? hex(a.memoryFault.gpa) : "none";
    v["ch4.ex.exit.size"] = a.memoryFault ? a.memoryFault.size : "none";
    v["ch4.ex.exit.flags"] = a.memoryFault ? hex(a.memoryFault.flags) : "none";
    v["ch4.ex.exit.errno"] = a.errno ?? "none";
    v["ch4.ex.healthy.gfn"] = hex(ex.healthyGfn);
    const h = m.vcpuAccess(ex.healthyGfn);
    v["ch4.ex.healthy"] = access(h);
    v["ch4.ex.healthy.gpa"] = h.memoryFault ? hex(h.memoryFault.gpa) : "none";
    v["ch4.ex.other.gfn"] = hex(ex.otherGfn);
    v["ch4.ex.other"] = access(m.vcpuAccess(ex.otherGfn));
    const pageScope = vm("zap-folio", "tdx-connect", { hwpoisonScope: "page" });
    pageScope.poison(ex.poisonGfn);
    v["ch4.ex.page.healthy"] = access(pageScope.vcpuAccess(ex.healthyGfn));
    v["ch4.ex.page.poisoned"] = access(pageScope.vcpuAccess(ex.poisonGfn));
    v["ch4.ex.page.lost"] = fmt(pageScope.metrics().healthyGfnsLost);

    // The shared (HVA-backed) half of the same memslot, for contrast.
    const s = m.sharedAccess(m.sharedHva + ex.poisonGfn * 4096);
    v["ch4.ex.shared.hva"] = hex(m.sharedHva);
    v["ch4.ex.shared.code"] = s.code;
    v["ch4.ex.shared.addr"] = hex(s.addr);
    v["ch4.ex.shared.lsb"] = s.lsb;

    // Keep-mapped: nothing zapped; touching the poisoned page again consumes it again.
    const keep = vm("keep-mapped");
    const kp = keep.poison(ex.poisonGfn);
    v["ch4.keep.zapped"] = fmt(kp.zappedGfns);
    v["ch4.keep.poisoned"] = access(keep.vcpuAccess(ex.poisonGfn));
    v["ch4.keep.healthy"] = access(keep.vcpuAccess(ex.healthyGfn));
    const split = vm("split-then-zap");
    const sp = split.poison(ex.poisonGfn);
    v["ch4.split.zapped"] = fmt(sp.zappedGfns);
    v["ch4.split.leaves"] = fmt(sp.stage2Leaves);
    v["ch4.split.poisoned"] = access(split.vcpuAccess(ex.poisonGfn));
    v["ch4.split.healthy"] = access(split.vcpuAccess(ex.healthyGfn));
  }

  // A device's DMA after one error, per design and policy: the healthy GFN next to the poisoned one, and the poisoned one.
  for (const d of ["tdx-connect", "sev-snp"] as const) {
    for (const policy of ["zap-folio", "keep-mapped", "split-then-zap"] as const) {
      const m = vm(policy, d);
      m.poison(ex.poisonGfn);
      v[`ch4.dma.${d}.${policy}.healthy`] = m.dma(ex.healthyGfn).result;
      v[`ch4.dma.${d}.${policy}.poisoned`] = m.dma(ex.poisonGfn).result;
    }
  }

  // A folio straddling two memslots: the file's first 1G folio, bound half at GFN 0 and half at GFN 0x100000.
  {
    const bindings: GmemBinding[] = [
      { slot: 1, baseGfn: 0, npages: 0x20000, pgoff: 0 },
      { slot: 2, baseGfn: 0x100000, npages: 0x60000, pgoff: 0x20000 },
    ];
    const z = kvmGmemErrorFolio(bindings, 0x30000, "1G");
    v["ch4.bind.slot1"] = `GFNs ${range([0, 0x20000])} ← file pages ${range([0, 0x20000])}`;
    v["ch4.bind.slot2"] = `GFNs ${range([0x100000, 0x160000])} ← file pages ${range([0x20000, 0x80000])}`;
    v["ch4.bind.index"] = hex(0x30000);
    v["ch4.bind.folio"] = range(z.index);
    v["ch4.bind.ranges"] = z.ranges.map((r) => `slot ${r.slot}: GFNs ${range([r.start, r.end])}`).join("; ");
    v["ch4.bind.zapped"] = fmt(z.zappedGfns);
  }

  // The seeded run: every policy × design on the example's workload.
  {
    v["ch4.out.errors"] = ex.errors;
    v["ch4.out.accesses"] = fmt(ex.accesses);
    v["ch4.out.dmas"] = fmt(ex.dmas);
    v["ch4.out.seed"] = ex.seed;
    for (const r of ch4Outcomes()) {
      const k = `ch4.out.${r.design}.${r.policy}`;
      v[`${k}.lost`] = fmt(r.healthyGfnsLost);
      v[`${k}.share`] = share(r.healthyFractionLost);
      v[`${k}.exits`] = fmt(r.exits);
      v[`${k}.dma`] = fmt(r.dmaFaults);
      v[`${k}.cons`] = fmt(r.consumptions);
      v[`${k}.leaves`] = fmt(r.stage2Leaves);
    }
  }

  // The CoCo design records.
  for (const d of COCO_DESIGNS) {
    v[`ch4.design.${d.id}.name`] = d.name;
    v[`ch4.design.${d.id}.dma`] = !d.hasDevice ? "no device" : d.iommuSharesStage2 ? "the CPU's stage-2 (S-EPT)" : "its own IOMMU tables";
    v[`ch4.design.${d.id}.basis`] = !d.hasDevice ? "by definition" : d.verified ? "stated in the thread" : "assumption";
  }
  return v;
}
