// Errors and their handling: memory_failure() (a hardware error), madvise(MADV_HWPOISON /
// MADV_SOFT_OFFLINE), unpoison_memory(), soft_offline_page().
import { MF_ACTION_REQUIRED, MF_SW_SIMULATED } from "../../mfr/constants.js";
import { errnoName, formatOffset, mfFlagsText } from "../format.js";
import type { OpDef } from "./types.js";

/** PFNs from here (1 TiB) up are beyond the RAM of any machine the lab boots or the model runs by default. */
export const NO_RAM_PFN = 2 ** 28;

/** mm/madvise.c advice values. */
const MADV_HWPOISON = 100;
const MADV_SOFT_OFFLINE = 101;

export const poison: OpDef<"poison"> = {
  model(r, st) {
    const t = r.targetPfn(st);
    let flags = 0;
    if (st.actionRequired) flags |= MF_ACTION_REQUIRED;
    if (st.swSimulated) flags |= MF_SW_SIMULATED;
    let current: number | undefined;
    if (st.current !== undefined) current = r.pid(st.current, "current");
    else if (st.actionRequired && t.mp) current = t.mp.pid;
    r.directPfn = t.pfn;
    const res = r.m.memoryFailure(t.pfn, flags, current === undefined ? {} : { current });
    const by = current === undefined ? "" : `, current ${r.procName(current)}`;
    return { text: `memory_failure(${t.where}, ${mfFlagsText(flags)}${by})`, outcome: r.mfOutcome(res) };
  },
  /**
   * A real kernel under QEMU has no machine check to consume. An action-optional error is
   * hwpoison-inject's corrupt-pfn: memory_failure(pfn, MF_SW_SIMULATED). An action-required one
   * is MADV_HWPOISON by the consuming process: memory_failure(pfn, MF_ACTION_REQUIRED |
   * MF_COUNT_INCREASED | MF_SW_SIMULATED) — the closest mainline path; the flags it adds are a
   * difference of injection path (Fidelity page).
   */
  kernel(k, st, resolved) {
    if (st.actionRequired) {
      const name = resolved?.mapping;
      if (name === undefined) return k.modelOnly("an action-required error on a page nobody maps has no injection path in mainline");
      const mp = k.mapSlot(name);
      if (st.current !== undefined && k.proc(st.current) !== mp.proc) {
        k.modelOnly(`an action-required error consumed by "${st.current}", which does not map the page, has no injection path in mainline`);
      }
      k.emit(`P ${mp.proc} madv ${mp.slot} ${resolved?.offset ?? 0} 4096 ${MADV_HWPOISON}`, "ret");
      return;
    }
    if (resolved?.pfn !== undefined) {
      // A PFN far above any RAM has no struct page on the model and in the VM alike: sysfs
      // hard_offline_page calls memory_failure(pfn, MF_SW_SIMULATED) with it, without the
      // pfn_valid() check hwpoison-inject makes first.
      if (resolved.pfn < NO_RAM_PFN) return k.modelOnly("a raw pfn inside RAM names a different page on a real machine (name it by mapping or pool)");
      k.emit(`HARDOFF ${resolved.pfn}`, "ret");
      return;
    }
    k.namePage(resolved ?? {});
    k.emit("INJECT $0", "ret");
  },
};

export const madvise: OpDef<"madvise"> = {
  model(r, st) {
    const mp = r.mapping(st.mapping);
    const off = r.offset(mp, st.offset);
    r.resolved = { mapping: mp.name, offset: off };
    const pfn = r.m.pfnOf(mp.pid, mp.addr + off);
    r.directPfn = pfn ?? undefined;
    // madvise names the page it poisons, so a later step can say `previous: true`.
    if (pfn !== null) r.lastTarget = { pfn, where: `the page at ${mp.name}+${formatOffset(off)}`, mp };
    if (st.advice === "soft-offline") {
      const ret = r.m.madviseSoftOffline(mp.pid, mp.addr + off);
      r.lastRet = ret;
      r.lastMf = { ret };
      return { text: `${mp.process}: madvise(MADV_SOFT_OFFLINE) ${mp.name}+${formatOffset(off)}`, outcome: errnoName(ret) };
    }
    const res = r.m.madviseHwpoison(mp.pid, mp.addr + off);
    return { text: `${mp.process}: madvise(MADV_HWPOISON) ${mp.name}+${formatOffset(off)}`, outcome: r.mfOutcome(res) };
  },
  kernel(k, st, resolved) {
    const mp = k.mapSlot(st.mapping);
    k.emit(`P ${mp.proc} madv ${mp.slot} ${resolved?.offset ?? 0} 4096 ${st.advice === "soft-offline" ? MADV_SOFT_OFFLINE : MADV_HWPOISON}`, "ret");
  },
};

export const unpoison: OpDef<"unpoison"> = {
  model(r, st) {
    const t = r.targetPfn(st);
    const ret = r.m.unpoison(t.pfn);
    r.lastRet = ret;
    r.lastMf = { ret };
    return { text: `unpoison_memory(${t.where})`, outcome: errnoName(ret) };
  },
  kernel(k, _st, resolved) {
    k.namePage(resolved ?? {});
    k.emit("UNPOISON $0", "ret");
  },
};

export const softOffline: OpDef<"soft-offline"> = {
  model(r, st) {
    const t = r.targetPfn(st);
    const ret = r.m.softOffline(t.pfn);
    r.lastRet = ret;
    r.lastMf = { ret };
    return { text: `soft_offline_page(${t.where})`, outcome: errnoName(ret) };
  },
  /** /sys/devices/system/memory/soft_offline_page: soft_offline_page(pfn, 0). */
  kernel(k, _st, resolved) {
    k.namePage(resolved ?? {});
    k.emit("SOFTOFF $0", "ret");
  },
};
