// Fidelity where 6.12 and 7.3 differ, and the items fixed against the 7.3 source (issue: the
// course at mainline 7.3). Each case names the kernel function that decides it; a case that
// depends on the version runs on both kernels.
import { describe, expect, it } from "vitest";
import {
  DEFAULT_KERNEL_VERSION, EBUSY, EHWPOISON, ENXIO, KERNEL_CHANGES, KERNEL_VERSIONS, MF_ACTION_REQUIRED, Machine,
  PR_MCE_KILL_EARLY, PR_MCE_KILL_LATE, hasChange, parseKernelVersion, type KernelVersion,
} from "../../src/mfr/index.js";
import * as lib from "../../src/index.js";
import { pinRegistry } from "../../src/iommufd/index.js";
import { lastMf, mfEvents, smallMachine } from "./helpers.js";

const both = KERNEL_VERSIONS;

describe("the kernel-version interface", () => {
  it("KernelVersion is \"6.12\" | \"7.3\", the default is 7.3, exported from src/mfr and src/index", () => {
    expect(KERNEL_VERSIONS).toEqual(["6.12", "7.3"]);
    expect(DEFAULT_KERNEL_VERSION).toBe("7.3");
    expect(lib.DEFAULT_KERNEL_VERSION).toBe("7.3");
    expect(new Machine({ memory: "64M" }).opts.kernel).toBe("7.3");
    expect(new Machine({ memory: "64M", kernel: "6.12" }).opts.kernel).toBe("6.12");
  });

  it("a version the model does not know is one clear error", () => {
    expect(() => new Machine({ memory: "64M", kernel: "6.6" as KernelVersion })).toThrow(/kernel: "6.6" is not a modelled kernel \(use "6.12" or "7.3"\)/);
    expect(parseKernelVersion(7.3)).toBe("7.3");
    expect(parseKernelVersion(6.12)).toBe("6.12");
  });

  it("every change names its source and the functions that decide it, and is absent from 6.12", () => {
    for (const [id, c] of Object.entries(KERNEL_CHANGES)) {
      expect(c.source.length, id).toBeGreaterThan(20);
      expect(c.functions.length, id).toBeGreaterThan(0);
      expect(hasChange("6.12", id as keyof typeof KERNEL_CHANGES), id).toBe(false);
      expect(hasChange("7.3", id as keyof typeof KERNEL_CHANGES), id).toBe(true);
    }
  });

  it("PR_MCE_KILL_EARLY and PR_MCE_KILL_LATE are values of arg3, not flags (kernel/sys.c prctl)", () => {
    expect(PR_MCE_KILL_LATE).toBe(0);
    expect(PR_MCE_KILL_EARLY).toBe(1);
    expect(PR_MCE_KILL_EARLY | PR_MCE_KILL_LATE).toBe(PR_MCE_KILL_EARLY);
  });
});

describe("kernel-owned pages (get_any_page, is_kernel_owned_page)", () => {
  const want: Record<KernelVersion, string> = { "6.12": "MF_MSG_GET_HWPOISON", "7.3": "MF_MSG_KERNEL" };
  for (const k of both) {
    it(`${k}: a reserved page → ${want[k]} / MF_IGNORED, counted as ignored`, () => {
      const m = smallMachine({ kernel: k });
      expect(m.memoryFailure(10)).toEqual({ ret: -EBUSY, type: want[k], result: "MF_IGNORED" });
      expect(m.stats.ignored).toBe(1);
    });
  }

  it("7.3: vm.panic_on_unrecoverable_memory_failure = 1 panics on it (action_result, panic_on_unrecoverable_mf)", () => {
    const m = smallMachine({ panicOnUnrecoverableMemoryFailure: true });
    expect(() => m.memoryFailure(10)).toThrow(/panic.*unrecoverable/);
    expect(m.panicked).toBe(true);
    // A user page is not affected by the sysctl.
    const u = smallMachine({ panicOnUnrecoverableMemoryFailure: true });
    expect(u.memoryFailure(200_000)).toMatchObject({ type: "MF_MSG_BUDDY", result: "MF_RECOVERED" });
  });

  it("6.12 has no such sysctl: asking for it is an error", () => {
    expect(() => smallMachine({ kernel: "6.12", panicOnUnrecoverableMemoryFailure: true })).toThrow(/has no vm.panic_on_unrecoverable_memory_failure/);
  });
});

describe("a PFN with no struct page (memory_failure, memory_failure_pfn)", () => {
  it("7.3: memory_failure_pfn() finds no registered space → MF_MSG_PFN_MAP / MF_IGNORED, -EBUSY, not counted", () => {
    const m = smallMachine();
    const pfn = m.mem.nrFrames + 0x1000;
    expect(m.memoryFailure(pfn)).toEqual({ ret: -EBUSY, type: "MF_MSG_PFN_MAP", result: "MF_IGNORED" });
    expect(m.stats.total).toBe(0);
    expect(m.numPoisonedPages).toBe(0);
    expect(lib.ACTION_PAGE_TYPES.MF_MSG_PFN_MAP).toBe("non struct page pfn");
  });

  it("6.12: \"memory outside kernel control\", -ENXIO, no action_result", () => {
    const m = smallMachine({ kernel: "6.12" });
    expect(m.memoryFailure(m.mem.nrFrames + 0x1000)).toEqual({ ret: -ENXIO });
    expect(mfEvents(m)).toEqual([]);
  });

  for (const k of both) {
    it(`${k}: src/vfio follows the same kernel (memoryFailurePfn, ghes_do_memory_failure)`, () => {
      const sys = { tree: new lib.PfnSpaceTree(), vmas: [], pids: [], ramFrames: 1000, kernel: k };
      const direct = lib.memoryFailurePfn(sys, 5000, {});
      const ghes = lib.memoryFailurePfn(sys, 5000, { reporter: "ghes" });
      if (k === "7.3") {
        expect(direct).toMatchObject({ ret: -EBUSY, type: "MF_MSG_PFN_MAP", result: "MF_IGNORED" });
        expect(ghes.path).toBe("memory_failure_pfn");
      } else {
        expect(direct).toMatchObject({ ret: -ENXIO, path: "outside-kernel-control" });
        expect(ghes.path).toBe("ghes-dropped");
      }
    });
  }
});

/** A 1G HugeTLB memfd mapped and touched, without the RFC's policy. */
function huge(kernel: KernelVersion) {
  const m = smallMachine({ kernel });
  const pid = m.spawn();
  const fd = m.memfdCreate(pid, { size: "1G", hugetlb: "1G" });
  const addr = m.mmap(pid, { length: "1G", fd });
  m.write(pid, addr);
  const head = m.pfnOf(pid, addr) as number;
  return { m, pid, addr, head };
}

describe("a second error on a poisoned HugeTLB folio (try_memory_failure_hugetlb, MF_HUGETLB_*_PRE_POISONED)", () => {
  for (const k of both) {
    it(`${k}: a new raw page → MF_MSG_HUGE / MF_FAILED, counted; the same raw page → MF_MSG_ALREADY_POISONED, not counted`, () => {
      const { m, head } = huge(k);
      m.memoryFailure(head + 3);
      const n0 = m.numPoisonedPages;
      expect(m.memoryFailure(head + 9)).toEqual({ ret: -EHWPOISON, type: "MF_MSG_HUGE", result: "MF_FAILED" });
      expect(m.numPoisonedPages).toBe(n0 + 1);
      expect(m.stats.failed).toBe(1);
      expect(m.memoryFailure(head + 9)).toEqual({ ret: -EHWPOISON, type: "MF_MSG_ALREADY_POISONED", result: "MF_FAILED" });
      expect(m.numPoisonedPages).toBe(n0 + 1);
      expect([...(m.mem.pageFolio(head)!.rawHwp ?? [])]).toEqual([head + 3, head + 9]);
    });

    it(`${k}: consumed, it signals the raw page's address with the huge shift (kill_accessing_process, check_hwpoisoned_entry)`, () => {
      const { m, pid, addr, head } = huge(k);
      m.memoryFailure(head + 3);
      const from = m.events.length;
      const r = m.memoryFailure(head + 9, MF_ACTION_REQUIRED, { current: pid });
      expect(r).toMatchObject({ ret: -EHWPOISON, type: "MF_MSG_HUGE" });
      const sig = m.events.slice(from).filter((e) => e.kind === "signal");
      expect(sig).toMatchObject([{ pid, code: "BUS_MCEERR_AR", addr: addr + 9 * 4096, lsb: 30 }]);
    });
  }

  it("a hardware error takes MF's reference only while the folio is hugetlb_migratable (get_huge_page_for_hwpoison)", () => {
    const { m, head } = huge("7.3");
    const f = m.mem.pageFolio(head)!;
    m.memoryFailure(head + 3);
    const ref1 = f.ref;
    m.memoryFailure(head + 9);
    m.memoryFailure(head + 11);
    expect(f.ref).toBe(ref1);
    expect(f.mfRefs).toBe(1);
  });
});

describe("a consumed error memory_failure() cannot recover", () => {
  /** A clean shmem page pinned by a device: MF_FAILED with nobody signalled (forcekill is false). */
  function pinnedClean(o: { kernel?: KernelVersion; arch?: "x86" | "arm64" }) {
    const m = smallMachine(o);
    const pid = m.spawn();
    const fd = m.memfdCreate(pid, { size: "2M" });
    const addr = m.mmap(pid, { length: "2M", fd });
    expect(m.read(pid, addr).result).toBe("ok");
    m.pin(pid, addr);
    m.mem.markBad(m.pfnOf(pid, addr) as number); // a latent error the next load consumes
    return { m, pid, addr };
  }

  for (const k of both) {
    it(`${k} x86: kill_me_maybe() → kill_me_now(): a plain SIGBUS without address (force_sig)`, () => {
      const { m, pid, addr } = pinnedClean({ kernel: k });
      const r = m.read(pid, addr);
      expect(lastMf(m)).toMatchObject({ type: "MF_MSG_CLEAN_LRU", result: "MF_FAILED" });
      expect(r.signals).toEqual([{ pid, sig: "SIGBUS", code: null, addr: 0, lsb: 0 }]);
    });
  }

  it("7.3 arm64: the SEA's memory_failure_cb() sends the same plain SIGBUS (ghes_do_memory_failure)", () => {
    const { m, pid, addr } = pinnedClean({ arch: "arm64" });
    expect(m.read(pid, addr).signals).toEqual([{ pid, sig: "SIGBUS", code: null, addr: 0, lsb: 0 }]);
  });

  it("6.12 arm64: the SEA was queued (ghes_kick_task_work); a failed recovery sends nothing more", () => {
    const { m, pid, addr } = pinnedClean({ kernel: "6.12", arch: "arm64" });
    expect(m.read(pid, addr).signals).toEqual([]);
    expect(lastMf(m).result).toBe("MF_FAILED");
  });
});

describe("injected vs real poison (madvise_inject_error, MF_SW_SIMULATED)", () => {
  it("the model keeps the two apart: an injected frame is not corrupt, a hardware one is", () => {
    const m = smallMachine();
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "2M" });
    m.write(pid, a);
    m.write(pid, a + 4096);
    const p1 = m.pfnOf(pid, a) as number;
    const p2 = m.pfnOf(pid, a + 4096) as number;
    m.madviseHwpoison(pid, a);
    m.memoryFailure(p2);
    expect([m.mem.isCorrupt(p1), m.mem.isCorrupt(p2)]).toEqual([false, true]);
    // A hardware error later on an injected frame makes it really bad.
    m.memoryFailure(p1);
    expect(m.mem.isCorrupt(p1)).toBe(true);
  });

  it("a DMA that still reaches an injected frame (a folio the RFC keeps mapped) completes; a real one reaches poison (no callback into the IOMMU either way)", () => {
    for (const [how, want] of [["madvise", "ok"], ["hardware", "poison"]] as const) {
      const m = smallMachine();
      const vmm = m.spawn();
      const fd = m.memfdCreate(vmm, { size: "2M", hugetlb: "2M", keepUeMapped: true });
      const addr = m.mmap(vmm, { length: "2M", fd });
      m.populate(vmm, addr, "2M");
      const ioas = new lib.Iommufd(m, vmm).ioasAlloc();
      const nic = ioas.attach("nic");
      expect(ioas.map({ uptr: addr, length: "2M", iova: 0 })).toMatchObject({ ret: 0 });
      const pfn = m.pfnOf(vmm, addr + 5 * 4096) as number;
      if (how === "madvise") m.madviseHwpoison(vmm, addr + 5 * 4096);
      else m.memoryFailure(pfn);
      expect(nic.dma(5 * 4096, { write: false }).result).toBe(want);
    }
  });
});

describe("a truncated healthy folio still pinned for DMA (iommufd)", () => {
  it("the DMA completes into it: not 'offlined', nothing memory-failure did (pin keeps the folio; truncate only removed it from the file)", () => {
    const m = smallMachine();
    const vmm = m.spawn();
    const fd = m.memfdCreate(vmm, { size: "2M", hugetlb: "2M" });
    const addr = m.mmap(vmm, { length: "2M", fd });
    m.populate(vmm, addr, "2M");
    const ioas = new lib.Iommufd(m, vmm).ioasAlloc();
    const nic = ioas.attach("nic");
    ioas.map({ uptr: addr, length: "2M", iova: 0 });
    m.munmap(vmm, addr);
    m.truncate(vmm, fd, 0);
    const r = nic.dma(4096);
    expect(r.result).toBe("ok");
    expect(pinRegistry(m).counters.dmaToOffline).toBe(0);
    expect(m.events.some((e) => e.kind === "iommu" && e.what === "dma" && /no longer in its file but still pinned/.test(e.detail))).toBe(true);
  });
});

describe("IOMMU_IOAS_MAP_FILE (iommufd_ioas_map_file, v6.13)", () => {
  for (const k of both) {
    it(`${k}: ${k === "6.12" ? "no such ioctl, -ENOTTY" : "maps the memfd range"}`, () => {
      const m = smallMachine({ kernel: k });
      const vmm = m.spawn();
      const fd = m.memfdCreate(vmm, { size: "2M", hugetlb: "2M" });
      const ioas = new lib.Iommufd(m, vmm).ioasAlloc();
      const r = ioas.mapFile({ fd, length: "2M", iova: 0 });
      if (k === "6.12") expect(r).toEqual({ ret: -lib.ENOTTY, iova: 0, area: null });
      else expect(r.ret).toBe(0);
    });
  }
});
