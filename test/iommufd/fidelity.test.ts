// Fidelity table for Chapter 3: each case asserts what iommufd / VFIO / memory-failure do with a
// long-term pin and names the deciding kernel function (or the proposal) in its title.
import { describe, expect, it } from "vitest";
import { EBUSY, EHWPOISON, EINVAL, ENOMEM, Machine, PG_hugetlb_freed } from "../../src/mfr/index.js";
import { ENOENT, Iommufd, VfioContainer, pinRegistry } from "../../src/iommufd/index.js";
import { G, M2, hwError, iommuEvents, lastMf, machine, violationText, vmmWithMemfd } from "./helpers.js";

/** A VMM with `length` of private anonymous memory (4K pages unless thp), faulted in. */
function vmmWithAnon(length: string, o: { thp?: boolean; freeHasHwpoisoned?: boolean } = {}) {
  const m = machine({ freeHasHwpoisoned: o.freeHasHwpoisoned });
  const vmm = m.spawn();
  const a = m.mmap(vmm, { length, thp: o.thp });
  m.populate(vmm, a, length);
  return { m, vmm, a };
}

describe("pin accounting", () => {
  it("IOMMU_IOAS_COPY shares the iopt_pages: pinned once, charged once to user->locked_vm and mm->pinned_vm (iopt_get_pages, iopt_pages_update_pinned)", () => {
    const { m, vmm, a } = vmmWithAnon("4M");
    const ctx = new Iommufd(m, vmm);
    const ioas1 = ctx.ioasAlloc();
    const ioas2 = ctx.ioasAlloc();
    const r = ioas1.map({ uptr: a, length: "4M" });
    expect(r.ret).toBe(0);
    expect(ctx.copy(ioas1, r.iova, "4M", ioas2).ret).toBe(0);
    const f = m.mem.pageFolio(m.pfnOf(vmm, a + 12 * 4096) as number)!;
    expect(f.pincount, "one pin per page although two IOASes map it").toBe(1);
    expect(ctx.reg.userLockedVm.get(1000), "user->locked_vm in pages").toBe(1024);
    expect(ctx.reg.pinnedVm.get(vmm), "mm->pinned_vm in pages").toBe(1024);
    expect(ctx.metrics().pinnedBytes).toBe(4 * 2 ** 20);
    expect(violationText(m)).toBe("");
  });

  it("a second IOMMU_IOAS_MAP of the same VA makes new iopt_pages: pinned and charged twice (iopt_map_user_pages → iopt_alloc_pages)", () => {
    const { m, vmm, a } = vmmWithAnon("4M");
    const ctx = new Iommufd(m, vmm);
    const ioas = ctx.ioasAlloc();
    ioas.map({ uptr: a, length: "4M" });
    ioas.map({ uptr: a, length: "4M" });
    expect(m.mem.pageFolio(m.pfnOf(vmm, a) as number)!.pincount).toBe(2);
    expect(ctx.reg.userLockedVm.get(1000)).toBe(2048);
    expect(violationText(m)).toBe("");
  });

  it("over RLIMIT_MEMLOCK → -ENOMEM and every page just pinned is unpinned again (incr_user_locked_vm, pfn_reader_user_update_pinned)", () => {
    const { m, vmm, a } = vmmWithAnon("4M");
    const ctx = new Iommufd(m, vmm);
    ctx.reg.rlimitMemlock.set(vmm, 2 * 2 ** 20);
    const ioas = ctx.ioasAlloc();
    expect(ioas.map({ uptr: a, length: "4M" }).ret).toBe(-ENOMEM);
    expect(m.mem.pageFolio(m.pfnOf(vmm, a) as number)!.pincount).toBe(0);
    expect(ioas.map({ uptr: a, length: "2M" }).ret, "2M fits the limit").toBe(0);
    expect(ctx.reg.userLockedVm.get(1000)).toBe(512);
  });

  it("CAP_IPC_LOCK → no locked_vm charge, but mm->pinned_vm still counts (iopt_alloc_pages: IOPT_PAGES_ACCOUNT_NONE)", () => {
    const { m, vmm, a } = vmmWithAnon("2M");
    const ctx = new Iommufd(m, vmm);
    ctx.reg.capIpcLock.set(vmm, true);
    ctx.reg.rlimitMemlock.set(vmm, 0);
    expect(ctx.ioasAlloc().map({ uptr: a, length: "2M" }).ret).toBe(0);
    expect(ctx.reg.userLockedVm.get(1000) ?? 0).toBe(0);
    expect(ctx.reg.pinnedVm.get(vmm)).toBe(512);
  });

  it("VFIO-compatible accounting mode charges mm->locked_vm instead of user->locked_vm (update_mm_locked_vm, __account_locked_vm)", () => {
    const { m, vmm, a } = vmmWithAnon("2M");
    const ctx = new Iommufd(m, vmm, { accountMode: "mm" });
    ctx.ioasAlloc().map({ uptr: a, length: "2M" });
    expect(ctx.reg.mmLockedVm.get(vmm)).toBe(512);
    expect(ctx.reg.userLockedVm.get(1000) ?? 0).toBe(0);
    expect(ctx.reg.pinnedVm.get(vmm)).toBe(512);
  });
});

describe("unmap and destroy are the only places that unpin", () => {
  it("unmap of one of two areas sharing iopt_pages keeps the pins; unmap of the last unpins and uncharges (iopt_unmap_iova, batch_unpin, update_unpinned)", () => {
    const { m, vmm, a } = vmmWithAnon("2M");
    const ctx = new Iommufd(m, vmm);
    const ioas1 = ctx.ioasAlloc();
    const ioas2 = ctx.ioasAlloc();
    const r = ioas1.map({ uptr: a, length: "2M" });
    const c = ctx.copy(ioas1, r.iova, "2M", ioas2);
    const f = m.mem.pageFolio(m.pfnOf(vmm, a) as number)!;
    expect(ioas1.unmap(r.iova, "2M")).toEqual({ ret: 0, unmapped: M2 });
    expect(f.pincount, "ioas2 still maps the pages").toBe(1);
    expect(ioas2.unmap(c.iova, "2M").ret).toBe(0);
    expect(f.pincount).toBe(0);
    expect(ctx.reg.userLockedVm.get(1000)).toBe(0);
    expect(ctx.reg.pinnedVm.get(vmm)).toBe(0);
    expect(violationText(m)).toBe("");
  });

  it("unmap of part of an area → -ENOENT, nothing unpinned: areas are never split (iopt_unmap_iova)", () => {
    const { m, vmm, a } = vmmWithAnon("2M");
    const ctx = new Iommufd(m, vmm);
    const ioas = ctx.ioasAlloc();
    const r = ioas.map({ uptr: a, length: "2M" });
    expect(ioas.unmap(r.iova, "1M")).toEqual({ ret: -ENOENT, unmapped: 0 });
    expect(ctx.metrics().pinnedPages).toBe(512);
  });

  it("closing the iommufd destroys every IOAS and unpins everything, devices attached or not: destroy never fails (iommufd_ioas_destroy → iopt_unmap_all)", () => {
    const { m, vmm, a } = vmmWithAnon("4M");
    const ctx = new Iommufd(m, vmm);
    const ioas1 = ctx.ioasAlloc();
    const ioas2 = ctx.ioasAlloc();
    ioas1.attach("nic0");
    const r = ioas1.map({ uptr: a, length: "4M" });
    ctx.copy(ioas1, r.iova, "2M", ioas2);
    expect(ctx.destroy(ioas1), "an IOAS with an attached device is busy (iommufd_object_remove)").toBe(-EBUSY);
    ctx.close();
    expect(ctx.metrics().pinnedPages).toBe(0);
    expect(ctx.reg.userLockedVm.get(1000)).toBe(0);
    expect(m.mem.pageFolio(m.pfnOf(vmm, a) as number)!.pincount).toBe(0);
    expect(violationText(m)).toBe("");
  });

  it("the VMM exiting closes its iommufd: the pins go with it (exit_files → iommufd_fops_release)", () => {
    const { m, vmm, ctx, ioas, fd } = vmmWithMemfd();
    ioas.mapFile({ fd, length: "2M" });
    const q = m.spawn();
    m.exit(vmm);
    expect(ctx.closed).toBe(true);
    expect(ctx.metrics().pinnedPages).toBe(0);
    expect(m.hugetlb("2M"), "the pool page came back").toEqual({ nr: 8, free: 8 });
    expect(m.tasks.get(q)!.alive).toBe(true);
    expect(violationText(m)).toBe("");
  });
});

describe("IO page table granularity and the IOTLB", () => {
  it("a 1G hugetlb memfd mapped at a 1G-aligned IOVA is one 1G IOPTE; a device DMA walks once, then hits (iopt_map_file_pages, batch_to_domain → iommu_map)", () => {
    const { m, ioas, dev, fd } = vmmWithMemfd({ size: "1G", hugetlb: "1G" });
    expect(ioas.mapFile({ fd, length: "1G", iova: G }).ret).toBe(0);
    expect(ioas.domain.ptes().map((p) => p.size)).toEqual(["1G"]);
    const a = dev.dma(G + 5 * 4096);
    const b = dev.dma(G + 700 * 2 ** 20);
    expect([a.result, a.iotlbHit, b.result, b.iotlbHit]).toEqual(["ok", false, "ok", true]);
    expect(b.pfn! - a.pfn!).toBe((700 * 2 ** 20) / 4096 - 5);
    expect(violationText(m)).toBe("");
  });

  it("without an IOVA, iommufd aligns to at most HPAGE_SIZE, so the same 1G folio is mapped with 512 2M IOPTEs (iopt_alloc_iova)", () => {
    const { ioas, fd } = vmmWithMemfd({ size: "1G", hugetlb: "1G" });
    const r = ioas.mapFile({ fd, length: "1G" });
    expect(r.iova).toBe(M2);
    const ptes = ioas.domain.ptes();
    expect(ptes.length).toBe(512);
    expect(new Set(ptes.map((p) => p.size))).toEqual(new Set(["2M"]));
  });

  it("DMA to an unmapped IOVA → an IO page fault event, never a frame (iommu_iova_to_phys finds nothing)", () => {
    const { m, dev } = vmmWithMemfd();
    expect(dev.dma(64 * M2)).toEqual({ result: "io-page-fault", pfn: null, iotlbHit: false });
    expect(iommuEvents(m, "io-page-fault").length).toBe(1);
  });
});

describe("memory failure on pinned memory (no callback into the IOMMU)", () => {
  it("pinned 1G hugetlb memfd poisoned → MF_MSG_HUGE / MF_FAILED, 'still referenced by 262144 users' (has_extra_refcount)", () => {
    const { m, vmm, addr, ioas, fd } = vmmWithMemfd({ size: "1G", hugetlb: "1G" });
    ioas.mapFile({ fd, length: "1G", iova: G });
    hwError(m, vmm, addr + 4096);
    expect(lastMf(m)).toMatchObject({ type: "MF_MSG_HUGE", result: "MF_FAILED" });
    expect(m.events.some((e) => e.kind === "policy" && e.what.includes("still referenced by 262144 users"))).toBe(true);
  });

  it("pinned anon THP poisoned → split refused, MF_MSG_UNSPLIT_THP / MF_FAILED; the device still reaches the poisoned 4K and its healthy neighbours (try_to_split_thp_page)", () => {
    const { m, vmm, a } = vmmWithAnon("2M", { thp: true });
    const ctx = new Iommufd(m, vmm);
    const ioas = ctx.ioasAlloc();
    const dev = ioas.attach("nvme0");
    const r = ioas.map({ uptr: a, length: "2M" });
    expect(ioas.domain.ptes().map((p) => p.size), "a THP at a 2M-aligned IOVA is one 2M IOPTE").toEqual(["2M"]);
    hwError(m, vmm, a + 3 * 4096);
    expect(lastMf(m)).toMatchObject({ type: "MF_MSG_UNSPLIT_THP", result: "MF_FAILED" });
    expect(m.events.some((e) => e.kind === "split" && !e.ok)).toBe(true);
    expect(dev.dma(r.iova + 3 * 4096).result).toBe("poison");
    expect(dev.dma(r.iova + 4 * 4096).result).toBe("ok");
    expect(ctx.metrics().heldBackBytes).toBe(M2);
  });

  it("without a revoke, a device DMA to the poisoned frame is reported as dma-to-poison and to the rest of the folio as dma-to-offlined, never silently (Jason Gunthorpe, 20 Jan 2025: no callback into the iommu)", () => {
    const { m, vmm, addr, ioas, dev, fd } = vmmWithMemfd();
    const r = ioas.mapFile({ fd, length: "2M" });
    const pfn = (m.pfnOf(vmm, addr) as number) + 3;
    m.memoryFailure(pfn);
    expect(lastMf(m)).toMatchObject({ type: "MF_MSG_HUGE", result: "MF_FAILED" });
    expect(m.read(vmm, addr + 4 * 4096).signals[0], "the CPU lost the whole 2M").toMatchObject({ code: "BUS_MCEERR_AR", lsb: 21 });
    expect(dev.dma(r.iova + 3 * 4096)).toMatchObject({ result: "poison", pfn });
    expect(dev.dma(r.iova + 4 * 4096).result).toBe("offlined");
    expect(iommuEvents(m, "dma-to-poison").map((e) => e.pfn)).toEqual([pfn]);
    expect(iommuEvents(m, "dma-to-offlined").length).toBe(1);
  });

  it("release of a keep-UE-mapped memfd while pinned: the folio is pending, not freed (dissolve -EBUSY); after unmap it is freed, poisoned, to the pool and never handed out again (filemap_offline_hwpoison_folio, dissolve_free_hugetlb_folio)", () => {
    const { m, vmm, addr, ctx, ioas, fd } = vmmWithMemfd({ keepUeMapped: true });
    const r = ioas.mapFile({ fd, length: "2M" });
    const head = m.pfnOf(vmm, addr) as number;
    hwError(m, vmm, addr + 4096);
    m.munmap(vmm, addr);
    m.close(vmm, fd);
    expect(m.events.some((e) => e.kind === "dissolve" && e.ret === -EBUSY)).toBe(true);
    expect(m.mem.folios.get(head)!.flags & PG_hugetlb_freed, "not on the pool free list").toBe(0);
    expect(ctx.metrics().pendingBytes).toBe(M2);
    expect(ctx.metrics().heldBackBytes).toBe(M2);
    expect(ioas.unmap(r.iova, "2M").ret).toBe(0);
    expect(ctx.metrics()).toMatchObject({ pendingBytes: 0, pinnedBytes: 0, leakedBytes: M2 });
    expect(m.hugetlb("2M"), "freed into the pool, but poisoned: dequeue skips it").toEqual({ nr: 8, free: 8 });
    expect(violationText(m)).toBe("");
  });
});

describe("policy (a): never offline a DMA-pinned folio (Jiaqi Yan, 21 Jan 2025)", () => {
  it("filemap_offline_hwpoison_folio returns -EBUSY for a folio_maybe_dma_pinned() folio: no dissolve, the folio stays with its raw error list, its bytes held back even after unmap", () => {
    const { m, vmm, addr, ctx, ioas, fd } = vmmWithMemfd({ keepUeMapped: true, machine: { offlinePinned: "ebusy" }, iommufd: { policy: "ebusy" } });
    const r = ioas.mapFile({ fd, length: "2M" });
    const head = m.pfnOf(vmm, addr) as number;
    hwError(m, vmm, addr + 4096);
    m.munmap(vmm, addr);
    m.close(vmm, fd);
    expect(m.events.some((e) => e.kind === "dissolve")).toBe(false);
    expect(m.events.some((e) => e.kind === "policy" && e.what.includes("-EBUSY"))).toBe(true);
    const f = m.mem.folios.get(head)!;
    expect([...(f.rawHwp ?? [])]).toEqual([head + 1]);
    expect(ctx.metrics().heldBackBytes).toBe(M2);
    ioas.unmap(r.iova, "2M");
    expect(m.mem.folios.get(head), "MF's reference keeps it allocated").toBe(f);
    expect(ctx.metrics()).toMatchObject({ pinnedBytes: 0, leakedBytes: M2 });
    expect(m.hugetlb("2M")).toEqual({ nr: 8, free: 7 });
    expect(violationText(m)).toBe("");
  });

  it('the "ebusy" policy needs the machine option (offlinePinned: "ebusy")', () => {
    const m = machine();
    expect(() => new Iommufd(m, m.spawn(), { policy: "ebusy" })).toThrow(/offlinePinned/);
  });
});

describe("policy (b): the memory owner revokes iommufd areas (Jason Gunthorpe, Feb 2026)", () => {
  it("poison of a mapped memfd folio revokes the area first: pins dropped, IOTLB invalidated, MF_MSG_HUGE / MF_RECOVERED, DMA then IO-page-faults instead of reaching poison (revoke notifier)", () => {
    const { m, vmm, addr, ctx, ioas, dev, fd } = vmmWithMemfd({ iommufd: { policy: "revoke" } });
    const r = ioas.mapFile({ fd, length: "2M" });
    expect(dev.dma(r.iova + 3 * 4096).result).toBe("ok");
    const inv0 = ctx.metrics().invalidations;
    m.memoryFailure((m.pfnOf(vmm, addr) as number) + 3);
    expect(lastMf(m)).toMatchObject({ type: "MF_MSG_HUGE", result: "MF_RECOVERED" });
    const mt = ctx.metrics();
    expect(mt.revokes).toBe(1);
    expect(mt.invalidations - inv0).toBe(1);
    expect(mt.invalidatedEntries, "the warm IOTLB entry was dropped").toBe(1);
    expect(dev.dma(r.iova + 3 * 4096).result).toBe("io-page-fault");
    expect(dev.dma(r.iova + 9 * 4096).result).toBe("io-page-fault");
    expect(ctx.metrics()).toMatchObject({ dmaToPoison: 0, dmaToOffline: 0, ioPageFaults: 2, pinnedBytes: 0 });
    expect(ioas.mapFile({ fd, length: "2M" }).ret, "a poisoned folio is not handed to a device again").toBe(-EHWPOISON);
    expect(violationText(m)).toBe("");
  });

  it("revoke on truncate only: DMA still reaches the kept poisoned page until the VMM truncates; then the area is revoked and the folio dissolves, healthy pages back to buddy (remove_inode_single_folio → filemap_offline_hwpoison_folio)", () => {
    const { m, vmm, addr, ctx, ioas, dev, fd } = vmmWithMemfd({ keepUeMapped: true, iommufd: { policy: "revoke", revokeOnPoison: false } });
    const r = ioas.mapFile({ fd, length: "2M" });
    const raw = (m.pfnOf(vmm, addr) as number) + 1;
    hwError(m, vmm, addr + 4096);
    expect(dev.dma(r.iova + 4096).result).toBe("poison");
    const free0 = m.mem.buddy.nrFree;
    m.truncate(vmm, fd, 0);
    expect(ctx.metrics().revokes).toBe(1);
    expect(m.events.some((e) => e.kind === "dissolve" && e.ret === 0)).toBe(true);
    expect(m.mem.buddy.nrFree - free0).toBe(511);
    expect(m.mem.takenOff.has(raw)).toBe(true);
    expect(dev.dma(r.iova + 4096).result).toBe("io-page-fault");
    expect(ioas.unmap(r.iova, "2M").ret, "a revoked area can still be unmapped").toBe(0);
    expect(violationText(m)).toBe("");
  });

  it("a VA-mapped area (IOMMU_IOAS_MAP) is not covered: nobody notifies iommufd and the DMA reaches poison", () => {
    const { m, vmm, addr, ctx, ioas, dev } = vmmWithMemfd({ iommufd: { policy: "revoke" } });
    const r = ioas.map({ uptr: addr, length: "2M" });
    m.memoryFailure((m.pfnOf(vmm, addr) as number) + 2);
    expect(ctx.metrics().revokes).toBe(0);
    expect(dev.dma(r.iova + 2 * 4096).result).toBe("poison");
  });
});

describe("VFIO type1", () => {
  it("each VFIO_IOMMU_MAP_DMA pins on its own and charges mm->locked_vm only, not pinned_vm (vaddr_get_pfns, vfio_lock_acct)", () => {
    const { m, vmm, a } = vmmWithAnon("2M");
    const c = new VfioContainer(m, vmm);
    expect(c.mapDma({ vaddr: a, iova: 0x100000, size: "2M" })).toBe(0);
    expect(c.mapDma({ vaddr: a, iova: 0x40000000, size: "2M" })).toBe(0);
    const f = m.mem.pageFolio(m.pfnOf(vmm, a) as number)!;
    expect(f.pincount).toBe(2);
    expect(c.reg.mmLockedVm.get(vmm)).toBe(1024);
    expect(c.reg.pinnedVm.get(vmm) ?? 0).toBe(0);
    expect(c.reg.userLockedVm.get(1000) ?? 0).toBe(0);
    expect(violationText(m)).toBe("");
  });

  it("UNMAP_DMA may not bisect a vfio_dma (-EINVAL); a whole one unpins; closing the container unpins the rest (vfio_dma_do_unmap, vfio_unmap_unpin)", () => {
    const { m, vmm, a } = vmmWithAnon("2M");
    const c = new VfioContainer(m, vmm);
    const dev = c.attach("gpu0");
    c.mapDma({ vaddr: a, iova: 0x100000, size: "2M" });
    c.mapDma({ vaddr: a, iova: 0x40000000, size: "1M" });
    expect(c.unmapDma(0x100000 + 4096, 4096)).toEqual({ ret: -EINVAL, unmapped: 0 });
    expect(dev.dma(0x100000 + 4096).result).toBe("ok");
    expect(c.unmapDma(0x100000, "2M")).toEqual({ ret: 0, unmapped: M2 });
    expect(dev.dma(0x100000 + 4096).result).toBe("io-page-fault");
    expect(c.reg.mmLockedVm.get(vmm)).toBe(256);
    c.close();
    expect(c.reg.mmLockedVm.get(vmm)).toBe(0);
    expect(m.mem.pageFolio(m.pfnOf(vmm, a) as number)!.pincount).toBe(0);
    expect(violationText(m)).toBe("");
  });

  it("over RLIMIT_MEMLOCK → -ENOMEM, nothing left pinned (vfio_pin_pages_remote)", () => {
    const { m, vmm, a } = vmmWithAnon("2M");
    const c = new VfioContainer(m, vmm);
    pinRegistry(m).rlimitMemlock.set(vmm, 2 ** 20);
    expect(c.mapDma({ vaddr: a, iova: 0x100000, size: "2M" })).toBe(-ENOMEM);
    expect(m.mem.pageFolio(m.pfnOf(vmm, a) as number)!.pincount).toBe(0);
  });
});

describe("the invariants can fail", () => {
  it("unmapping without an IOTLB invalidation leaves a stale translation → iommu-stale-translation (iommu_iotlb_sync skipped by fault injection)", () => {
    const m = new Machine({ memory: "64M" });
    const vmm = m.spawn();
    const a = m.mmap(vmm, { length: "1M" });
    m.populate(vmm, a, "1M");
    const ctx = new Iommufd(m, vmm);
    const ioas = ctx.ioasAlloc();
    const dev = ioas.attach("nic0");
    const r = ioas.map({ uptr: a, length: "1M" });
    dev.dma(r.iova);
    ctx.reg.skipIotlbInvalidation = true;
    ioas.unmap(r.iova, "1M");
    expect(m.violations.map((v) => v.name)).toContain("iommu-stale-translation");
    expect(dev.dma(r.iova).iotlbHit, "the device still translates through the stale entry").toBe(true);
  });
});

describe("the policies side by side (measured)", () => {
  /** One poisoned, pinned, kept 2M hugetlb memfd page; the device keeps DMAing; then the VMM truncates and unmaps. */
  function scenario(policy: "none" | "ebusy" | "revoke") {
    const { m, vmm, addr, ctx, ioas, dev, fd } = vmmWithMemfd({ keepUeMapped: true, machine: { offlinePinned: policy === "ebusy" ? "ebusy" : "try" }, iommufd: { policy } });
    const r = ioas.mapFile({ fd, length: "2M" });
    hwError(m, vmm, addr + 4096);
    for (let i = 0; i < 4; i++) dev.dma(r.iova + i * 4096);
    const held = ctx.metrics().heldBackBytes;
    m.truncate(vmm, fd, 0);
    ioas.unmap(r.iova, "2M");
    return { m, held, mt: ctx.metrics(), history: ctx.history };
  }

  it("none: DMA reaches the poisoned page, 2M held back while pinned, leaked after; ebusy: the same exposure and the 2M never comes back; revoke: IO faults and one invalidation instead, nothing leaked (Jason 20 Jan 2025 vs Jiaqi 21 Jan 2025 vs Jason Feb 2026)", () => {
    const none = scenario("none");
    const ebusy = scenario("ebusy");
    const revoke = scenario("revoke");
    expect([none.mt.dmaToPoison, ebusy.mt.dmaToPoison, revoke.mt.dmaToPoison]).toEqual([1, 1, 0]);
    expect([none.mt.ioPageFaults, ebusy.mt.ioPageFaults, revoke.mt.ioPageFaults]).toEqual([0, 0, 4]);
    expect([none.held, ebusy.held, revoke.held], "held back while the device still maps it").toEqual([M2, M2, 0]);
    expect([none.mt.leakedBytes, ebusy.mt.leakedBytes, revoke.mt.leakedBytes], "after truncate and unmap").toEqual([M2, M2, 0]);
    expect(revoke.mt.revokes).toBe(1);
    expect(revoke.mt.invalidations, "the revoke's invalidation (the later unmap has no IOPTEs left)").toBe(1);
    expect(Math.max(...none.history.map((s) => s.heldBackBytes))).toBe(M2);
    expect(Math.max(...revoke.history.map((s) => s.heldBackBytes))).toBe(0);
    for (const r of [none, ebusy, revoke]) expect(violationText(r.m)).toBe("");
  });
});
