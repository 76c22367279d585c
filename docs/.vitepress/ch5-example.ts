// Chapter 5's running example, shared by its build-time values (lib-values-ch5.ts), its charts and
// the site test, so the prose and the charts' starting positions describe the same machine.
// Sizes and addresses are chosen for the example; they are not the figures of any real GPU.
import { PfnSpaceTree } from "../../src/vfio/pfn-address-space.js";
import { NvgraceGpuDevice, USEMEM_REGION_INDEX, RESMEM_REGION_INDEX } from "../../src/vfio/nvgrace-gpu.js";
import { memoryFailurePfn, type PfnFailureResult, type PfnSystem } from "../../src/vfio/memory-failure-pfn.js";
import type { PfnVma } from "../../src/vfio/pfn-address-space.js";

const G = 2 ** 30;

export const CH5_EXAMPLE = {
  /** System RAM: PFNs below this have a struct page. */
  ramBytes: 64 * G,
  /**
   * usemem's physical base: 4T + 2G. Under the v4 bug the PFN is read as a file offset; usemem's
   * offsets start at 4 << 28 pages (BAR4), which as a PFN is 4T, so with this base the bug finds
   * the VMAs but names an address 2G too far (other bases find no VMA at all).
   */
  usememBase: 4 * 2 ** 40 + 2 * G,
  usememBytes: 16 * G,
  resmemBase: 4 * 2 ** 40 + 32 * G,
  resmemBytes: 1 * G,
  /** The VMM (QEMU) maps all of usemem; a second process maps its upper half; a third maps resmem. */
  vmm: { pid: 100, addr: 0x7f00_0000_0000, offset: 0, length: 16 * G },
  helper: { pid: 200, addr: 0x7e00_0000_0000, offset: 8 * G, length: 8 * G },
  resmemUser: { pid: 300, addr: 0x7d00_0000_0000, offset: 0, length: 1 * G },
  /** The poisoned page: usemem offset 10G + 5 pages. */
  poisonOffset: 10 * G + 5 * 4096,
  /** Slider steps for the dispatch chart (bytes). */
  offsetStep: 256 * 2 ** 20,
};

export interface Ch5Options {
  /** The v4 bug: the PFN itself used as the page offset. */
  pgoffFromPfn?: boolean;
  /** The second process (pid 200) chose PR_MCE_KILL_EARLY (pid 300, on resmem, always did). */
  helperEarly?: boolean;
  /** Who reported the error: the VMM consumed it (current = pid 100), or firmware found it (a kworker). */
  reporter?: "consumed" | "found";
  /** Length the second process maps from usemem offset 8G (default 8G, to the end). */
  helperLength?: number;
  /** The driver also refuses a PFN past the VMA's end (not in the code read). */
  checkVmaEnd?: boolean;
  /** Kernel without Ankit's series. */
  pfnDispatch?: boolean;
}

export interface Ch5Machine {
  tree: PfnSpaceTree;
  gpu: NvgraceGpuDevice;
  sys: PfnSystem;
  /** The usemem VMAs (pid 100, then pid 200), as the dispatch chart draws them. */
  usememVmas: PfnVma[];
  openRet: number;
}

/** The example machine: one nvgrace-gpu device opened (usemem and resmem registered), three mmaps. */
export function ch5Machine(o: Ch5Options = {}): Ch5Machine {
  const ex = CH5_EXAMPLE;
  const tree = new PfnSpaceTree();
  const gpu = new NvgraceGpuDevice(
    "gpu0",
    {
      usemem: { index: USEMEM_REGION_INDEX, memphys: ex.usememBase, memlength: ex.usememBytes },
      resmem: { index: RESMEM_REGION_INDEX, memphys: ex.resmemBase, memlength: ex.resmemBytes },
    },
    { checkVmaEnd: o.checkVmaEnd ?? false },
  );
  const openRet = gpu.open(tree);
  const a = gpu.mmap(ex.vmm.pid, USEMEM_REGION_INDEX, ex.vmm.offset, ex.vmm.length, ex.vmm.addr);
  const b = gpu.mmap(ex.helper.pid, USEMEM_REGION_INDEX, ex.helper.offset, o.helperLength ?? ex.helper.length, ex.helper.addr);
  const c = gpu.mmap(ex.resmemUser.pid, RESMEM_REGION_INDEX, ex.resmemUser.offset, ex.resmemUser.length, ex.resmemUser.addr);
  const sys: PfnSystem = {
    tree,
    vmas: [a, b, c],
    pids: [ex.vmm.pid, ex.helper.pid, ex.resmemUser.pid],
    ramFrames: ex.ramBytes / 4096,
    pgoffFromPfn: o.pgoffFromPfn ?? false,
    pfnDispatch: o.pfnDispatch ?? true,
    // pid 300 always asked for early kill, so the driver is asked about its resmem VMA too.
    earlyKill: (o.helperEarly ?? true) ? [ex.helper.pid, ex.resmemUser.pid] : [ex.resmemUser.pid],
  };
  return { tree, gpu, sys, usememVmas: [a, b], openRet };
}

/** memory_failure() on the usemem page at `offset` (default: the example's poisoned page). */
export function ch5Dispatch(o: Ch5Options = {}, offset: number = CH5_EXAMPLE.poisonOffset): { m: Ch5Machine; pfn: number; r: PfnFailureResult } {
  const m = ch5Machine(o);
  const pfn = m.gpu.pfnAt(USEMEM_REGION_INDEX, offset);
  const consumed = (o.reporter ?? "consumed") === "consumed";
  const r = memoryFailurePfn(m.sys, pfn, consumed ? { current: CH5_EXAMPLE.vmm.pid, reporter: "ghes" } : { reporter: "ghes" });
  return { m, pfn, r };
}
