// VFIO BARs mapped into a VMM (Chapter 5): device memory without struct page, errors dispatched on
// the physical address. Chapter 5's memory_failure_pfn() and nvgrace-gpu decide who is told; the
// policy decides whether the page is unmapped, kept and signalled, or left to the owning driver.
import { formatSize, parseSize } from "../../core/units.js";
import { ENOENT } from "../../iommufd/iommufd.js";
import { MF_ACTION_REQUIRED } from "../../mfr/constants.js";
import { memoryFailurePfn, type PfnSystem } from "../../vfio/memory-failure-pfn.js";
import { NvgraceGpuDevice, USEMEM_REGION_INDEX } from "../../vfio/nvgrace-gpu.js";
import { PfnSpaceTree, type PfnVma } from "../../vfio/pfn-address-space.js";
import type { Consultant } from "../consult.js";
import { splitThroughputLoss, Tally, ToldExtents } from "../metrics.js";
import type { PfnChoice } from "../types.js";
import { plural, workloadRng, type BatteryParams, type WorkloadInfo, type WorkloadRun } from "./common.js";

const GPU_BYTES = parseSize("16G");
const MEM_BYTES = parseSize("4G");
const GPU_PHYS = 2 ** 46;
const MEM_PHYS = GPU_PHYS + GPU_BYTES;
const LEAF = parseSize("1G");
const VMM = 100;

export const VFIO_WORKLOAD: WorkloadInfo = {
  id: "vfio", title: "VFIO BARs mapped into a VMM", chapter: 5,
  setup: "a VMM maps two devices' memory with huge pfnmaps (1G leaves): 16G of an nvgrace-gpu's usemem, whose driver registers its range for poison handling (7.3), and 4G of a second device whose driver registers nothing (an assumption: no upstream example is known); every third error lands on the second device; a scrubber reports each error first (a kworker, the VMM is not early-kill), then the guest touches the page",
  asks: "pfnError at each error",
};

/**
 * Runs the VFIO workload. x86's kill_me_maybe() decides what an unrecovered consumption does (a
 * SIGBUS with no address, kill_me_now(), counted as the end of the VM); that an arm64 Grace host's
 * SEA path ends the same way is an assumption.
 */
export function runVfio(consult: Consultant, p: BatteryParams): WorkloadRun {
  const tally = new Tally("vfio");
  const notes: string[] = [];
  const told = new ToldExtents();
  const tree = new PfnSpaceTree();
  const gpu = new NvgraceGpuDevice("gpu0", { usemem: { index: USEMEM_REGION_INDEX, memphys: GPU_PHYS, memlength: GPU_BYTES } });
  if (gpu.open(tree) !== 0) throw new Error("vfio workload: nvgrace-gpu failed to register its range");
  const gpuVma = gpu.mmap(VMM, USEMEM_REGION_INDEX, 0, GPU_BYTES, 2 ** 40);
  const memMapping = { name: "mem1 i_mapping" };
  const memVma: PfnVma = { pid: VMM, start: 2 ** 41, end: 2 ** 41 + MEM_BYTES, pgoff: 0, mapping: memMapping, ops: "vfio_pci_mmap_ops", pageSize: "1G" };
  const firstMem = MEM_PHYS / 4096;
  // Mainline 7.3: only the driver's registered range is dispatched.
  const sys73: PfnSystem = { tree, vmas: [gpuVma, memVma], pids: [VMM], ramFrames: 2 ** 20 };
  // The RFC's keep-mapped flag works through the device file: every device's mappings are found.
  const fileTree = new PfnSpaceTree();
  fileTree.register(gpu.usememSpace);
  fileTree.register({
    start: firstMem, last: firstMem + MEM_BYTES / 4096 - 1, mapping: memMapping, owner: "mem1 (through its device file)",
    pfnToVmaPgoff: (vma, pfn) => (vma.mapping === memMapping ? { pgoff: vma.pgoff + (pfn - firstMem) } : { err: -ENOENT }),
  });
  const sysFile: PfnSystem = { tree: fileTree, vmas: [gpuVma, memVma], pids: [VMM], ramFrames: 2 ** 20 };
  const sysFor = (c: PfnChoice) => (c === "driver" ? sys73 : sysFile);

  const rng = workloadRng(p.seed, 4);
  const zapped = new Set<number>();
  const brokenLeaves = new Set<number>();
  let vmmEvents = 0;
  let killed = false;
  const seen = new Set<number>();
  for (let i = 0; i < p.errors && !killed; i++) {
    const onMem = i % 3 === 2;
    const regionBytes = onMem ? MEM_BYTES : GPU_BYTES;
    let pfn = 0;
    do pfn = (onMem ? MEM_PHYS : GPU_PHYS) / 4096 + rng.nextInt(regionBytes / 4096);
    while (seen.has(pfn));
    seen.add(pfn);
    const vma = onMem ? memVma : gpuVma;
    const addr = vma.start + (pfn - (onMem ? MEM_PHYS : GPU_PHYS) / 4096) * 4096;
    const choice = consult.ask("pfnError", {
      decision: "pfnError", workload: "vfio", device: onMem ? "mem1" : "gpu0", registered: !onMem, leafSize: "1G", regionBytes, errorsSoFar: i,
    });
    // The scrubber's report: a kworker runs memory_failure(); only early-kill processes would hear.
    const ao = memoryFailurePfn(sysFor(choice), pfn, { reporter: "ghes" });
    for (const k of ao.kills) if (k.pid === VMM) (vmmEvents++, told.add(k.addr, k.lsb));
    if (choice === "unmap") {
      zapped.add(pfn);
      const leaf = Math.floor((addr - 2 ** 40) / LEAF);
      if (!brokenLeaves.has(leaf)) brokenLeaves.add(leaf);
    }
    for (let r = 0; r < p.retouch && !killed; r++) {
      if (zapped.has(pfn)) {
        // ASSUMPTION: the fault path refuses a PFN it was told is poisoned (the tracking the
        // driver callback allows; nvgrace-gpu as read does not do it): SIGBUS, no consumption.
        vmmEvents++;
        told.add(addr, 12);
        continue;
      }
      tally.add("repeatedConsumption", 1, "the guest read a poisoned device page that is still mapped");
      const ar = memoryFailurePfn(sysFor(choice), pfn, { current: VMM, flags: MF_ACTION_REQUIRED });
      for (const k of ar.kills) if (k.pid === VMM) (vmmEvents++, told.add(k.addr, k.lsb));
      if (ar.ret !== 0) {
        // x86 kill_me_maybe(): memory_failure() neither recovered nor signalled → kill_me_now().
        killed = true;
        tally.add("guestBreakage", 1, `the VMM was lost: the error on ${onMem ? "mem1" : "gpu0"} reached no registered driver (MF_IGNORED, -EBUSY), so kill_me_maybe() called kill_me_now(): a SIGBUS with no address, which the model counts as the end of the VM`);
        notes.push(`error ${i + 1}: nobody handled the PFN; the VMM got a SIGBUS with no address at its first consumption (counted as killed)`);
      }
    }
  }
  for (const [size, n] of told.sizes()) tally.add("memoryLostRunning", n * size, `SIGBUS told the VMM to give up ${plural(n, `${formatSize(size)} device page`)}`);
  if (brokenLeaves.size) {
    const bytes = brokenLeaves.size * LEAF;
    tally.add("throughputLost", splitThroughputLoss(bytes / (GPU_BYTES + MEM_BYTES)), `${plural(brokenLeaves.size, "broken 1G pfnmap leaf")} (4K entries now) from the unmap (Chapter 5's zap cost); MemCycle model at ${((100 * bytes) / (GPU_BYTES + MEM_BYTES)).toFixed(2)} % of the 20G of BARs, as if the guest streamed through them`);
  }
  tally.add("vmmSignalTime", vmmEvents * p.signalCostUs, `${plural(vmmEvents, "SIGBUS")} handled by the VMM`);
  notes.push("memory lost after teardown: device memory is not returned to the host allocator, so the battery counts none");
  return { id: "vfio", tally, vmmEvents, vmKilled: killed, notes };
}
