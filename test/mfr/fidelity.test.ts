// Fidelity table: each case asserts what the kernel does and names the deciding function.
import { describe, expect, it } from "vitest";
import {
  Machine, EBUSY, EINVAL, EOPNOTSUPP, EHWPOISON, MF_ACTION_REQUIRED, MF_COUNT_INCREASED, MF_SW_SIMULATED,
} from "../../src/mfr/index.js";
import { lastMf, mfEvents, smallMachine, violationText } from "./helpers.js";

const M2 = 2 ** 21;

/** A process with a 1G hugetlb memfd mapped and fully faulted in. */
function hugetlb1G(o: { keepUeMapped?: boolean } = {}, mo = {}) {
  const m = smallMachine(mo);
  const pid = m.spawn();
  const fd = m.memfdCreate(pid, { size: "1G", hugetlb: "1G", keepUeMapped: o.keepUeMapped });
  const addr = m.mmap(pid, { length: "1G", fd });
  m.write(pid, addr);
  return { m, pid, fd, addr };
}

describe("memory_failure(): anonymous memory", () => {
  it("anon 4K page poisoned by madvise → SIGBUS AR lsb 12 to the accessing process (kill_proc)", () => {
    const m = smallMachine();
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "1M" });
    m.write(pid, a + 4096);
    const r = m.madviseHwpoison(pid, a + 4096);
    expect(r.ret, "memory_failure returns 0 for MF_RECOVERED").toBe(0);
    expect(m.signalsOf(pid)).toEqual([{ pid, sig: "SIGBUS", code: "BUS_MCEERR_AR", addr: a + 4096, lsb: 12 }]);
  });

  it("dirty anon 4K page → MF_MSG_DIRTY_LRU / MF_RECOVERED (identify_page_state, me_pagecache_dirty)", () => {
    const m = smallMachine();
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "1M" });
    m.write(pid, a);
    m.madviseHwpoison(pid, a);
    expect(lastMf(m)).toMatchObject({ type: "MF_MSG_DIRTY_LRU", result: "MF_RECOVERED" });
  });

  it("after recovery the next access faults on the hwpoison entry → SIGBUS AR lsb 12 (do_sigbus, VM_FAULT_HWPOISON)", () => {
    const m = smallMachine();
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "1M" });
    m.write(pid, a);
    m.madviseHwpoison(pid, a);
    const r = m.read(pid, a + 8);
    expect(r.result).toBe("sigbus");
    expect(r.signals[0]).toMatchObject({ code: "BUS_MCEERR_AR", lsb: 12, addr: a + 8 });
  });

  it("MADV_HWPOISON passes MF_ACTION_REQUIRED|MF_COUNT_INCREASED|MF_SW_SIMULATED and leaves unpoison possible (madvise_inject_error)", () => {
    const m = smallMachine();
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "1M" });
    m.write(pid, a);
    m.madviseHwpoison(pid, a);
    expect(lastMf(m).flags).toBe(MF_ACTION_REQUIRED | MF_COUNT_INCREASED | MF_SW_SIMULATED);
    expect(m.hwMemoryFailure, "hw_memory_failure stays false for simulated errors").toBe(false);
  });

  it("unpinned anon THP → split, only the raw 4K page is lost, lsb 12 (try_to_split_thp_page)", () => {
    const m = smallMachine();
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "2M", thp: true });
    m.write(pid, a);
    m.madviseHwpoison(pid, a + 5 * 4096);
    expect(m.events.some((e) => e.kind === "split" && e.ok)).toBe(true);
    expect(m.signalsOf(pid)[0].lsb).toBe(12);
    expect(m.read(pid, a + 6 * 4096).result, "a healthy neighbour is still readable").toBe("ok");
  });

  it("pinned THP → MF_MSG_UNSPLIT_THP / MF_FAILED + SIGBUS with the folio's lsb 21 (try_to_split_thp_page, kill_procs_now)", () => {
    const m = smallMachine();
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "2M", thp: true });
    m.write(pid, a);
    expect(m.pin(pid, a)).toBe(true);
    const r = m.madviseHwpoison(pid, a + 4096);
    expect(r.ret).toBe(-EHWPOISON);
    expect(lastMf(m)).toMatchObject({ type: "MF_MSG_UNSPLIT_THP", result: "MF_FAILED" });
    expect(m.signalsOf(pid)).toEqual([{ pid, sig: "SIGBUS", code: "BUS_MCEERR_AR", addr: a + 4096, lsb: 21 }]);
  });

  it("unsplit THP stays mapped after a real error: touching the poisoned page → MF_MSG_ALREADY_POISONED and SIGBUS AR lsb 12 at the raw page (kill_accessing_process, check_hwpoisoned_pmd_entry)", () => {
    const m = smallMachine();
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "2M", thp: true });
    m.write(pid, a);
    m.pin(pid, a);
    // A patrol scrubber finds it (flags 0): the split fails, late kill signals nobody yet.
    expect(m.memoryFailure(m.pfnOf(pid, a + 4096) as number)).toMatchObject({ type: "MF_MSG_UNSPLIT_THP", result: "MF_FAILED" });
    const r = m.read(pid, a + 4096);
    expect(lastMf(m).type).toBe("MF_MSG_ALREADY_POISONED");
    expect(r.signals).toEqual([{ pid, sig: "SIGBUS", code: "BUS_MCEERR_AR", addr: a + 4096, lsb: 12 }]);
  });

  it("unsplit THP after MADV_HWPOISON: the cells are fine, so reading the page again just works (madvise_inject_error, MF_SW_SIMULATED)", () => {
    const m = smallMachine();
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "2M", thp: true });
    m.write(pid, a);
    m.pin(pid, a);
    m.madviseHwpoison(pid, a + 4096);
    const n = mfEvents(m).length;
    expect(m.read(pid, a + 4096)).toEqual({ result: "ok", signals: [] });
    expect(mfEvents(m).length).toBe(n);
  });

  it("poison of a free buddy page → MF_MSG_BUDDY, recovered, no signal (take_page_off_buddy)", () => {
    const m = smallMachine();
    const pid = m.spawn();
    const pfn = 200_000;
    expect(m.mem.buddy.isFree(pfn)).toBe(true);
    const r = m.memoryFailure(pfn);
    expect(r).toEqual({ ret: 0, type: "MF_MSG_BUDDY", result: "MF_RECOVERED" });
    expect(m.mem.takenOff.has(pfn)).toBe(true);
    expect(m.signalsOf(pid)).toEqual([]);
  });

  it("second poison of the same page → MF_MSG_ALREADY_POISONED, counters not bumped (action_result)", () => {
    const m = smallMachine();
    m.memoryFailure(200_000);
    const before = { ...m.stats, n: m.numPoisonedPages };
    const r = m.memoryFailure(200_000);
    expect(r).toMatchObject({ ret: -EHWPOISON, type: "MF_MSG_ALREADY_POISONED", result: "MF_FAILED" });
    expect({ ...m.stats, n: m.numPoisonedPages }).toEqual(before);
  });

  it("reserved kernel page, 7.3 → MF_MSG_KERNEL / MF_IGNORED, the most severe outcome (get_any_page, is_kernel_owned_page: -ENOTRECOVERABLE)", () => {
    const m = smallMachine();
    expect(m.memoryFailure(10)).toEqual({ ret: -EBUSY, type: "MF_MSG_KERNEL", result: "MF_IGNORED" });
  });

  it("reserved kernel page, 6.12 → MF_MSG_GET_HWPOISON / MF_IGNORED (get_any_page, HWPoisonHandlable: -EIO)", () => {
    const m = smallMachine({ kernel: "6.12" });
    expect(m.memoryFailure(10)).toEqual({ ret: -EBUSY, type: "MF_MSG_GET_HWPOISON", result: "MF_IGNORED" });
  });

  it("per-node counters total/ignored/failed/delayed/recovered and num_poisoned_pages (update_per_node_mf_stats)", () => {
    const m = smallMachine();
    m.memoryFailure(200_000);
    m.memoryFailure(10);
    expect(m.stats).toEqual({ total: 2, ignored: 1, failed: 0, delayed: 0, recovered: 1 });
    expect(m.numPoisonedPages).toBe(2);
  });

  it("vm.memory_failure_recovery = 0 → panic (memory_failure)", () => {
    const m = smallMachine({ memoryFailureRecovery: false });
    expect(() => m.memoryFailure(200_000)).toThrow(/panic/);
    expect(() => m.spawn()).toThrow(/panicked/);
  });
});

describe("freeing an unsplit poisoned THP", () => {
  const run = (freeHasHwpoisoned: boolean) => {
    const m = smallMachine({ freeHasHwpoisoned });
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "2M", thp: true });
    m.write(pid, a);
    m.pin(pid, a);
    m.madviseHwpoison(pid, a + 4096);
    m.exit(pid);
    return m;
  };
  it("mainline: the pinned, unsplit THP is freed whole and its poisoned page lands in the buddy lists (__free_pages)", () => {
    expect(run(false).violations.map((v) => v.name)).toContain("poisoned-frame-free");
  });
  it("with free_has_hwpoisoned() only the healthy pages are freed (Jiaqi Yan, page_alloc v5 1/4)", () => {
    const m = run(true);
    expect(violationText(m)).toBe("");
    expect(m.summary().offlined).toBe(1);
  });
});

describe("early vs late kill", () => {
  it("late kill (default): an AO error leaves the process unsignalled until it touches the page (task_early_kill)", () => {
    const m = smallMachine();
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "1M" });
    m.write(pid, a);
    m.memoryFailure(m.pfnOf(pid, a) as number);
    expect(m.signalsOf(pid)).toEqual([]);
    expect(m.read(pid, a).signals).toEqual([{ pid, sig: "SIGBUS", code: "BUS_MCEERR_AR", addr: a, lsb: 12 }]);
  });

  it("vm.memory_failure_early_kill = 1 → SIGBUS AO at once (find_early_kill_thread)", () => {
    const m = smallMachine({ earlyKill: true });
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "1M" });
    m.write(pid, a);
    m.memoryFailure(m.pfnOf(pid, a) as number);
    expect(m.signalsOf(pid)).toEqual([{ pid, sig: "SIGBUS", code: "BUS_MCEERR_AO", addr: a, lsb: 12 }]);
  });

  it("prctl(PR_MCE_KILL, LATE) overrides the early-kill sysctl (find_early_kill_thread, PF_MCE_PROCESS)", () => {
    const m = smallMachine({ earlyKill: true });
    const pid = m.spawn();
    m.prctlMceKill(pid, "late");
    const a = m.mmap(pid, { length: "1M" });
    m.write(pid, a);
    m.memoryFailure(m.pfnOf(pid, a) as number);
    expect(m.signalsOf(pid)).toEqual([]);
  });

  it("action required: AR only to the current task, AO to another early-kill sharer (kill_proc)", () => {
    const m = smallMachine();
    const a = m.spawn();
    const b = m.spawn();
    m.prctlMceKill(b, "early");
    const fd = m.memfdCreate(a, { size: "1M" });
    const va = m.mmap(a, { length: "1M", fd });
    m.write(a, va);
    const vb = m.mmap(b, { length: "1M", fd: m.shareFd(a, fd, b) });
    m.read(b, vb);
    const r = m.read(a, va);
    expect(r.result).toBe("ok");
    m.memoryFailure(m.pfnOf(a, va) as number, MF_ACTION_REQUIRED, { current: a });
    expect(m.signalsOf(a)).toEqual([{ pid: a, sig: "SIGBUS", code: "BUS_MCEERR_AR", addr: va, lsb: 12 }]);
    expect(m.signalsOf(b)).toEqual([{ pid: b, sig: "SIGBUS", code: "BUS_MCEERR_AO", addr: vb, lsb: 12 }]);
  });
});

describe("HugeTLB", () => {
  it("1G HugeTLB memfd without the policy → MF_MSG_HUGE / MF_RECOVERED, SIGBUS lsb 30 (__add_to_kill, folio_shift)", () => {
    const { m, pid, addr } = hugetlb1G();
    m.madviseHwpoison(pid, addr + 12345 * 4096);
    expect(lastMf(m)).toMatchObject({ type: "MF_MSG_HUGE", result: "MF_RECOVERED" });
    expect(m.signalsOf(pid)).toEqual([{ pid, sig: "SIGBUS", code: "BUS_MCEERR_AR", addr: addr + 12345 * 4096, lsb: 30 }]);
  });

  it("1G HugeTLB memfd without the policy: the whole 1G is gone, any later access → SIGBUS lsb 30 (hugetlb_no_page, VM_FAULT_HWPOISON_LARGE)", () => {
    const { m, pid, addr } = hugetlb1G();
    m.madviseHwpoison(pid, addr + 4096);
    const r = m.read(pid, addr + 500 * 2 ** 20);
    expect(r.signals[0]).toMatchObject({ code: "BUS_MCEERR_AR", lsb: 30 });
  });

  it("with MFD_MF_KEEP_UE_MAPPED → lsb 12 and the rest readable (hwpoison_user_mappings skips unmap, RFC v3)", () => {
    const { m, pid, addr } = hugetlb1G({ keepUeMapped: true });
    m.madviseHwpoison(pid, addr + 7 * 4096);
    expect(m.signalsOf(pid)).toEqual([{ pid, sig: "SIGBUS", code: "BUS_MCEERR_AR", addr: addr + 7 * 4096, lsb: 12 }]);
    expect(lastMf(m)).toMatchObject({ type: "MF_MSG_HUGE", result: "MF_RECOVERED" });
    expect(m.read(pid, addr + 8 * 4096).result).toBe("ok");
    expect(m.read(pid, addr + 900 * 2 ** 20).result).toBe("ok");
  });

  it("with the policy, a consumed real error consumed again → SIGBUS AR lsb 12 at the raw page, MF_MSG_ALREADY_POISONED (kill_accessing_process, check_hwpoisoned_entry)", () => {
    const { m, pid, addr } = hugetlb1G({ keepUeMapped: true });
    const pfn = m.pfnOf(pid, addr + 7 * 4096) as number;
    m.memoryFailure(pfn, MF_ACTION_REQUIRED, { current: pid });
    const r1 = m.read(pid, addr + 7 * 4096 + 64);
    const r2 = m.read(pid, addr + 7 * 4096);
    for (const r of [r1, r2]) expect(r.signals).toEqual([{ pid, sig: "SIGBUS", code: "BUS_MCEERR_AR", addr: addr + 7 * 4096, lsb: 12 }]);
    expect(lastMf(m).type).toBe("MF_MSG_ALREADY_POISONED");
  });

  it("with the policy after MADV_HWPOISON the page stays mapped and its data is intact: reads succeed, nothing is consumed (madvise_inject_error, MF_SW_SIMULATED)", () => {
    const { m, pid, addr } = hugetlb1G({ keepUeMapped: true });
    m.madviseHwpoison(pid, addr + 7 * 4096);
    const n = mfEvents(m).length;
    expect(m.read(pid, addr + 7 * 4096)).toEqual({ result: "ok", signals: [] });
    expect(mfEvents(m).length).toBe(n);
  });

  it("with the policy, hardware errors leave MF one reference however many raw pages; MADV_HWPOISON leaves one per injection, the injector's (get_huge_page_for_hwpoison: folio_try_get only while hugetlb_migratable; MF_COUNT_INCREASED)", () => {
    const hw = hugetlb1G({ keepUeMapped: true });
    const f = hw.m.mem.pageFolio(hw.m.pfnOf(hw.pid, hw.addr) as number)!;
    const ref0 = f.ref;
    hw.m.memoryFailure(f.pfn + 3);
    hw.m.memoryFailure(f.pfn + 9);
    hw.m.memoryFailure(f.pfn + 11);
    expect(f.ref - ref0).toBe(1);
    expect(f.mfRefs).toBe(1);
    // The later errors take the MF_HUGETLB_RETRY path (the folio is no longer migratable); every
    // raw page is still recorded (RFC v3), so the release path knows all of them.
    expect([...(f.rawHwp ?? [])]).toEqual([f.pfn + 3, f.pfn + 9, f.pfn + 11]);

    const inj = hugetlb1G({ keepUeMapped: true });
    const g = inj.m.mem.pageFolio(inj.m.pfnOf(inj.pid, inj.addr) as number)!;
    const gref0 = g.ref;
    for (const i of [3, 9, 11]) inj.m.madviseHwpoison(inj.pid, inj.addr + i * 4096);
    expect(g.ref - gref0).toBe(3);
    expect(g.mfRefs).toBe(3);
  });

  it("free 1G hugetlb page poisoned → MF_MSG_FREE_HUGE / MF_RECOVERED, pool shrinks, healthy pages to buddy (__page_handle_poison)", () => {
    const m = smallMachine();
    const f = m.mem.hstates.get("1G")!.freeList[0];
    const free0 = m.mem.buddy.nrFree;
    expect(m.memoryFailure(f.pfn + 77)).toEqual({ ret: 0, type: "MF_MSG_FREE_HUGE", result: "MF_RECOVERED" });
    expect(m.hugetlb("1G")).toEqual({ nr: 1, free: 1 });
    expect(m.mem.buddy.nrFree - free0).toBe(262_143);
    expect(m.mem.takenOff.has(f.pfn + 77)).toBe(true);
  });

  it("free hugetlb page with HVO whose vmemmap cannot be restored → dissolve -ENOMEM, MF_MSG_FREE_HUGE / MF_FAILED (dissolve_free_hugetlb_folio)", () => {
    const m = smallMachine({ hvo: true, hvoRestoreFails: true });
    const f = m.mem.hstates.get("1G")!.freeList[0];
    expect(m.memoryFailure(f.pfn)).toMatchObject({ type: "MF_MSG_FREE_HUGE", result: "MF_FAILED" });
    expect(m.events.some((e) => e.kind === "dissolve" && e.ret === -12)).toBe(true);
    expect(m.hugetlb("1G").nr).toBe(2);
  });

  it("anonymous (MAP_HUGETLB private) 2M page → dissolved, MF_RECOVERED, nr_hugepages − 1 (me_huge_page)", () => {
    const m = smallMachine();
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "2M", hugetlb: "2M" });
    m.write(pid, a);
    m.madviseHwpoison(pid, a + 4096);
    expect(lastMf(m)).toMatchObject({ type: "MF_MSG_HUGE", result: "MF_RECOVERED" });
    expect(m.signalsOf(pid)[0].lsb).toBe(21);
    expect(m.hugetlb("2M")).toEqual({ nr: 7, free: 7 });
  });

  it("anonymous MAP_HUGETLB page touched again after its folio was dissolved → SIGBUS lsb 21, the VMA's hstate (hugetlb_fault, VM_FAULT_SET_HINDEX)", () => {
    const m = smallMachine();
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "2M", hugetlb: "2M" });
    m.write(pid, a);
    m.madviseHwpoison(pid, a + 4096);
    const r = m.read(pid, a + 8192);
    expect(r.result).toBe("sigbus");
    expect(r.signals.map((s) => [s.code, s.lsb])).toEqual([["BUS_MCEERR_AR", 21]]);
  });

  it("hugetlb memfd page pinned with FOLL_LONGTERM → MF_MSG_HUGE / MF_FAILED (has_extra_refcount)", () => {
    const { m, pid, addr } = hugetlb1G();
    m.pin(pid, addr);
    m.madviseHwpoison(pid, addr + 4096);
    expect(lastMf(m)).toMatchObject({ type: "MF_MSG_HUGE", result: "MF_FAILED" });
  });

  it("default hugetlb memfd truncated after poison → folio leaked: nr_hugepages unchanged, free lower (me_huge_page extra_pins)", () => {
    const { m, pid, fd, addr } = hugetlb1G();
    m.madviseHwpoison(pid, addr + 4096);
    m.truncate(pid, fd, 0);
    expect(m.hugetlb("1G")).toEqual({ nr: 2, free: 1 });
    expect(m.summary().leaked).toBe(262_144);
    expect(violationText(m)).toBe("");
  });

  it("raw error list unreliable → unpoison refused (hugetlb_update_hwpoison, folio_free_raw_hwp)", () => {
    const m = smallMachine({ rawHwpAllocFails: true });
    const pid = m.spawn();
    const fd = m.memfdCreate(pid, { size: "1G", hugetlb: "1G" });
    const a = m.mmap(pid, { length: "1G", fd });
    m.write(pid, a);
    const head = m.pfnOf(pid, a) as number;
    m.madviseHwpoison(pid, a);
    m.truncate(pid, fd, 0);
    expect(m.mem.pageFolio(head)!.flags & (1 << 8)).not.toBe(0);
    expect(m.unpoison(head)).toBe(-EBUSY);
  });
});

describe("memfd policy lifetimes", () => {
  it("MFD_MF_KEEP_UE_MAPPED without MFD_HUGETLB → -EINVAL (sanitize_flags)", () => {
    const m = smallMachine();
    const pid = m.spawn();
    expect(m.memfdCreate(pid, { size: "2M", keepUeMapped: true })).toBe(-EINVAL);
  });

  for (const variant of ["v1", "v2"] as const) {
    it(`${variant}: truncate of a kept 1G folio dissolves it, healthy 4K pages back to buddy, raw page off (filemap_offline_hwpoison_folio)`, () => {
      const { m, pid, fd, addr } = hugetlb1G({ keepUeMapped: true }, { policyVariant: variant });
      const raw = (m.pfnOf(pid, addr) as number) + 7;
      m.madviseHwpoison(pid, addr + 7 * 4096);
      const free0 = m.mem.buddy.nrFree;
      m.truncate(pid, fd, 0);
      expect(m.hugetlb("1G")).toEqual({ nr: 1, free: 1 });
      expect(m.mem.buddy.nrFree - free0).toBe(262_143);
      expect(m.mem.takenOff.has(raw)).toBe(true);
      expect(violationText(m)).toBe("");
    });
  }

  it("v1 offlines in a batch after the filesystem removed every folio; v2 per folio (populate/offline_memfd_hwp_folios vs remove_inode_single_folio)", () => {
    const order = (variant: "v1" | "v2"): string[] => {
      const m = new Machine({ memory: "64M", hugetlb: { "2M": 4 }, policyVariant: variant });
      const pid = m.spawn();
      const fd = m.memfdCreate(pid, { size: "4M", hugetlb: "2M", keepUeMapped: true });
      const a = m.mmap(pid, { length: "4M", fd });
      m.write(pid, a);
      m.write(pid, a + M2);
      m.madviseHwpoison(pid, a);
      m.madviseHwpoison(pid, a + M2);
      const from = m.events.length;
      m.close(pid, fd);
      m.exit(pid);
      return m.events.slice(from).filter((e) => e.kind === "policy" || e.kind === "dissolve").map((e) => (e.kind === "policy" ? e.what.split(":")[0] : "dissolve"));
    };
    expect(order("v1")).toEqual(["populate_memfd_hwp_folios", "offline_memfd_hwp_folios", "filemap_offline_hwpoison_folio", "dissolve", "filemap_offline_hwpoison_folio", "dissolve"]);
    expect(order("v2")).toEqual(["filemap_offline_hwpoison_folio", "dissolve", "filemap_offline_hwpoison_folio", "dissolve"]);
  });

  it("v1-buggy release hands out a poisoned page → invariant violation; v2 does not (take_page_off_buddy, William Roche 19 Sep 2025)", () => {
    const run = (variant: "v1-buggy" | "v2") => {
      const m = new Machine({ memory: "64M", hugetlb: { "2M": 4 }, policyVariant: variant });
      const pid = m.spawn();
      const fd = m.memfdCreate(pid, { size: "2M", hugetlb: "2M", keepUeMapped: true });
      const a = m.mmap(pid, { length: "2M", fd });
      m.write(pid, a);
      m.madviseHwpoison(pid, a + 5 * 4096);
      m.exit(pid);
      const q = m.spawn();
      const b = m.mmap(q, { length: "32M" });
      m.populate(q, b, "32M");
      return m;
    };
    const bad = run("v1-buggy");
    expect(bad.violations.map((v) => v.name)).toContain("poisoned-frame-free");
    expect(bad.violations.map((v) => v.name)).toContain("poisoned-frame-allocated");
    const good = run("v2");
    expect(violationText(good)).toBe("");
  });

  it("a pin held at release keeps the folio: dissolve -EBUSY, then it returns to the pool poisoned and is never dequeued (Jason: 'should' vs 'won't')", () => {
    const m = new Machine({ memory: "64M", hugetlb: { "2M": 2 } });
    const pid = m.spawn();
    const fd = m.memfdCreate(pid, { size: "2M", hugetlb: "2M", keepUeMapped: true });
    const a = m.mmap(pid, { length: "2M", fd });
    m.write(pid, a);
    m.pin(pid, a);
    m.madviseHwpoison(pid, a + 4096);
    m.exit(pid);
    expect(m.events.some((e) => e.kind === "dissolve" && e.ret === -EBUSY)).toBe(true);
    expect(m.hugetlb("2M")).toEqual({ nr: 2, free: 2 });
    const q = m.spawn();
    const fd2 = m.memfdCreate(q, { size: "4M", hugetlb: "2M" });
    const b = m.mmap(q, { length: "4M", fd: fd2 });
    expect(m.write(q, b).result).toBe("ok");
    expect(m.write(q, b + M2).result, "the poisoned pool page is skipped, so the second fault finds no page").toBe("sigbus");
    expect(violationText(m)).toBe("");
  });

  it("shmem 4K memfd page poisoned → kept in the page cache, next fault SIGBUS lsb 12 (me_pagecache_clean, shmem_error_remove_folio)", () => {
    const m = smallMachine();
    const pid = m.spawn();
    const fd = m.memfdCreate(pid, { size: "1M" });
    const a = m.mmap(pid, { length: "1M", fd });
    m.write(pid, a);
    m.madviseHwpoison(pid, a);
    expect(lastMf(m)).toMatchObject({ type: "MF_MSG_DIRTY_LRU", result: "MF_RECOVERED" });
    m.munmap(pid, a);
    const b = m.mmap(pid, { length: "1M", fd });
    expect(m.read(pid, b).signals[0]).toMatchObject({ code: "BUS_MCEERR_AR", lsb: 12 });
  });
});

describe("unpoison and soft offline", () => {
  it("unpoison after a real HW error → refused with -EOPNOTSUPP (unpoison_memory, hw_memory_failure)", () => {
    const m = smallMachine();
    m.memoryFailure(200_000);
    expect(m.unpoison(200_000)).toBe(-EOPNOTSUPP);
  });

  it("unpoison after MADV_HWPOISON of an unmapped anon page → 0, page back to buddy (unpoison_memory)", () => {
    const m = smallMachine();
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "1M" });
    m.write(pid, a);
    const pfn = m.pfnOf(pid, a) as number;
    m.madviseHwpoison(pid, a);
    m.exit(pid);
    expect(m.unpoison(pfn)).toBe(0);
    expect(m.mem.buddy.isFree(pfn)).toBe(true);
    expect(m.numPoisonedPages).toBe(0);
  });

  it("unpoison refused while the page is referenced (unpoison_memory: 'someone grabs the hwpoison page')", () => {
    const { m, pid, addr } = hugetlb1G({ keepUeMapped: true });
    const head = m.pfnOf(pid, addr) as number;
    m.madviseHwpoison(pid, addr);
    expect(m.unpoison(head)).toBe(-EBUSY);
  });

  it("soft offline of an in-use anon page migrates it, kills nobody, data still readable (soft_offline_page)", () => {
    const m = smallMachine();
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "1M" });
    m.write(pid, a);
    const pfn = m.pfnOf(pid, a) as number;
    expect(m.softOffline(pfn)).toBe(0);
    expect(m.pfnOf(pid, a)).not.toBe(pfn);
    expect(m.read(pid, a).result).toBe("ok");
    expect(m.signalsOf(pid)).toEqual([]);
    expect(mfEvents(m)).toEqual([]);
  });

  it("vm.enable_soft_offline = 0 → -EOPNOTSUPP (soft_offline_page)", () => {
    const m = smallMachine({ enableSoftOffline: false });
    expect(m.softOffline(200_000)).toBe(-EOPNOTSUPP);
  });

  it("soft offline of an in-use 2M hugetlb page migrates it and shrinks the pool by one (soft_offline_in_use_page)", () => {
    const m = smallMachine();
    const pid = m.spawn();
    const fd = m.memfdCreate(pid, { size: "2M", hugetlb: "2M" });
    const a = m.mmap(pid, { length: "2M", fd });
    m.write(pid, a);
    expect(m.softOffline(m.pfnOf(pid, a) as number)).toBe(0);
    expect(m.hugetlb("2M").nr).toBe(7);
    expect(m.read(pid, a).result).toBe("ok");
  });
});

describe("unmap failure", () => {
  it("mainline: unmap failure → MF_MSG_UNMAP_FAILED / MF_FAILED, still SIGBUS (kill_procs after Jane Chu 2024)", () => {
    const m = smallMachine({ unmapFails: true });
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "1M" });
    m.write(pid, a);
    m.madviseHwpoison(pid, a);
    expect(lastMf(m)).toMatchObject({ type: "MF_MSG_UNMAP_FAILED", result: "MF_FAILED" });
    expect(m.signalsOf(pid)[0]).toMatchObject({ sig: "SIGBUS", code: "BUS_MCEERR_AR" });
  });

  it("before 2024: unmap failure → uncatchable SIGKILL and the process is gone (kill_procs 'forcibly killing')", () => {
    const m = smallMachine({ unmapFails: true, killOnUnmapFailure: "sigkill" });
    const pid = m.spawn();
    const a = m.mmap(pid, { length: "1M" });
    m.write(pid, a);
    m.madviseHwpoison(pid, a);
    expect(m.signalsOf(pid)[0].sig).toBe("SIGKILL");
    expect(m.tasks.get(pid)!.alive).toBe(false);
  });
});

describe("invariants hold in the cases above", () => {
  it("a deep check after a mixed run finds nothing (checkInvariants)", () => {
    const { m, pid, fd, addr } = hugetlb1G({ keepUeMapped: true });
    m.madviseHwpoison(pid, addr + 4096);
    const b = m.mmap(pid, { length: "4M", thp: true });
    m.populate(pid, b, "4M");
    m.madviseHwpoison(pid, b + 3 * 4096);
    m.softOffline(m.pfnOf(pid, b + 4 * 4096) as number);
    m.close(pid, fd);
    m.exit(pid);
    expect(m.checkInvariants()).toEqual([]);
    expect(violationText(m)).toBe("");
    const s = m.summary();
    expect(s.free + s.inUse + s.hugetlbFree + s.offlined + s.leaked + s.reserved).toBe(s.frames);
  });
});
