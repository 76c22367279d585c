// The confidential guest (Chapter 4): private memory in guest_memfd, a passthrough device whose DMA
// is translated by the CPU's stage-2 (TDX Connect), errors found by a patrol scrubber. The policy is
// asked at each error and GuestMemfdVm carries the answer out.
import { formatSize, parseSize } from "../../core/units.js";
import { cocoDesign } from "../../guest_memfd/designs.js";
import { GuestMemfdVm } from "../../guest_memfd/vm.js";
import type { Consultant } from "../consult.js";
import { splitThroughputLoss, Tally } from "../metrics.js";
import { errorOffsets, plural, probeOffsets, workloadRng, type BatteryParams, type WorkloadInfo, type WorkloadRun } from "./common.js";

const MEMORY = "16G";

export const CVM_WORKLOAD: WorkloadInfo = {
  id: "cvm", title: "confidential guest on guest_memfd", chapter: 4,
  setup: `a confidential VM with ${MEMORY} of private memory in one guest_memfd of 1G folios (the 1G RFC's; mainline has 4K), a passthrough device under ${cocoDesign("tdx-connect").name}, whose DMA goes through the CPU's stage-2 (both can be changed: BatteryOptions.cvm); errors are found by a patrol scrubber (had a vCPU consumed one first, 7.3 would send the VMM a SIGBUS with no address whatever the policy: truncate_error_folio() turns MF_DELAYED into MF_FAILED, and kill_me_maybe() then calls kill_me_now(), which Sean Christopherson read as likely killing the VM)`,
  asks: "gmemError at each error",
};

export function runCvm(consult: Consultant, p: BatteryParams): WorkloadRun {
  const tally = new Tally("cvm");
  const notes: string[] = [];
  const DESIGN = p.cvm.design;
  const FOLIO = p.cvm.folioSize;
  const design = cocoDesign(DESIGN);
  const vm = new GuestMemfdVm({ memory: MEMORY, folioSize: FOLIO, design: DESIGN });
  const folioPages = vm.folioPages;
  const nFolios = vm.privateGfns / folioPages;
  const rng = workloadRng(p.seed, 3);
  const gfns = errorOffsets(rng, p.errors, nFolios, folioPages * 4096).map((off) => vm.baseGfn + off / 4096);
  const poisoned = new Set(gfns.map((g) => (g - vm.baseGfn) * 4096));
  const errorsIn = new Map<number, number>();
  const split2m = new Set<number>();
  let exits = 0;

  gfns.forEach((gfn, i) => {
    const f = vm.folioOf(gfn);
    const choice = consult.ask("gmemError", {
      decision: "gmemError", workload: "cvm", folioSize: FOLIO, design: DESIGN, iommuSharesStage2: design.iommuSharesStage2,
      hasDevice: design.hasDevice, errorsSoFar: i, errorsInFolio: errorsIn.get(f) ?? 0,
    });
    errorsIn.set(f, (errorsIn.get(f) ?? 0) + 1);
    vm.poison(gfn, { policy: choice });
    if (choice === "split-then-zap" && FOLIO !== "4K") split2m.add(Math.floor((gfn - vm.baseGfn) / 512));
    for (let r = 0; r < p.retouch; r++) {
      const a = vm.vcpuAccess(gfn);
      if (a.result === "poison-consumed") tally.add("repeatedConsumption", 1, "a vCPU read the poisoned page the secure world still maps");
      else if (a.result === "KVM_EXIT_MEMORY_FAULT") exits++;
      const d = vm.dma(gfn);
      if (d.result === "poison-consumed") tally.add("dmaToPoison", 1, design.iommuSharesStage2 ? "the device's DMA read the poisoned page through the stage-2 it shares with the CPU" : "the device's DMA read the poisoned page through IOMMU tables nothing told about the error");
    }
    const start = (f * folioPages) * 4096;
    for (const off of probeOffsets(start, folioPages * 4096, p.probes, poisoned)) {
      const g = vm.baseGfn + off / 4096;
      const a = vm.vcpuAccess(g);
      if (a.result === "KVM_EXIT_MEMORY_FAULT") {
        exits++;
        tally.add("guestBreakage", 1, "a vCPU access to a healthy GFN of a zapped folio exited with KVM_EXIT_MEMORY_FAULT (-EHWPOISON)");
      }
      const d = vm.dma(g);
      if (d.result === "dma-fault") tally.add("guestBreakage", 1, "the device faulted on a healthy GFN: the zap also took it out of the IOMMU's (shared) stage-2");
      else if (d.result === "poison-consumed") tally.add("dmaToPoison", 1, "the device's DMA read a poisoned page");
    }
  });

  const mt = vm.metrics();
  if (mt.healthyGfnsLost) tally.add("memoryLostRunning", mt.healthyGfnsLost * 4096, `healthy GFNs of zapped ${FOLIO} folios the guest cannot fault back in (${mt.healthyGfnsLost.toLocaleString("en-US")} × 4K)`);
  if (mt.poisonedGfns) tally.add("memoryLostRunning", mt.poisonedGfns * 4096, "the poisoned pages themselves");
  if (split2m.size) {
    const bytes = split2m.size * parseSize("2M");
    tally.add("throughputLost", splitThroughputLoss(bytes / (vm.privateGfns * 4096)), `${formatSize(bytes)} of ${MEMORY} now mapped by 4K stage-2 leaves (split then zap); MemCycle model at ${((100 * bytes) / (vm.privateGfns * 4096)).toFixed(3)} %`);
  }
  tally.add("vmmSignalTime", exits * p.signalCostUs, `${plural(exits, "KVM_EXIT_MEMORY_FAULT exit")} handled by the VMM`);
  notes.push("memory lost after teardown is not modelled for guest_memfd (the 1G RFC's release of a poisoned folio is unimplemented)");
  return { id: "cvm", tally, vmmEvents: exits, vmKilled: false, notes };
}
