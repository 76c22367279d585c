// `check` steps, evaluated over what a backend observed: the model (src/scenario/run.ts) and a
// real kernel (src/fidelity/replay.ts) each implement CheckView, so one assertion means the same
// thing on both. Fields only the model can see are listed in MODEL_ONLY_CHECKS. Browser-safe.
import { parseSize } from "../core/units.js";
import type { MfMsg } from "../mfr/constants.js";
import type { MachineSummary } from "../mfr/invariants.js";
import type { MfResult } from "../mfr/result.js";
import type { PinMetrics } from "../iommufd/index.js";
import { errnoName, formatOffset } from "./format.js";
import type { CheckSpec, PageState } from "./types.js";

/** A signal as a check sees it: the mapping its si_addr fell in and the offset there. */
export interface ObservedSignal {
  sig: "SIGBUS" | "SIGKILL";
  code: "BUS_MCEERR_AR" | "BUS_MCEERR_AO" | null;
  lsb: number;
  mapping?: string;
  offset?: number;
}

/** The per-node memory_failure counters and HardwareCorrupted, counted since the scenario began. */
export interface ObservedCounters {
  hardwareCorrupted: number;
  total: number;
  ignored: number;
  failed: number;
  delayed: number;
  recovered: number;
}

/** What a backend lets a check read. Optional members are the model's alone. */
export interface CheckView {
  lastMf(): { ret?: number; type?: MfMsg; result?: MfResult } | undefined;
  lastAccess(): "ok" | "sigbus" | "sigsegv" | "killed" | undefined;
  lastStepRet(): number | undefined;
  signals(process: string): ObservedSignal[];
  alive(process: string): boolean;
  hugetlb(size: "2M" | "1G"): { nr: number; free: number };
  counters(): ObservedCounters;
  /** The page behind mapping + offset (pagemap): present, a hwpoison entry, or none; and whether it moved. */
  page(mapping: string, offset: number): { state: PageState; moved: boolean | undefined };
  summary?(): MachineSummary;
  violations?(): string[];
  lastDma?(): string | undefined;
  pins?(): PinMetrics;
  accounting?(process: string): { userLockedVm: number; mmLockedVm: number; pinnedVm: number };
}

/** Check fields a real kernel cannot show (model state, or devices the VM lacks), with why. */
export const MODEL_ONLY_CHECKS: Readonly<Partial<Record<keyof CheckSpec, string>>> = {
  summary: "the model's frame accounting (offlined, leaked…) has no kernel counterpart",
  violations: "invariant violations are the model checking itself",
  dma: "the VM has no device to DMA",
  pins: "the VM has no IOMMU: iommufd/VFIO metrics are the model's",
  accounting: "RLIMIT_MEMLOCK accounting of iommufd/VFIO pins is the model's",
};

/** The fields a check asserts (everything but op and note). */
export function assertedFields(st: CheckSpec): (keyof CheckSpec)[] {
  return (Object.keys(st) as (keyof CheckSpec | "op" | "note")[]).filter((k): k is keyof CheckSpec => k !== "op" && k !== "note");
}

/**
 * Evaluates a check on a view. Returns the failures, and the fields it could not evaluate
 * because the view does not show them (a kernel, for MODEL_ONLY_CHECKS).
 */
export function evaluateCheck(st: CheckSpec, v: CheckView): { failures: string[]; modelOnly: (keyof CheckSpec)[] } {
  const fails: string[] = [];
  const modelOnly: (keyof CheckSpec)[] = [];
  const eq = (what: string, got: unknown, want: unknown) => {
    if (got !== want) fails.push(`${what} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  };
  if (st.last) {
    const r = v.lastMf();
    if (!r) fails.push("no memory_failure/madvise/unpoison/soft-offline step ran before this check");
    else {
      if (st.last.ret !== undefined) eq("the last return value", r.ret === undefined ? undefined : errnoName(r.ret), errnoName(st.last.ret));
      if (st.last.type !== undefined) eq("the last MF_MSG type", r.type, st.last.type);
      if (st.last.result !== undefined) eq("the last result", r.result, st.last.result);
    }
  }
  if (st.access !== undefined) {
    const a = v.lastAccess();
    if (a === undefined) fails.push("no touch/read/write step ran before this check");
    else eq("the last access", a, st.access);
  }
  if (st.signal) {
    const sigs = v.signals(st.signal.process);
    const last = sigs[sigs.length - 1];
    const who = `process "${st.signal.process}"`;
    if ("none" in st.signal) {
      if (last) fails.push(`${who} got ${sigs.length} signal(s), expected none (last: ${last.sig} ${last.code ?? ""} lsb ${last.lsb})`);
    } else if (!last) fails.push(`${who} got no signal`);
    else {
      if (st.signal.sig !== undefined) eq(`${who}'s last signal`, last.sig, st.signal.sig);
      if (st.signal.code !== undefined) eq(`${who}'s last si_code`, last.code, st.signal.code);
      if (st.signal.lsb !== undefined) eq(`${who}'s last si_addr_lsb`, last.lsb, st.signal.lsb);
      if (st.signal.offset !== undefined) {
        const got = last.offset === undefined ? "an address outside its mappings" : `${last.mapping}+${formatOffset(last.offset)}`;
        eq(`${who}'s last si_addr`, got, `${last.mapping ?? "?"}+${formatOffset(parseSize(st.signal.offset))}`);
      }
    }
  }
  if (st.signalCount) eq(`signals to "${st.signalCount.process}"`, v.signals(st.signalCount.process).length, st.signalCount.count);
  for (const [name, want] of Object.entries(st.alive ?? {})) eq(`"${name}" alive`, v.alive(name), want);
  for (const size of ["2M", "1G"] as const) {
    const w = st.hugetlb?.[size];
    if (!w) continue;
    const h = v.hugetlb(size);
    if (w.nr !== undefined) eq(`nr_hugepages (${size})`, h.nr, w.nr);
    if (w.free !== undefined) eq(`free_hugepages (${size})`, h.free, w.free);
  }
  if (st.counters) {
    const c = v.counters();
    const want = st.counters;
    if (want.hardwareCorrupted !== undefined) eq("HardwareCorrupted", formatOffset(c.hardwareCorrupted), formatOffset(parseSize(want.hardwareCorrupted)));
    for (const k of ["total", "ignored", "failed", "delayed", "recovered"] as const) {
      if (want[k] !== undefined) eq(`memory_failure/${k}`, c[k], want[k]);
    }
  }
  if (st.page) {
    const p = v.page(st.page.mapping, parseSize(st.page.offset ?? 0));
    const at = `${st.page.mapping}+${formatOffset(parseSize(st.page.offset ?? 0))}`;
    if (st.page.state !== undefined) eq(`the page at ${at}`, p.state, st.page.state);
    if (st.page.moved !== undefined) {
      if (p.moved === undefined) fails.push(`no earlier step named a page to compare ${at} with`);
      else eq(`the page at ${at} moved to another frame`, p.moved, st.page.moved);
    }
  }
  if (st.ret !== undefined) {
    const ret = v.lastStepRet();
    if (ret === undefined) fails.push("no step with a return value ran before this check");
    else eq("the last return value", errnoName(ret), errnoName(st.ret));
  }
  const only = (k: keyof CheckSpec): boolean => {
    if (st[k] === undefined) return false;
    if (k === "summary" ? v.summary : k === "violations" ? v.violations : k === "dma" ? v.lastDma : k === "pins" ? v.pins : v.accounting) return true;
    modelOnly.push(k);
    return false;
  };
  if (only("summary")) {
    const s = v.summary!();
    for (const [k, val] of Object.entries(st.summary!)) if (val !== undefined) eq(`${k} pages`, s[k as keyof typeof s], val);
  }
  if (only("violations")) {
    const got = [...new Set(v.violations!())].sort();
    eq("violations", got.join(", ") || "none", [...new Set(st.violations!)].sort().join(", ") || "none");
  }
  if (only("dma")) {
    const d = v.lastDma!();
    if (d === undefined) fails.push("no dma step ran before this check");
    else eq("the last DMA outcome", d, st.dma);
  }
  if (only("pins")) {
    const mt = v.pins!();
    const pins = st.pins!;
    const bytes: [keyof typeof pins, number, string][] = [
      ["pinned", mt.pinnedBytes, "pinned"], ["heldBack", mt.heldBackBytes, "held back"], ["pending", mt.pendingBytes, "pending"], ["leaked", mt.leakedBytes, "leaked"],
    ];
    for (const [k, got, what] of bytes) {
      const want = pins[k];
      if (want !== undefined) eq(`${what} memory`, formatOffset(got), formatOffset(parseSize(want as string | number)));
    }
    const counts: [keyof typeof pins, number, string][] = [
      ["dmas", mt.dmas, "DMAs"], ["dmaToPoison", mt.dmaToPoison, "DMAs that reached poison"], ["dmaToOffline", mt.dmaToOffline, "DMAs that reached offlined memory"],
      ["ioPageFaults", mt.ioPageFaults, "IO page faults"], ["invalidations", mt.invalidations, "IOTLB invalidations"], ["revokes", mt.revokes, "revoked iopt_pages"],
    ];
    for (const [k, got, what] of counts) if (pins[k] !== undefined) eq(what, got, pins[k]);
  }
  if (only("accounting")) {
    const a = st.accounting!;
    const got = v.accounting!(a.process);
    const who = `"${a.process}"`;
    const page = (n: number) => formatOffset(n * 4096);
    if (a.userLockedVm !== undefined) eq(`user->locked_vm of ${who}'s user`, page(got.userLockedVm), formatOffset(parseSize(a.userLockedVm)));
    if (a.mmLockedVm !== undefined) eq(`mm->locked_vm of ${who}`, page(got.mmLockedVm), formatOffset(parseSize(a.mmLockedVm)));
    if (a.pinnedVm !== undefined) eq(`mm->pinned_vm of ${who}`, page(got.pinnedVm), formatOffset(parseSize(a.pinnedVm)));
  }
  return { failures: fails, modelOnly };
}
