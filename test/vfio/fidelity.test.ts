// Fidelity table for Chapter 5: each case asserts what the kernel does for device memory without
// struct page and names the function that decides it (mm/memory-failure.c as merged in
// 2ec41967189c plus the Dec 2025 pgoff fixup; drivers/vfio/pci/nvgrace-gpu/main.c as in
// "[PATCH v2 2/2] vfio/nvgrace-gpu: register device memory for poison handling", Jan 2026).
import { describe, expect, it } from "vitest";
import {
  EBUSY, EFAULT, EINVAL, ENXIO, EOPNOTSUPP, MF_ACTION_REQUIRED, MF_MUST_KILL, ENOENT, GiB, MiB,
  NvgraceGpuDevice, PfnSpaceTree, USEMEM_REGION_INDEX, RESMEM_REGION_INDEX, VFIO_PCI_OFFSET_SHIFT,
  VFIO_PCI_PGOFF_PER_INDEX, NVGRACE_GPU_VM_OPS, memoryFailurePfn, vmaAddressPgoff,
  type PfnAddressSpace, type PfnSystem, type PfnToVmaPgoff,
} from "../../src/index.js";

const GRACE_BASE = 0x4000_0000_0000; // a device-memory physical address far above RAM (example value)
const RAM_FRAMES = (512 * GiB) / 4096;
const ok: PfnToVmaPgoff = (_vma, pfn) => ({ pgoff: pfn });

function space(start: number, last: number, owner = `s${start}`, withCallback = true): PfnAddressSpace {
  return { start, last, mapping: { name: owner }, pfnToVmaPgoff: withCallback ? ok : undefined, owner };
}

/** One GPU (96G usemem + 1G resmem), opened, and two processes mapping usemem at different offsets. */
function twoProcesses(o: { checkVmaEnd?: boolean } = {}) {
  const tree = new PfnSpaceTree();
  const dev = new NvgraceGpuDevice("gpu0", {
    usemem: { index: USEMEM_REGION_INDEX, memphys: GRACE_BASE, memlength: 96 * GiB },
    resmem: { index: RESMEM_REGION_INDEX, memphys: GRACE_BASE + 96 * GiB, memlength: 1 * GiB },
  }, o);
  expect(dev.open(tree), "nvgrace_gpu_open_device registers both regions").toBe(0);
  const vmmA = 100;
  const vmmB = 200;
  const a = dev.mmap(vmmA, USEMEM_REGION_INDEX, 0, 8 * GiB, 0x7f00_0000_0000);
  const b = dev.mmap(vmmB, USEMEM_REGION_INDEX, 4 * GiB, 8 * GiB, 0x7e00_0000_0000);
  const sys: PfnSystem = { tree, vmas: dev.vmas, pids: [vmmA, vmmB], ramFrames: RAM_FRAMES, earlyKill: [vmmB] };
  return { tree, dev, vmmA, vmmB, a, b, sys };
}

describe("register_pfn_address_space() / unregister_pfn_address_space()", () => {
  it("registers a range and finds it again (interval_tree_insert)", () => {
    const t = new PfnSpaceTree();
    const s = space(100, 199);
    expect(t.register(s), "register_pfn_address_space returns 0").toBe(0);
    expect(t.spaces).toEqual([s]);
  });

  it("-EINVAL without the pfn_to_vma_pgoff callback (the Dec 2025 fixup's check)", () => {
    const t = new PfnSpaceTree();
    expect(t.register(space(0, 9, "nocb", false)), "a space without callback must be refused with -EINVAL").toBe(-EINVAL);
    expect(t.spaces.length, "a refused space is not inserted").toBe(0);
  });

  it("v4 as merged (2ec41967189c) had no callback: registration without one succeeds", () => {
    const t = new PfnSpaceTree({ requireCallback: false });
    expect(t.register(space(0, 9, "nocb", false))).toBe(0);
  });

  it("-EBUSY when the range overlaps a registered one, at either end or inside (interval_tree_iter_first)", () => {
    const t = new PfnSpaceTree();
    expect(t.register(space(100, 199))).toBe(0);
    for (const [s, l] of [[50, 100], [199, 300], [120, 130], [0, 1000], [100, 199]]) {
      expect(t.register(space(s, l)), `[${s}, ${l}] overlaps [100, 199]: -EBUSY`).toBe(-EBUSY);
    }
    expect(t.register(space(200, 299)), "an adjacent range does not overlap").toBe(0);
    expect(t.register(space(0, 99)), "an adjacent range below does not overlap").toBe(0);
    expect(t.spaces.map((x) => x.start)).toEqual([0, 100, 200]);
  });

  it("-EOPNOTSUPP from the !CONFIG_MEMORY_FAILURE stub; unregister is a no-op there", () => {
    const t = new PfnSpaceTree({ configMemoryFailure: false });
    const s = space(0, 9);
    expect(t.register(s), "the stub register_pfn_address_space returns -EOPNOTSUPP").toBe(-EOPNOTSUPP);
    t.unregister(s);
    expect(t.spaces.length).toBe(0);
  });

  it("unregister removes the node; the range can be registered again", () => {
    const t = new PfnSpaceTree();
    const s = space(10, 19);
    t.register(s);
    t.unregister(s);
    expect(t.lookup(15), "after unregister_pfn_address_space no space holds the PFN").toBeNull();
    expect(t.register(space(10, 19))).toBe(0);
  });

  it("unregister of a space that was never registered leaves an overlapping one alone", () => {
    const t = new PfnSpaceTree();
    const s = space(10, 19);
    t.register(s);
    t.unregister(space(10, 19));
    expect(t.lookup(10)).toBe(s);
  });

  it("refuses a malformed node (last below start) with a ParameterError", () => {
    expect(() => new PfnSpaceTree().register(space(10, 9))).toThrow(/last PFN 9 is below start PFN 10/);
  });
});

describe("lookup by PFN (interval_tree_iter_first(pfn, pfn))", () => {
  const t = new PfnSpaceTree();
  const a = space(1000, 1999, "a");
  const b = space(3000, 3000, "b");
  const c = space(4000, 8191, "c");
  for (const s of [c, a, b]) t.register(s);

  it("finds the first and last PFN of a space", () => {
    expect(t.lookup(1000)).toBe(a);
    expect(t.lookup(1999)).toBe(a);
    expect(t.lookup(4000)).toBe(c);
    expect(t.lookup(8191)).toBe(c);
  });

  it("a one-page space", () => {
    expect(t.lookup(3000)).toBe(b);
  });

  it("nothing in the gaps, below the first or above the last space", () => {
    for (const p of [0, 999, 2000, 2999, 3001, 3999, 8192, 2 ** 40]) {
      expect(t.lookup(p), `PFN ${p} lies in a gap`).toBeNull();
    }
  });
});

describe("memory_failure(): which path a PFN takes", () => {
  it("a PFN below ramFrames has a struct page: memory_failure_pfn() is not taken", () => {
    const { sys } = twoProcesses();
    const r = memoryFailurePfn(sys, 1234, { current: 100 });
    expect(r.path, "pfn_to_online_page() finds the page").toBe("struct-page");
    expect(r.type).toBeUndefined();
    expect(r.kills).toEqual([]);
  });

  it("old kernel (no series): \"memory outside kernel control\", -ENXIO, nobody signalled (memory_failure)", () => {
    const { sys, dev } = twoProcesses();
    const r = memoryFailurePfn({ ...sys, pfnDispatch: false }, dev.pfnAt(USEMEM_REGION_INDEX, 5 * GiB), { current: 100 });
    expect(r.ret).toBe(-ENXIO);
    expect(r.path).toBe("outside-kernel-control");
    expect(r.kills).toEqual([]);
    expect(r.countersIncremented).toBe(false);
    expect(r.steps.join("\n")).toMatch(/memory outside kernel control/);
  });

  it("old kernel via GHES: ghes_do_memory_failure() drops the record before memory_failure()", () => {
    const { sys, dev } = twoProcesses();
    const r = memoryFailurePfn({ ...sys, pfnDispatch: false }, dev.pfnAt(USEMEM_REGION_INDEX, 0), { reporter: "ghes" });
    expect(r.path).toBe("ghes-dropped");
    expect(r.steps[0]).toMatch(/Invalid address in generic error data/);
    expect(r.kills).toEqual([]);
  });

  it("a PFN above RAM that no driver registered: MF_MSG_PFN_MAP / MF_IGNORED, -EBUSY (memory_failure_pfn, action_result)", () => {
    const { sys } = twoProcesses();
    const r = memoryFailurePfn(sys, RAM_FRAMES + 5, { current: 100 });
    expect(r).toMatchObject({ ret: -EBUSY, type: "MF_MSG_PFN_MAP", result: "MF_IGNORED", kills: [], countersIncremented: false });
  });
});

describe("memory_failure_pfn(): dispatch to the owning driver (fixed kernel)", () => {
  it("two VMMs mapping usemem at different offsets each get the right si_addr; AR to current, AO to the early-kill one (collect_procs_pfn, kill_proc)", () => {
    const { sys, dev, a, b, vmmA, vmmB } = twoProcesses();
    const off = 5 * GiB + 0x3000; // inside both mappings: A maps [0, 8G), B maps [4G, 12G)
    const r = memoryFailurePfn(sys, dev.pfnAt(USEMEM_REGION_INDEX, off), { current: vmmA });
    expect(r).toMatchObject({ ret: 0, type: "MF_MSG_PFN_MAP", result: "MF_RECOVERED", owner: "gpu0 usemem" });
    expect(r.kills, "si_addr = vm_start + (offset in region − VMA's offset in region)").toEqual([
      { pid: vmmA, addr: a.start + off, code: "BUS_MCEERR_AR", lsb: 12 },
      { pid: vmmB, addr: b.start + (off - 4 * GiB), code: "BUS_MCEERR_AO", lsb: 12 },
    ]);
  });

  it("flags forced to MF_ACTION_REQUIRED | MF_MUST_KILL whatever the caller passed", () => {
    const { sys, dev } = twoProcesses();
    const r = memoryFailurePfn(sys, dev.pfnAt(USEMEM_REGION_INDEX, 0), { flags: 0 });
    expect(r.flags & (MF_ACTION_REQUIRED | MF_MUST_KILL)).toBe(MF_ACTION_REQUIRED | MF_MUST_KILL);
  });

  it("a process that is neither current nor early-kill is skipped (task_early_kill → find_early_kill_thread)", () => {
    const { sys, dev, vmmB } = twoProcesses();
    const r = memoryFailurePfn(sys, dev.pfnAt(USEMEM_REGION_INDEX, 5 * GiB), {});
    expect(r.kills.map((k) => k.pid), "with a kworker as current only the early-kill VMM hears of it").toEqual([vmmB]);
    expect(r.kills[0].code, "not current → BUS_MCEERR_AO").toBe("BUS_MCEERR_AO");
  });

  it("vm.memory_failure_early_kill = 1 signals every mapping process; PR_MCE_KILL_LATE opts out", () => {
    const { sys, dev, vmmA, vmmB } = twoProcesses();
    const pfn = dev.pfnAt(USEMEM_REGION_INDEX, 5 * GiB);
    expect(memoryFailurePfn({ ...sys, earlyKill: [], sysctlEarlyKill: true }, pfn).kills.map((k) => k.pid)).toEqual([vmmA, vmmB]);
    expect(memoryFailurePfn({ ...sys, earlyKill: [], lateKill: [vmmA], sysctlEarlyKill: true }, pfn).kills.map((k) => k.pid)).toEqual([vmmB]);
  });

  it("no unmap: memory_failure_pfn() never calls unmap_mapping_range(), the VMAs stay as they were", () => {
    const { sys, dev, a } = twoProcesses();
    const before = JSON.stringify(sys.vmas);
    const r = memoryFailurePfn(sys, dev.pfnAt(USEMEM_REGION_INDEX, 0x1000), { current: 100 });
    expect(r.unmapped).toBe(false);
    expect(JSON.stringify(sys.vmas), "the huge pfnmap VMAs are untouched").toBe(before);
    expect(a.pageSize, "the 1G-aligned mapping keeps its 1G leaves").toBe("1G");
  });

  it("counters untouched: action_result() skips num_poisoned_pages and mf_stats for MF_MSG_PFN_MAP", () => {
    const { sys, dev } = twoProcesses();
    expect(memoryFailurePfn(sys, dev.pfnAt(USEMEM_REGION_INDEX, 0), { current: 100 }).countersIncremented).toBe(false);
  });

  it("the driver hears of the PFN through pfn_to_vma_pgoff(), once per VMA examined", () => {
    const { sys, dev } = twoProcesses();
    const r = memoryFailurePfn(sys, dev.pfnAt(USEMEM_REGION_INDEX, 5 * GiB), { current: 100 });
    expect(r.driverCalls.length).toBe(2);
  });

  it("a VMA whose range starts after the PFN: the callback says -EFAULT, no signal (nvgrace_gpu_pfn_to_vma_pgoff)", () => {
    const { sys, dev, vmmB } = twoProcesses();
    const r = memoryFailurePfn(sys, dev.pfnAt(USEMEM_REGION_INDEX, 1 * GiB), { current: vmmB });
    expect(r.driverCalls.find((c) => c.pid === vmmB)?.result).toEqual({ err: -EFAULT });
    expect(r.kills.map((k) => k.pid)).not.toContain(vmmB);
  });

  it("a VMA ending before the PFN: the callback (as read) returns a pgoff past the VMA, vma_address() = -EFAULT, kill_procs() sends SIGKILL", () => {
    const { sys, dev, vmmA, vmmB } = twoProcesses();
    const r = memoryFailurePfn(sys, dev.pfnAt(USEMEM_REGION_INDEX, 10 * GiB), { current: vmmA });
    expect(r.sigkills, "A maps [0, 8G): offset 10G is past its end").toEqual([vmmA]);
    expect(r.kills.map((k) => k.pid)).toEqual([vmmB]);
  });

  it("with the end check (as the EGM variant has) that VMA is skipped instead of SIGKILLed", () => {
    const { sys, dev, vmmA } = twoProcesses({ checkVmaEnd: true });
    const r = memoryFailurePfn(sys, dev.pfnAt(USEMEM_REGION_INDEX, 10 * GiB), { current: vmmA });
    expect(r.sigkills).toEqual([]);
    expect(r.kills.map((k) => k.pid)).not.toContain(vmmA);
  });

  it("resmem is a separate registration: a PFN there reaches the resmem space", () => {
    const { sys, dev } = twoProcesses();
    const r = memoryFailurePfn(sys, dev.pfnAt(RESMEM_REGION_INDEX, 4096), { current: 100 });
    expect(r.owner).toBe("gpu0 resmem");
    expect(r.kills, "nobody maps resmem").toEqual([]);
  });
});

describe("the v4 bug (2ec41967189c): pgoff taken from the PFN", () => {
  it("with a VFIO vm_pgoff (index << 28 | offset) the PFN matches no VMA: nobody is signalled", () => {
    const { sys, dev } = twoProcesses();
    const r = memoryFailurePfn({ ...sys, pgoffFromPfn: true }, dev.pfnAt(USEMEM_REGION_INDEX, 5 * GiB), { current: 100 });
    expect(r.ret, "still reported as recovered").toBe(0);
    expect(r.kills, "v4 looked up i_mmap at pgoff = pfn and found nothing").toEqual([]);
    expect(r.driverCalls, "v4 had no callback").toEqual([]);
  });

  it("when the PFN happens to fall in a VMA's vm_pgoff range, the process gets a wrong si_addr", () => {
    // A device whose PFNs are numerically close to the file offsets of BAR4: PFN of region byte 0
    // equals the vm_pgoff of region offset 1G, so every PFN reads as a pgoff 1G too far.
    const tree = new PfnSpaceTree();
    const base = (USEMEM_REGION_INDEX * VFIO_PCI_PGOFF_PER_INDEX + (1 * GiB) / 4096) * 4096;
    const dev = new NvgraceGpuDevice("lowgpu", { usemem: { index: 4, memphys: base, memlength: 4 * GiB } });
    dev.open(tree);
    const v = dev.mmap(7, USEMEM_REGION_INDEX, 0, 4 * GiB, 0x5000_0000_0000);
    const pfn = dev.pfnAt(USEMEM_REGION_INDEX, 1 * GiB); // really at v.start + 1G
    const sys: PfnSystem = { tree, vmas: dev.vmas, pids: [7], ramFrames: 1 };
    const right = memoryFailurePfn(sys, pfn, { current: 7 });
    const wrong = memoryFailurePfn({ ...sys, pgoffFromPfn: true }, pfn, { current: 7 });
    expect(right.kills[0].addr, "fixed kernel: offset 1G of the region is 1G into the VMA").toBe(v.start + 1 * GiB);
    expect(wrong.kills[0].addr, "v4: vma_address(vma, pfn) reads the PFN as a file offset").toBe(vmaAddressPgoff(v, pfn));
    expect(wrong.kills[0].addr, "v4 points the VMM 1G away from the poisoned page").toBe(v.start + 2 * GiB);
  });
});

describe("nvgrace-gpu: registration at open_device, callback", () => {
  it("open registers usemem and resmem with start/last from memphys/memlength (nvgrace_gpu_vfio_pci_register_pfn_range)", () => {
    const { tree, dev } = twoProcesses();
    expect(tree.spaces.map((s) => [s.owner, s.start, s.last])).toEqual([
      ["gpu0 usemem", GRACE_BASE / 4096, GRACE_BASE / 4096 + (96 * GiB) / 4096 - 1],
      ["gpu0 resmem", (GRACE_BASE + 96 * GiB) / 4096, (GRACE_BASE + 97 * GiB) / 4096 - 1],
    ]);
    expect(tree.spaces.every((s) => s.mapping === dev.mapping), "mapping = the device inode's i_mapping").toBe(true);
  });

  it("a second open only counts (vfio_df_open: open_device on open_count == 1); cdev refuses it with -EINVAL", () => {
    const { tree, dev } = twoProcesses();
    expect(dev.open(tree), "group path: no second registration, no -EBUSY").toBe(0);
    expect(dev.openCount).toBe(2);
    expect(dev.open(tree, { cdev: true })).toBe(-EINVAL);
    expect(tree.spaces.length).toBe(2);
  });

  it("calling open_device twice without VFIO core in between hits the overlap check: -EBUSY", () => {
    const { tree, dev } = twoProcesses();
    expect(dev.openDevice(tree)).toBe(-EBUSY);
  });

  it("a second device claiming the same memory cannot open (-EBUSY), and leaves no half registration", () => {
    const { tree } = twoProcesses();
    const clone = new NvgraceGpuDevice("gpu0-clone", {
      usemem: { index: 4, memphys: GRACE_BASE + 200 * GiB, memlength: 1 * GiB },
      resmem: { index: 2, memphys: GRACE_BASE + 96 * GiB, memlength: 1 * GiB },
    });
    expect(clone.open(tree)).toBe(-EBUSY);
    expect(tree.spaces.map((s) => s.owner)).toEqual(["gpu0 usemem", "gpu0 resmem"]);
  });

  it("usemem failing after resmem registered unregisters resmem again (register_mem_failed)", () => {
    const tree = new PfnSpaceTree();
    const blocker = space(GRACE_BASE / 4096, GRACE_BASE / 4096, "blocker");
    tree.register(blocker);
    const dev = new NvgraceGpuDevice("gpu1", {
      usemem: { index: 4, memphys: GRACE_BASE, memlength: 1 * GiB },
      resmem: { index: 2, memphys: GRACE_BASE + 2 * GiB, memlength: 1 * GiB },
    });
    expect(dev.open(tree)).toBe(-EBUSY);
    expect(tree.spaces).toEqual([blocker]);
    expect(dev.openCount).toBe(0);
  });

  it("without CONFIG_MEMORY_FAILURE the device still opens (-EOPNOTSUPP ignored) and nothing is registered", () => {
    const tree = new PfnSpaceTree({ configMemoryFailure: false });
    const dev = new NvgraceGpuDevice("gpu2", { usemem: { index: 4, memphys: GRACE_BASE, memlength: 1 * GiB } });
    expect(dev.open(tree)).toBe(0);
    expect(tree.spaces.length).toBe(0);
  });

  it("close_device unregisters: the PFN falls back to MF_IGNORED", () => {
    const { tree, dev, sys } = twoProcesses();
    dev.close(tree);
    expect(dev.openCount).toBe(0);
    expect(tree.spaces.length).toBe(0);
    expect(memoryFailurePfn(sys, dev.pfnAt(USEMEM_REGION_INDEX, 0)).result).toBe("MF_IGNORED");
  });

  it("vm_pgoff encodes the region index at bit 40 of the file offset", () => {
    const { a, b } = twoProcesses();
    expect(VFIO_PCI_OFFSET_SHIFT).toBe(40);
    expect(a.pgoff).toBe(USEMEM_REGION_INDEX * 2 ** 28);
    expect(b.pgoff).toBe(USEMEM_REGION_INDEX * 2 ** 28 + (4 * GiB) / 4096);
  });

  it("callback: -ENOENT for a VMA that is not ours (vma_to_nvdev checks vm_ops)", () => {
    const { dev, a } = twoProcesses();
    expect(dev.pfnToVmaPgoff({ ...a, ops: "other_ops" }, dev.pfnAt(4, 0))).toEqual({ err: -ENOENT });
    expect(a.ops).toBe(NVGRACE_GPU_VM_OPS);
  });

  it("callback: -EINVAL for a region index the device does not have, -EFAULT for a PFN outside the region", () => {
    const { dev, a } = twoProcesses();
    expect(dev.pfnToVmaPgoff({ ...a, pgoff: 0 }, dev.pfnAt(4, 0)), "index 0 (BAR0) is not a memory region").toEqual({ err: -EINVAL });
    expect(dev.pfnToVmaPgoff(a, dev.pfnAt(RESMEM_REGION_INDEX, 0)), "a resmem PFN through a usemem VMA").toEqual({ err: -EFAULT });
  });

  it("mmap refuses a range past memlength (nvgrace_gpu_mmap: -EINVAL) and a region that does not exist", () => {
    const { dev } = twoProcesses();
    expect(() => dev.mmap(1, USEMEM_REGION_INDEX, 95 * GiB, 2 * GiB, 0x1000_0000_0000)).toThrow(/past the region/);
    expect(() => dev.mmap(1, 0, 0, 4096, 0x1000_0000_0000)).toThrow(/region 0 does not exist/);
  });

  it("mmap picks the largest aligned leaf (huge pfnmap): 1G, 2M or 4K", () => {
    const { dev } = twoProcesses();
    expect(dev.mmap(1, 4, 0, 2 * MiB, 0x1000_0020_0000).pageSize).toBe("2M");
    expect(dev.mmap(1, 4, 4096, 8192, 0x1000_0000_1000).pageSize).toBe("4K");
  });
});

describe("vma_address(vma, pgoff, 1)", () => {
  const v = { pid: 1, start: 0x10000, end: 0x20000, pgoff: 100, mapping: { name: "m" }, ops: "x", pageSize: "4K" as const };
  it("start, last page, one past the end, before vm_pgoff", () => {
    expect(vmaAddressPgoff(v, 100)).toBe(0x10000);
    expect(vmaAddressPgoff(v, 115)).toBe(0x1f000);
    expect(vmaAddressPgoff(v, 116)).toBe(-EFAULT);
    expect(vmaAddressPgoff(v, 99)).toBe(-EFAULT);
  });
});
