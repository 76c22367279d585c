/**
 * Chapter 2 (memfd policy lifetimes): every number its page shows, computed by running the
 * course's Machine (src/mfr/) when the site is built. Merged into libValues() in lib-values.ts.
 */
import { EBUSY, EINVAL, MFD_HUGETLB, MFD_MF_KEEP_UE_MAPPED, MF_ACTION_REQUIRED, Machine, formatSize } from "../../src/index.js";
import { bootGuestVm, memoryLostByPolicy, type MemfdMfPolicy } from "../../src/mfr/policy/memory-lost.js";
import type { PolicyVariant } from "../../src/mfr/machine.js";
import { fmt } from "./format.js";

/** The chapter's running example: the error count and guest of the memory-lost table. */
export const CH2_EXAMPLE = { errors: 8, guest: "64G", seed: 1, touches: 10, badPage: 1000 };

const POLICIES: MemfdMfPolicy[] = ["default", "keep-ue-mapped"];
const key = (p: MemfdMfPolicy): string => (p === "default" ? "default" : "keep");

export function chapter2Values(): Record<string, string | number> {
  const v: Record<string, string | number> = {};

  // The flag: accepted only with MFD_HUGETLB (sanitize_flags, RFC v3).
  const mf = new Machine({ memory: "4G", hugetlb: { "1G": 1 } });
  const p = mf.spawn();
  v["ch2.flag.value"] = `0x${MFD_MF_KEEP_UE_MAPPED.toString(16).padStart(4, "0")}`;
  v["ch2.flag.hugetlb"] = `0x${MFD_HUGETLB.toString(16).padStart(4, "0")}`;
  v["ch2.flag.shmem.ret"] = mf.memfdCreate(p, { size: "2M", keepUeMapped: true }) === -EINVAL ? "-EINVAL" : "accepted";
  v["ch2.flag.hugetlb.ret"] = mf.memfdCreate(p, { size: "1G", hugetlb: "1G", keepUeMapped: true }) >= 0 ? "a file descriptor" : "an error";

  // One error on a live 1G memfd, then reads of the bad page and of a healthy page far away.
  for (const policy of POLICIES) {
    const vm = bootGuestVm({ guest: "1G", folio: "1G", policy });
    const head = vm.m.pfnOf(vm.pid, vm.addr) as number;
    const folio = vm.m.mem.pageFolio(head)!;
    const r = vm.m.memoryFailure(head + CH2_EXAMPLE.badPage);
    const bad = vm.m.read(vm.pid, vm.addr + CH2_EXAMPLE.badPage * 4096);
    const far = vm.m.read(vm.pid, vm.addr + 700 * 2 ** 20);
    const k = key(policy);
    v[`ch2.live.${k}.result`] = `${r.type} / ${r.result}`;
    v[`ch2.live.${k}.mapping`] = vm.m.pfnOf(vm.pid, vm.addr) !== null ? "kept mapped" : "replaced by a hwpoison entry";
    v[`ch2.live.${k}.lsb`] = bad.signals[0]?.lsb ?? "none";
    v[`ch2.live.${k}.far`] = far.result === "ok" ? "readable" : `SIGBUS, lsb ${far.signals[0]?.lsb}`;
    // Three more raw errors in the same folio, reported by the hardware: the references MF holds.
    const results = [5000, 90_000, 200_000].map((extra) => vm.m.memoryFailure(head + extra));
    v[`ch2.live.${k}.mfrefs`] = folio.mfRefs;
    v[`ch2.live.${k}.again`] = `${results[0].type} / ${results[0].result}`;
    // The same four raw pages injected with MADV_HWPOISON instead: each brings its GUP reference.
    const inj = bootGuestVm({ guest: "1G", folio: "1G", policy });
    const ihead = inj.m.pfnOf(inj.pid, inj.addr) as number;
    const ifolio = inj.m.mem.pageFolio(ihead)!;
    for (const off of [CH2_EXAMPLE.badPage, 5000, 90_000, 200_000]) inj.m.madviseHwpoison(inj.pid, inj.addr + off * 4096);
    v[`ch2.live.${k}.mfrefs.madvise`] = ifolio.mfRefs;
    const reread = inj.m.read(inj.pid, inj.addr + CH2_EXAMPLE.badPage * 4096);
    v[`ch2.live.${k}.reread.madvise`] = reread.result === "ok" ? "reads the data" : `SIGBUS, lsb ${reread.signals[0]?.lsb}`;
  }
  v["ch2.live.errors"] = 4;

  // Repeated consumption: the VMM reads the bad page again and again.
  for (const policy of POLICIES) {
    const vm = bootGuestVm({ guest: "1G", folio: "1G", policy });
    vm.m.memoryFailure((vm.m.pfnOf(vm.pid, vm.addr) as number) + CH2_EXAMPLE.badPage);
    const from = vm.m.events.length;
    let sigbus = 0;
    for (let i = 0; i < CH2_EXAMPLE.touches; i++) if (vm.m.read(vm.pid, vm.addr + CH2_EXAMPLE.badPage * 4096).result === "sigbus") sigbus++;
    const ev = vm.m.events.slice(from);
    const k = key(policy);
    v[`ch2.repeat.${k}.sigbus`] = sigbus;
    v[`ch2.repeat.${k}.mce`] = ev.filter((e) => e.kind === "memory_failure" && (e.flags & MF_ACTION_REQUIRED) !== 0).length;
    v[`ch2.repeat.${k}.total`] = vm.m.stats.total;
  }
  v["ch2.repeat.touches"] = CH2_EXAMPLE.touches;

  // Release order, v1 batch vs v2 per folio: three 2M folios, the first and last poisoned.
  for (const variant of ["v1", "v2"] as PolicyVariant[]) v[`ch2.release.${variant}.order`] = releaseOrder(variant);

  // Memory lost per policy at the example's error count.
  const ex = memoryLostByPolicy({ errors: CH2_EXAMPLE.errors, guest: CH2_EXAMPLE.guest, seed: CH2_EXAMPLE.seed });
  const pinned = memoryLostByPolicy({ errors: CH2_EXAMPLE.errors, guest: CH2_EXAMPLE.guest, seed: CH2_EXAMPLE.seed, pinned: true });
  v["ch2.lost.errors"] = ex.errors;
  v["ch2.lost.guest"] = formatSize(ex.guestBytes);
  v["ch2.lost.folios"] = ex.default.live.poisonedFolios;
  v["ch2.lost.default.live"] = formatSize(ex.default.live.unreadableBytes);
  v["ch2.lost.default.after"] = formatSize(ex.default.afterRelease.unusableBytes);
  v["ch2.lost.default.pool"] = `${ex.default.afterRelease.hugetlb.nr} / ${ex.default.afterRelease.hugetlb.free}`;
  v["ch2.lost.keep.live"] = formatSize(ex.keepUeMapped.live.unreadableBytes);
  v["ch2.lost.keep.after"] = formatSize(ex.keepUeMapped.afterRelease.unusableBytes);
  v["ch2.lost.keep.pool"] = `${ex.keepUeMapped.afterRelease.hugetlb.nr} / ${ex.keepUeMapped.afterRelease.hugetlb.free}`;
  v["ch2.lost.keep.pinned.after"] = formatSize(pinned.keepUeMapped.afterRelease.unusableBytes);
  v["ch2.lost.hugepages"] = ex.keepUeMapped.afterRelease.hugetlb.lost;
  v["ch2.lost.pool.before"] = ex.guestBytes / ex.folioBytes;
  v["ch2.lost.ratio"] = fmt(ex.default.live.unreadableBytes / ex.keepUeMapped.live.unreadableBytes);

  // William Roche's bug: v1-buggy leaves a raw poisoned page on the free lists.
  for (const variant of ["v1-buggy", "v2"] as PolicyVariant[]) {
    const r = memoryLostByPolicy({ errors: 4, guest: "4G", seed: 3, policyVariant: variant });
    v[`ch2.bug.${variant}.violations`] = r.keepUeMapped.afterRelease.violations.length;
    v[`ch2.bug.${variant}.offlined`] = formatSize(r.keepUeMapped.afterRelease.offlinedBytes);
  }
  v["ch2.bug.errors"] = 4;

  // A pin held at release: the dissolve fails with -EBUSY.
  const mp = new Machine({ memory: "64M", hugetlb: { "2M": 2 } });
  const vmm = mp.spawn();
  const fd = mp.memfdCreate(vmm, { size: "2M", hugetlb: "2M", keepUeMapped: true });
  const a = mp.mmap(vmm, { length: "2M", fd });
  mp.write(vmm, a);
  mp.pin(vmm, a);
  mp.memoryFailure((mp.pfnOf(vmm, a) as number) + 1);
  mp.exit(vmm);
  const dis = mp.events.find((e) => e.kind === "dissolve");
  v["ch2.pin.dissolve"] = dis && dis.kind === "dissolve" ? (dis.ret === -EBUSY ? "-EBUSY" : String(dis.ret)) : "not attempted";
  v["ch2.pin.leaked"] = formatSize(mp.summary().leaked * 4096);
  return v;
}

/** The release path's steps in the order the model logs them, as one line of prose. */
function releaseOrder(variant: PolicyVariant): string {
  const m = new Machine({ memory: "64M", hugetlb: { "2M": 4 }, policyVariant: variant });
  const pid = m.spawn();
  const fd = m.memfdCreate(pid, { size: "6M", hugetlb: "2M", keepUeMapped: true });
  const a = m.mmap(pid, { length: "6M", fd });
  m.populate(pid, a, "6M");
  const heads = [0, 1, 2].map((i) => m.pfnOf(pid, a + i * 2 ** 21) as number);
  m.memoryFailure(heads[0] + 3);
  m.memoryFailure(heads[2] + 9);
  m.munmap(pid, a);
  const from = m.events.length;
  m.truncate(pid, fd, 0);
  const name = (pfn: number | undefined): string => `folio ${heads.indexOf(pfn ?? -1) + 1}`;
  const steps: string[] = [];
  for (const e of m.events.slice(from)) {
    if (e.kind === "policy") {
      const fn = e.what.split(":")[0];
      steps.push(fn === "filemap_offline_hwpoison_folio" ? `offline ${name(e.pfn)}` : fn);
    } else if (e.kind === "free" && e.what.endsWith("to pool") && heads.indexOf(e.pfn) === 1) {
      steps.push(`${name(e.pfn)} back to the pool`);
    }
  }
  return steps.join(" → ");
}
