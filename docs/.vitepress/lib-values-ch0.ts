/**
 * Chapter 0's numbers: every one is what the course's memory_failure() model (src/mfr) does on a
 * small machine, computed when the site is built. lib-values.ts merges them in.
 */
import {
  BUS_MCEERR_AO, BUS_MCEERR_AR, DEFAULT_KERNEL_VERSION, KERNEL_CHANGES, KERNEL_SOURCE_CHECKED, MF_ACTION_REQUIRED, Machine, PG_swapcache, Rng,
  errnoName, formatSize, mfFlagsText, type KernelChangeId, type MachineOptions, type MfrEvent,
} from "../../src/index.js";
import { fmt } from "./format.js";

type Opts = Partial<MachineOptions>;
const machine = (o: Opts = {}) => new Machine({ memory: "4G", hugetlb: { "1G": 2, "2M": 8 }, ...o });

/** A process with one written page of the given kind; returns the machine, pid, address and pfn. */
function page(kind: "anon" | "thp" | "shmem" | "huge2M" | "huge1G" | "keep1G", o: Opts = {}, pin = false) {
  const m = machine(o);
  const pid = m.spawn();
  let addr: number;
  if (kind === "anon" || kind === "thp") addr = m.mmap(pid, { length: "2M", thp: kind === "thp" });
  else {
    const size = kind === "huge2M" || kind === "shmem" ? "2M" : "1G";
    const fd = m.memfdCreate(pid, { size, hugetlb: kind === "shmem" ? undefined : size, keepUeMapped: kind === "keep1G" });
    addr = m.mmap(pid, { length: size, fd });
  }
  m.write(pid, addr);
  const bad = addr + (kind === "anon" || kind === "shmem" ? 0 : 7 * 4096);
  m.write(pid, bad);
  if (pin) m.pin(pid, addr);
  return { m, pid, addr, bad, pfn: m.pfnOf(pid, bad) as number };
}

function lastMfOf(m: Machine): Extract<MfrEvent, { kind: "memory_failure" }> {
  return m.events.filter((e): e is Extract<MfrEvent, { kind: "memory_failure" }> => e.kind === "memory_failure").pop()!;
}

function signalText(m: Machine, from: number): string {
  const s = m.events.slice(from).filter((e): e is Extract<MfrEvent, { kind: "signal" }> => e.kind === "signal");
  return s.length === 0 ? "none" : s.map((e) => `${e.code ?? e.sig} (lsb ${e.lsb})`).join(", ");
}

export function chapter0Values(): Record<string, string | number> {
  const v: Record<string, string | number> = {};
  v["ch0.bus.ar"] = BUS_MCEERR_AR;
  v["ch0.bus.ao"] = BUS_MCEERR_AO;

  // The three callers on a dirty anonymous 4K page.
  const callers = {
    mce: (c: ReturnType<typeof page>) => c.m.memoryFailure(c.pfn, MF_ACTION_REQUIRED, { current: c.pid }),
    queue: (c: ReturnType<typeof page>) => c.m.memoryFailure(c.pfn, 0),
    madvise: (c: ReturnType<typeof page>) => c.m.madviseHwpoison(c.pid, c.bad),
    // arm64: the load raises a synchronous external abort; GHES runs memory_failure() for the task.
    sea: (c: ReturnType<typeof page>) => {
      c.m.mem.markBad(c.pfn);
      c.m.read(c.pid, c.bad);
      return { type: lastMfOf(c.m).type, result: lastMfOf(c.m).result };
    },
  };
  for (const [k, run] of Object.entries(callers)) {
    const c = page("anon", k === "sea" ? { arch: "arm64" } : {});
    const from = c.m.events.length;
    const r = run(c);
    const mf = lastMfOf(c.m);
    v[`ch0.callers.${k}.flags`] = mfFlagsText(mf.flags);
    v[`ch0.callers.${k}.outcome`] = `${r.type} / ${r.result}`;
    v[`ch0.callers.${k}.signal`] = signalText(c.m, from);
    v[`ch0.callers.${k}.latch`] = String(c.m.hwMemoryFailure);
    const later = c.m.read(c.pid, c.bad).signals[0];
    v[`ch0.callers.${k}.later`] = later ? `${later.code} (lsb ${later.lsb})` : "none";
  }

  // One page per state through memory_failure(pfn, 0).
  const states: Record<string, () => { m: Machine; pfn: number }> = {
    buddy: () => ({ m: machine(), pfn: 200_000 }),
    kernel: () => ({ m: machine(), pfn: 10 }),
    freeHuge: () => { const m = machine(); return { m, pfn: m.mem.hstates.get("1G")!.freeList[0].pfn + 3 }; },
    freeHugeHvo: () => { const m = machine({ hvo: true, hvoRestoreFails: true }); return { m, pfn: m.mem.hstates.get("1G")!.freeList[0].pfn + 3 }; },
    anon: () => page("anon"),
    anonPinned: () => page("anon", {}, true),
    swapDirty: () => { const c = page("anon"); c.m.mem.pageFolio(c.pfn)!.flags |= PG_swapcache; return c; },
    thp: () => page("thp"),
    thpPinned: () => page("thp", {}, true),
    shmem: () => page("shmem"),
    shmemPinned: () => page("shmem", {}, true),
    huge1G: () => page("huge1G"),
    huge1GPinned: () => page("huge1G", {}, true),
    unmapFails: () => page("anon", { unmapFails: true }),
    kernel612: () => ({ m: machine({ kernel: "6.12" }), pfn: 10 }),
    pfnmap: () => { const m = machine(); return { m, pfn: m.mem.nrFrames + 0x100 }; },
    pfnmap612: () => { const m = machine({ kernel: "6.12" }); return { m, pfn: m.mem.nrFrames + 0x100 }; },
    hugeAgain: () => { const c = page("huge1G"); c.m.memoryFailure(c.pfn); return { m: c.m, pfn: c.pfn + 5 }; },
    hugeSame: () => { const c = page("huge1G"); c.m.memoryFailure(c.pfn); return { m: c.m, pfn: c.pfn }; },
  };
  for (const [k, build] of Object.entries(states)) {
    const { m, pfn } = build();
    const r = m.memoryFailure(pfn, 0);
    v[`ch0.state.${k}.type`] = r.type ?? "none";
    v[`ch0.state.${k}.result`] = r.result ?? "none";
    v[`ch0.state.${k}.ret`] = errnoName(r.ret);
  }

  // si_addr_lsb of MADV_HWPOISON on one page of each kind.
  for (const [k, kind, pin] of [["anon", "anon", false], ["thp", "thp", false], ["thpPinned", "thp", true], ["huge2M", "huge2M", false], ["huge1G", "huge1G", false], ["keep1G", "keep1G", false]] as const) {
    const c = page(kind, {}, pin);
    c.m.madviseHwpoison(c.pid, c.bad);
    const s = c.m.signalsOf(c.pid)[0];
    v[`ch0.lsb.${k}`] = s.lsb;
    v[`ch0.lsb.${k}.extent`] = formatSize(2 ** s.lsb);
    v[`ch0.lsb.${k}.code`] = s.code ?? "none";
    const next = c.m.read(c.pid, c.bad + 4096);
    v[`ch0.lsb.${k}.next`] = next.result === "ok" ? "reads fine" : `SIGBUS (lsb ${next.signals[0].lsb})`;
  }

  // A consumed error memory_failure() cannot recover and that signalled nobody: a clean shmem page
  // pinned by a device (MF_FAILED, forcekill false). kill_me_now() / memory_failure_cb().
  for (const [k, o] of [["x86", {}], ["arm64", { arch: "arm64" }], ["arm64612", { arch: "arm64", kernel: "6.12" }]] as const) {
    const m = machine(o as Opts);
    const pid = m.spawn();
    const fd = m.memfdCreate(pid, { size: "2M" });
    const a = m.mmap(pid, { length: "2M", fd });
    m.read(pid, a);
    m.pin(pid, a);
    m.mem.markBad(m.pfnOf(pid, a) as number);
    const r = m.read(pid, a);
    v[`ch0.unrecovered.${k}`] = r.signals.length === 0 ? "no signal" : r.signals.map((s) => (s.code ? `${s.code} (lsb ${s.lsb})` : "SIGBUS, no address (si_code SI_KERNEL)")).join(", ");
    v[`ch0.unrecovered.${k}.result`] = `${lastMfOf(m).type} / ${lastMfOf(m).result}`;
  }

  // A second error in a poisoned 1G HugeTLB folio, consumed: the raw page's address, the huge shift.
  {
    const c = page("huge1G");
    c.m.memoryFailure(c.pfn);
    const from = c.m.events.length;
    c.m.memoryFailure(c.pfn + 5, MF_ACTION_REQUIRED, { current: c.pid });
    const sig = c.m.events.slice(from).find((e): e is Extract<MfrEvent, { kind: "signal" }> => e.kind === "signal")!;
    v["ch0.hugeAgain.offset"] = `+${((sig.addr - (c.bad - 7 * 4096)) / 1024).toFixed(0)}K`;
    v["ch0.hugeAgain.lsb"] = sig.lsb;
  }

  // The kernels the model follows, and what changed between them (src/mfr/kernel-version.ts).
  v["ch0.kernel.default"] = DEFAULT_KERNEL_VERSION;
  v["ch0.kernel.7.3"] = KERNEL_SOURCE_CHECKED["7.3"];
  v["ch0.kernel.6.12"] = KERNEL_SOURCE_CHECKED["6.12"];
  for (const [id, c] of Object.entries(KERNEL_CHANGES) as [KernelChangeId, (typeof KERNEL_CHANGES)[KernelChangeId]][]) {
    v[`change.${id}.what`] = c.what;
    v[`change.${id}.before`] = c.before;
    v[`change.${id}.source`] = c.source;
  }

  // Early and late kill for an error found by a scrubber.
  for (const sysctl of [0, 1]) {
    for (const prctl of ["default", "early", "late"] as const) {
      const c = page("anon", { earlyKill: sysctl === 1 });
      c.m.prctlMceKill(c.pid, prctl);
      const from = c.m.events.length;
      c.m.memoryFailure(c.pfn, 0);
      v[`ch0.kill.${sysctl}.${prctl}`] = signalText(c.m, from);
    }
  }

  // Soft offline and unpoison.
  const so = page("anon");
  v["ch0.soft.ret"] = errnoName(so.m.softOffline(so.pfn));
  v["ch0.soft.moved"] = String(so.m.pfnOf(so.pid, so.bad) !== so.pfn);
  v["ch0.soft.read"] = so.m.read(so.pid, so.bad).result;
  v["ch0.soft.off"] = errnoName(page("anon", { enableSoftOffline: false }).m.softOffline(1000));
  const sh = page("huge2M");
  const before = sh.m.hugetlb("2M").nr;
  sh.m.softOffline(sh.m.pfnOf(sh.pid, sh.addr) as number);
  v["ch0.soft.huge"] = `${before} → ${sh.m.hugetlb("2M").nr}`;
  const unpoison = (how: "madvise" | "hardware" | "elsewhere" | "shmem"): string => {
    const c = page(how === "shmem" ? "shmem" : "anon");
    if (how === "hardware") c.m.memoryFailure(c.pfn, MF_ACTION_REQUIRED, { current: c.pid });
    else c.m.madviseHwpoison(c.pid, c.bad);
    if (how === "elsewhere") c.m.memoryFailure(300_000, 0);
    if (how !== "shmem") c.m.exit(c.pid);
    return errnoName(c.m.unpoison(c.pfn));
  };
  for (const how of ["madvise", "hardware", "elsewhere", "shmem"] as const) v[`ch0.unpoison.${how}`] = unpoison(how);

  // THP vs HugeTLB: frames lost after the process exits.
  const lost = (kind: "thp" | "huge1G") => {
    const c = page(kind);
    c.m.madviseHwpoison(c.pid, c.bad);
    c.m.exit(c.pid);
    return c.m.summary();
  };
  const t = lost("thp");
  const h = lost("huge1G");
  v["ch0.exit.thp.offlined"] = t.offlined;
  v["ch0.exit.huge1G.leaked"] = fmt(h.leaked);
  v["ch0.exit.huge1G.leakedBytes"] = formatSize(h.leaked * 4096);

  // A small "VM": 8G of guest memory, three seeded errors, 256 seeded probes.
  for (const [k, backing] of [["hugetlb", "1G"], ["thp", "THP"]] as const) {
    const m = new Machine({ memory: "12G", hugetlb: backing === "1G" ? { "1G": 8 } : {} });
    const vmm = m.spawn();
    const guest = backing === "1G" ? m.mmap(vmm, { length: "8G", fd: m.memfdCreate(vmm, { size: "8G", hugetlb: "1G" }) }) : m.mmap(vmm, { length: "8G", thp: true });
    m.populate(vmm, guest, "8G");
    const rng = new Rng(3);
    const errors = [0, 1, 2].map(() => rng.nextInt(8 * 262_144) * 4096);
    for (const off of errors) m.memoryFailure(m.pfnOf(vmm, guest + off) as number, 0);
    const lsbs = errors.map((off) => m.read(vmm, guest + off).signals[0].lsb);
    const extents = new Set(errors.map((off, i) => `${lsbs[i]}:${Math.floor(off / 2 ** lsbs[i])}`));
    v[`ch0.vm.${k}.toldGone`] = formatSize([...extents].reduce((s, e) => s + 2 ** Number(e.split(":")[0]), 0));
    let ok = 0;
    for (let i = 0; i < 256; i++) if (m.read(vmm, guest + rng.nextInt(8 * 262_144) * 4096).result === "ok") ok++;
    v[`ch0.vm.${k}.probes`] = `${ok} of 256`;
  }
  return v;
}
