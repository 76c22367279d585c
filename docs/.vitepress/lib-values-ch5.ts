/**
 * Chapter 5 (VFIO MMIO poison dispatch): every number its page shows, computed by running the
 * course's model of memory_failure_pfn(), the PFN interval tree and nvgrace-gpu (src/vfio/) when
 * the site is built. Merged into libValues() in lib-values.ts.
 */
import { EBUSY, EINVAL, EOPNOTSUPP, ENXIO, EFAULT, formatSize, GOLDEN_COVE } from "../../src/index.js";
import { ENOENT } from "../../src/iommufd/iommufd.js";
import { PfnSpaceTree, VFIO_PCI_OFFSET_SHIFT, type PfnAddressSpace } from "../../src/vfio/pfn-address-space.js";
import { NvgraceGpuDevice, USEMEM_REGION_INDEX, RESMEM_REGION_INDEX, VFIO_PCI_PGOFF_PER_INDEX } from "../../src/vfio/nvgrace-gpu.js";
import { memoryFailurePfn, type PfnFailureResult } from "../../src/vfio/memory-failure-pfn.js";
import { zapCost } from "../../src/vfio/zap-cost.js";
import { CH5_EXAMPLE, ch5Dispatch, ch5Machine } from "./ch5-example.js";
import { fmt } from "./format.js";

const G = 2 ** 30;
const hex = (n: number): string => "0x" + n.toString(16);
const ERRNO: Record<number, string> = {
  0: "0", [-EBUSY]: "-EBUSY", [-EINVAL]: "-EINVAL", [-EOPNOTSUPP]: "-EOPNOTSUPP", [-ENXIO]: "-ENXIO", [-EFAULT]: "-EFAULT", [-ENOENT]: "-ENOENT",
};
const errno = (n: number): string => ERRNO[n] ?? String(n);
/** "12.34 %" without a sign; small shares keep two significant digits. */
const share = (x: number): string => (x >= 0.01 ? `${fmt(100 * x, x >= 0.1 ? 0 : 1)} %` : `${fmt(100 * x, 2)} %`);
const outcome = (r: PfnFailureResult): string => (r.type ? `${r.type} / ${r.result}` : "no action_result");
/** Who got what, for prose: "pid 200 (BUS_MCEERR_AO)". */
const who = (r: PfnFailureResult): string => {
  const parts = [...r.kills.map((k) => `pid ${k.pid} (${k.code})`), ...r.sigkills.map((p) => `pid ${p} (SIGKILL)`)];
  return parts.length ? parts.join(", ") : "nobody";
};

export function chapter5Values(): Record<string, string | number> {
  const v: Record<string, string | number> = {};
  const ex = CH5_EXAMPLE;

  // The example machine.
  v["ch5.ex.ram"] = formatSize(ex.ramBytes);
  v["ch5.ex.usemem"] = formatSize(ex.usememBytes);
  v["ch5.ex.resmem"] = formatSize(ex.resmemBytes);
  v["ch5.ex.usememBase"] = hex(ex.usememBase);
  v["ch5.ex.usememFirstPfn"] = hex(ex.usememBase / 4096);
  v["ch5.ex.usememLastPfn"] = hex((ex.usememBase + ex.usememBytes) / 4096 - 1);
  v["ch5.ex.vmm.addr"] = hex(ex.vmm.addr);
  v["ch5.ex.helper.addr"] = hex(ex.helper.addr);
  v["ch5.ex.helper.offset"] = formatSize(ex.helper.offset);
  v["ch5.ex.helper.length"] = formatSize(ex.helper.length);
  v["ch5.ex.poison"] = `${formatSize(10 * G)} + 5 pages`;
  v["ch5.offsetShift"] = VFIO_PCI_OFFSET_SHIFT;
  v["ch5.pgoffPerIndex"] = hex(VFIO_PCI_PGOFF_PER_INDEX);
  v["ch5.usememIndex"] = USEMEM_REGION_INDEX;
  v["ch5.resmemIndex"] = RESMEM_REGION_INDEX;
  v["ch5.usememPgoff"] = hex(USEMEM_REGION_INDEX * VFIO_PCI_PGOFF_PER_INDEX);

  // Before the series: a PFN without struct page is "memory outside kernel control".
  {
    const old = ch5Dispatch({ pfnDispatch: false });
    v["ch5.old.signals"] = who(old.r);
    const m = ch5Machine({ pfnDispatch: false });
    const direct = memoryFailurePfn(m.sys, old.pfn);
    v["ch5.old.direct"] = errno(direct.ret);
    v["ch5.old.ghes"] = old.r.path === "ghes-dropped" ? "never called" : "called";
    const ram = memoryFailurePfn(ch5Machine().sys, 12345);
    v["ch5.ram.path"] = ram.path === "struct-page" ? "the struct-page path" : ram.path;
  }

  // register_pfn_address_space(): each refusal, on a fresh tree.
  {
    const cb = () => ({ pgoff: 0 });
    const mk = (start: number, last: number, withCb = true): PfnAddressSpace => ({
      start, last, mapping: { name: "dev" }, owner: "dev", ...(withCb ? { pfnToVmaPgoff: cb } : {}),
    });
    const range = (s: PfnAddressSpace) => `${fmt(s.start)}–${fmt(s.last)}`;
    const first = mk(1000, 1999);
    const overlap = mk(1999, 2999);
    const next = mk(2000, 2999);
    const t = new PfnSpaceTree();
    v["ch5.reg.first"] = range(first);
    v["ch5.reg.overlap"] = range(overlap);
    v["ch5.reg.next"] = range(next);
    v["ch5.reg.ok"] = errno(t.register(first));
    v["ch5.reg.einval"] = errno(t.register(mk(5000, 5999, false)));
    v["ch5.reg.ebusy.last"] = errno(t.register(overlap));
    v["ch5.reg.touch"] = errno(t.register(next));
    v["ch5.reg.eopnotsupp"] = errno(new PfnSpaceTree({ configMemoryFailure: false }).register(mk(1000, 1999)));
  }

  // nvgrace-gpu: open registers resmem and usemem; a second open does not; close unregisters.
  {
    const m = ch5Machine();
    v["ch5.open.ret"] = errno(m.openRet);
    v["ch5.open.spaces"] = m.tree.spaces.length;
    v["ch5.open.owners"] = m.tree.spaces.map((s) => s.owner).join(" and ");
    v["ch5.open.group2"] = errno(m.gpu.open(m.tree));
    v["ch5.open.group2.spaces"] = m.tree.spaces.length;
    v["ch5.open.cdev2"] = errno(m.gpu.open(m.tree, { cdev: true }));
    v["ch5.open.twice"] = errno(m.gpu.openDevice(m.tree));
    m.gpu.close(m.tree);
    m.gpu.close(m.tree);
    v["ch5.close.spaces"] = m.tree.spaces.length;
    const off = new PfnSpaceTree({ configMemoryFailure: false });
    const gpu = new NvgraceGpuDevice("gpu1", { usemem: { index: USEMEM_REGION_INDEX, memphys: ex.usememBase, memlength: ex.usememBytes } });
    v["ch5.open.nocfg"] = errno(gpu.open(off));
    v["ch5.open.nocfg.spaces"] = off.spaces.length;
  }

  // memory_failure_pfn() on the example: the VMM consumed the error; pid 200 asked for early kill.
  {
    const { r, pfn, m } = ch5Dispatch();
    v["ch5.d.pfn"] = hex(pfn);
    v["ch5.d.ret"] = errno(r.ret);
    v["ch5.d.outcome"] = outcome(r);
    v["ch5.d.counters"] = r.countersIncremented ? "incremented" : "not incremented";
    v["ch5.d.unmapped"] = r.unmapped ? "unmapped" : "still mapped";
    v["ch5.d.calls"] = r.driverCalls.length;
    const call = (pid: number) => r.driverCalls.find((c) => c.pid === pid)?.result;
    const c100 = call(ex.vmm.pid);
    v["ch5.d.pgoff"] = c100 && "pgoff" in c100 ? hex(c100.pgoff) : "none";
    const c300 = call(ex.resmemUser.pid);
    v["ch5.d.resmem"] = c300 && "err" in c300 ? errno(c300.err) : "a page offset";
    for (const [name, pid] of [["vmm", ex.vmm.pid], ["helper", ex.helper.pid]] as const) {
      const k = r.kills.find((x) => x.pid === pid);
      v[`ch5.d.${name}.addr`] = k ? hex(k.addr) : "none";
      v[`ch5.d.${name}.code`] = k ? k.code : "no signal";
      v[`ch5.d.${name}.lsb`] = k ? k.lsb : "none";
    }
    v["ch5.d.who"] = who(r);
    v["ch5.d.vmas"] = m.sys.vmas.length;
    const found = ch5Dispatch({ reporter: "found" }).r;
    v["ch5.found.who"] = who(found);
    v["ch5.found.late.who"] = who(ch5Dispatch({ reporter: "found", helperEarly: false }).r);
    v["ch5.late.who"] = who(ch5Dispatch({ helperEarly: false }).r);
    // A PFN in the gap between usemem and resmem: registered by nobody.
    const gap = memoryFailurePfn(ch5Machine().sys, (ex.usememBase + ex.usememBytes) / 4096 + 1, { current: ex.vmm.pid });
    v["ch5.gap.pfn"] = hex((ex.usememBase + ex.usememBytes) / 4096 + 1);
    v["ch5.gap.ret"] = errno(gap.ret);
    v["ch5.gap.outcome"] = outcome(gap);
    // The second process maps only [8G, 12G); the poison is at 13G.
    const partial = ch5Dispatch({ helperLength: 4 * G }, 13 * G);
    v["ch5.partial.length"] = formatSize(4 * G);
    v["ch5.partial.poison"] = formatSize(13 * G);
    v["ch5.partial.who"] = who(partial.r);
    v["ch5.partial.endcheck.who"] = who(ch5Dispatch({ helperLength: 4 * G, checkVmaEnd: true }, 13 * G).r);
  }

  // The v4 bug: the PFN used as the page offset.
  {
    const fixed = ch5Dispatch().r;
    const bug = ch5Dispatch({ pgoffFromPfn: true });
    v["ch5.bug.pgoff"] = hex(bug.pfn);
    v["ch5.bug.calls"] = bug.r.driverCalls.length;
    for (const [name, pid] of [["vmm", ex.vmm.pid], ["helper", ex.helper.pid]] as const) {
      const k = bug.r.kills.find((x) => x.pid === pid);
      const f = fixed.kills.find((x) => x.pid === pid);
      v[`ch5.bug.${name}.addr`] = k ? hex(k.addr) : "none";
      v[`ch5.bug.${name}.off`] = k && f ? formatSize(Math.abs(k.addr - f.addr)) : "no signal";
    }
    const far = ch5Dispatch({ pgoffFromPfn: true }, 15 * G);
    v["ch5.bug.far.offset"] = formatSize(15 * G);
    v["ch5.bug.far.who"] = who(far.r);
    v["ch5.bug.far.outcome"] = outcome(far.r);
    v["ch5.bug.far.fixed.who"] = who(ch5Dispatch({}, 15 * G).r);
  }

  // Why no unmap: the example's usemem kept at 1G vs zapped to 4K (the guest uses 2M pages).
  {
    const z = zapCost(ex.usememBytes);
    v["ch5.zap.region"] = formatSize(ex.usememBytes);
    v["ch5.zap.kept.page"] = z.kept.pageSize;
    v["ch5.zap.guest"] = "2M";
    v["ch5.zap.kept.entries"] = fmt(z.kept.entries);
    v["ch5.zap.zapped.entries"] = fmt(z.zapped.entries);
    v["ch5.zap.oneLeaf.added"] = fmt(z.zappedOneLeaf.addedEntries);
    v["ch5.zap.kept.eff"] = z.kept.effectivePageSize;
    v["ch5.zap.zapped.eff"] = z.zapped.effectivePageSize;
    v["ch5.zap.kept.reach"] = share(z.kept.stlbReachFraction);
    v["ch5.zap.zapped.reach"] = share(z.zapped.stlbReachFraction);
    v["ch5.zap.kept.walk"] = z.kept.walkRefs2D;
    v["ch5.zap.zapped.walk"] = z.zapped.walkRefs2D;
    v["ch5.zap.cpu"] = GOLDEN_COVE.name;
    v["ch5.zap.stlb"] = fmt(GOLDEN_COVE.stlb ? GOLDEN_COVE.stlb.geometry.entries : 0);
    const g1 = zapCost(G, { guestPage: "1G" });
    v["ch5.zap.1g.kept.walk"] = g1.kept.walkRefs2D;
    v["ch5.zap.1g.zapped.walk"] = g1.zapped.walkRefs2D;
  }
  return v;
}
