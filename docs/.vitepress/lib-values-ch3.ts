/**
 * Chapter 3 (iommufd pinning): every number its page shows, computed by running the course's
 * Machine with iommufd and VFIO type1 on it (src/iommufd/) when the site is built. Merged into
 * libValues() in lib-values.ts.
 */
import { EHWPOISON, Machine, formatSize, pageSizeBytes, type MfrEvent } from "../../src/index.js";
import { Iommufd, VfioContainer, pinVsMemfdLifetime, type PinPolicy } from "../../src/iommufd/index.js";
import { CH3_EXAMPLE, CH3_POLICIES, ch3VmLife } from "./ch3-example.js";
import { fmt } from "./format.js";

const G = 2 ** 30;

/** A VMM with `length` of anonymous memory (4K pages unless thp), faulted in. */
function anonVmm(length: string, thp = false) {
  const m = new Machine({ memory: "4G", hugetlb: { "1G": 2, "2M": 8 } });
  const pid = m.spawn();
  const a = m.mmap(pid, { length, thp });
  m.populate(pid, a, length);
  return { m, pid, a };
}

/** A VMM with a hugetlb memfd mapped, faulted in, and an iommufd with one IOAS and one device. */
function memfdVmm(size: "2M" | "1G", policy: PinPolicy, keepUeMapped = false) {
  const m = new Machine({ memory: "4G", hugetlb: { "1G": 2, "2M": 8 }, offlinePinned: policy === "ebusy" ? "ebusy" : "try" });
  const pid = m.spawn();
  const fd = m.memfdCreate(pid, { size, hugetlb: size, keepUeMapped });
  const addr = m.mmap(pid, { length: size, fd });
  m.populate(pid, addr, size);
  const ctx = new Iommufd(m, pid, { policy });
  const ioas = ctx.ioasAlloc();
  const dev = ioas.attach("nic0");
  return { m, pid, fd, addr, ctx, ioas, dev };
}

function lastMf(m: Machine): string {
  const all = m.events.filter((e): e is Extract<MfrEvent, { kind: "memory_failure" }> => e.kind === "memory_failure");
  const e = all[all.length - 1];
  return e ? `${e.type} / ${e.result}` : "no action_result";
}

/** Bytes for prose: "3G", and "0" rather than "0B". */
const size = (n: number): string => (n === 0 ? "0" : formatSize(n));

const ptesText = (sizes: string[]): string => [...new Set(sizes)].map((s) => `${fmt(sizes.filter((x) => x === s).length)} × ${s}`).join(" + ");

export function chapter3Values(): Record<string, string | number> {
  const v: Record<string, string | number> = {};

  // Accounting: IOMMU_IOAS_COPY shares iopt_pages; a second IOMMU_IOAS_MAP pins again; VFIO type1 per vfio_dma.
  {
    const { m, pid, a } = anonVmm("4M");
    const ctx = new Iommufd(m, pid);
    const i1 = ctx.ioasAlloc();
    const i2 = ctx.ioasAlloc();
    const r = i1.map({ uptr: a, length: "4M" });
    ctx.copy(i1, r.iova, "4M", i2);
    v["ch3.acct.size"] = "4M";
    v["ch3.acct.copy.pincount"] = m.mem.pageFolio(m.pfnOf(pid, a) as number)!.pincount;
    v["ch3.acct.copy.userlocked"] = fmt(ctx.reg.userLockedVm.get(1000) ?? 0);
    v["ch3.acct.copy.pinnedvm"] = fmt(ctx.reg.pinnedVm.get(pid) ?? 0);
  }
  {
    const { m, pid, a } = anonVmm("4M");
    const ctx = new Iommufd(m, pid);
    const ioas = ctx.ioasAlloc();
    ioas.map({ uptr: a, length: "4M" });
    ioas.map({ uptr: a, length: "4M" });
    v["ch3.acct.twice.pincount"] = m.mem.pageFolio(m.pfnOf(pid, a) as number)!.pincount;
    v["ch3.acct.twice.userlocked"] = fmt(ctx.reg.userLockedVm.get(1000) ?? 0);
  }
  {
    const { m, pid, a } = anonVmm("4M");
    const c = new VfioContainer(m, pid);
    c.mapDma({ vaddr: a, iova: 0x100000, size: "4M" });
    c.mapDma({ vaddr: a, iova: G, size: "4M" });
    v["ch3.acct.vfio.pincount"] = m.mem.pageFolio(m.pfnOf(pid, a) as number)!.pincount;
    v["ch3.acct.vfio.mmlocked"] = fmt(c.reg.mmLockedVm.get(pid) ?? 0);
    v["ch3.acct.vfio.pinnedvm"] = fmt(c.reg.pinnedVm.get(pid) ?? 0);
    v["ch3.acct.vfio.userlocked"] = fmt(c.reg.userLockedVm.get(1000) ?? 0);
  }

  // IO page-table granularity of one 1G folio: at a 1G-aligned IOVA, and where iopt_alloc_iova() puts it.
  {
    const a = memfdVmm("1G", "none");
    a.ioas.mapFile({ fd: a.fd, length: "1G", iova: G });
    v["ch3.iopte.aligned"] = ptesText(a.ioas.domain.ptes().map((p) => p.size));
    const b = memfdVmm("1G", "none");
    const r = b.ioas.mapFile({ fd: b.fd, length: "1G" });
    v["ch3.iopte.auto"] = ptesText(b.ioas.domain.ptes().map((p) => p.size));
    v["ch3.iopte.auto.iova"] = size(r.iova);
  }

  // memory_failure() on pinned memory: a 1G hugetlb memfd folio, and an anonymous THP.
  {
    const x = memfdVmm("1G", "none");
    x.ioas.mapFile({ fd: x.fd, length: "1G", iova: G });
    x.m.memoryFailure((x.m.pfnOf(x.pid, x.addr) as number) + 1);
    v["ch3.mf.hugetlb.result"] = lastMf(x.m);
    const users = x.m.events.map((e) => (e.kind === "policy" ? /still referenced by (\d+) users/.exec(e.what) : null)).find((r) => r);
    v["ch3.mf.hugetlb.users"] = users ? fmt(Number(users[1])) : "no";
    v["ch3.mf.dma.bad"] = x.dev.dma(G + 4096).result;
    v["ch3.mf.dma.neighbour"] = x.dev.dma(G + 100 * 4096).result;
    const y = anonVmm("2M", true);
    const ctx = new Iommufd(y.m, y.pid);
    ctx.ioasAlloc().map({ uptr: y.a, length: "2M" });
    y.m.memoryFailure((y.m.pfnOf(y.pid, y.a) as number) + 3);
    v["ch3.mf.thp.result"] = lastMf(y.m);
    const z = memfdVmm("1G", "revoke");
    z.ioas.mapFile({ fd: z.fd, length: "1G", iova: G });
    z.dev.dma(G + 4096);
    z.m.memoryFailure((z.m.pfnOf(z.pid, z.addr) as number) + 1);
    v["ch3.mf.revoke.result"] = lastMf(z.m);
    v["ch3.mf.revoke.dma"] = z.dev.dma(G + 4096).result;
    v["ch3.mf.revoke.neighbour"] = z.dev.dma(G + 100 * 4096).result;
    v["ch3.mf.revoke.invalidated"] = z.ctx.metrics().invalidatedEntries;
    v["ch3.mf.revoke.remap"] = z.ioas.mapFile({ fd: z.fd, length: "1G", iova: 2 * G }).ret === -EHWPOISON ? "-EHWPOISON" : "accepted";
  }

  // -EBUSY vs none on release: where the poisoned, pinned 2M folio ends up once the pin goes.
  for (const policy of ["none", "ebusy"] as PinPolicy[]) {
    const x = memfdVmm("2M", policy, true);
    const r = x.ioas.mapFile({ fd: x.fd, length: "2M" });
    x.m.memoryFailure((x.m.pfnOf(x.pid, x.addr) as number) + 1);
    x.m.munmap(x.pid, x.addr);
    x.m.close(x.pid, x.fd);
    v[`ch3.release.${policy}.pending`] = size(x.ctx.metrics().pendingBytes);
    x.ioas.unmap(r.iova, "2M");
    const h = x.m.hugetlb("2M");
    v[`ch3.release.${policy}.pool`] = `${h.nr} / ${h.free}`;
    v[`ch3.release.${policy}.leaked`] = size(x.m.summary().leaked * 4096);
    v[`ch3.release.${policy}.dissolve`] = x.m.events.some((e) => e.kind === "dissolve") ? "attempted (-EBUSY)" : "not attempted";
  }
  v["ch3.release.pool.before"] = 8;

  // The lifetime of a pin against the memfd's (one 2M folio, no policy / revoke).
  for (const policy of ["none", "revoke"] as PinPolicy[]) {
    const life = pinVsMemfdLifetime({ policy });
    const bar = (lane: string) => life.bars.find((b) => b.lane === lane);
    const pin = bar("pinned by iommufd");
    const fd = bar("memfd fd open");
    v[`ch3.life.${policy}.pinEnds`] = pin ? life.steps[pin.to] ?? "never" : "never pinned";
    v[`ch3.life.${policy}.fdEnds`] = fd ? life.steps[fd.to] ?? "never" : "never";
    v[`ch3.life.${policy}.outlives`] = pin && fd ? fmt(Math.max(0, pin.to - fd.to)) : "0";
    const pool = bar("poisoned folio in the free pool");
    v[`ch3.life.${policy}.pool`] = pool ? life.steps[pool.from] : "never";
  }

  // Memory held back and DMA outcomes over the example VM's life, per policy.
  const ex = CH3_EXAMPLE;
  const run = ch3VmLife;
  v["ch3.vm.guest"] = ex.guest;
  v["ch3.vm.folio"] = ex.pageSize;
  v["ch3.vm.days"] = ex.days;
  v["ch3.vm.errors"] = ex.errors;
  v["ch3.vm.dmaPerDay"] = ex.dmaPerDay;
  for (const policy of CH3_POLICIES) {
    const s = run(policy);
    const last = s.points[s.points.length - 1];
    const running = s.points.filter((p) => p.phase === "running");
    v[`ch3.vm.${policy}.peak`] = size(Math.max(0, ...running.map((p) => p.heldBackBytes)));
    v[`ch3.vm.${policy}.pending`] = size(Math.max(0, ...running.map((p) => p.pendingBytes)));
    v[`ch3.vm.${policy}.leaked`] = size(last.leakedBytes);
    v[`ch3.vm.${policy}.offlined`] = size(last.offlinedBytes);
    v[`ch3.vm.${policy}.dmas`] = fmt(last.dmas);
    v[`ch3.vm.${policy}.poison`] = fmt(last.dmaToPoison);
    v[`ch3.vm.${policy}.offlinedDma`] = fmt(last.dmaToOffline);
    v[`ch3.vm.${policy}.iopf`] = fmt(last.ioPageFaults);
    v[`ch3.vm.${policy}.revokes`] = last.revokes;
    v[`ch3.vm.${policy}.violations`] = s.violations.length;
    if (policy === "revoke") v["ch3.vm.revoke.lostIova"] = formatSize(last.revokes * pageSizeBytes(ex.pageSize));
  }
  // Without punching, nothing is pending; the poisoned folios are held back until teardown.
  const keep = run("none", { punchPoisoned: false });
  v["ch3.vm.keep.peak"] = size(Math.max(0, ...keep.points.filter((p) => p.phase === "running").map((p) => p.heldBackBytes)));
  v["ch3.vm.keep.leaked"] = size(keep.points[keep.points.length - 1].leakedBytes);
  v["ch3.vm.keep.offlined"] = size(keep.points[keep.points.length - 1].offlinedBytes);
  // Guest RAM handed over by VA (IOMMU_IOAS_MAP): the memfd owner has nobody to notify.
  const va = run("revoke", { map: "va" });
  const vaLast = va.points[va.points.length - 1];
  v["ch3.vm.va.revokes"] = vaLast.revokes;
  v["ch3.vm.va.poison"] = fmt(vaLast.dmaToPoison);
  return v;
}
