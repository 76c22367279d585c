import { checkInt, ParameterError } from "../core/errors.js";
import { formatSize } from "../core/units.js";
import type { PfnFailureResult, PfnSystem } from "./memory-failure-pfn.js";
import { VFIO_PCI_PGOFF_PER_INDEX } from "./nvgrace-gpu.js";
import type { PfnVma } from "./pfn-address-space.js";
import { zapCost, type ZapCostOptions } from "./zap-cost.js";

/** Data series for the Chapter 5 charts (src/viz/vfio.ts), computed from the model. */

/** One band of the physical PFN space: system RAM, a registered pfn_address_space, or a gap. */
export interface PfnBand {
  label: string;
  kind: "RAM (struct page)" | "registered" | "unregistered";
  start: number;
  /** Inclusive. */
  last: number;
}

/** The PFN map from 0 to `upTo` (inclusive): RAM below ramFrames, registered spaces, gaps between. */
export function pfnBands(sys: PfnSystem, upTo: number): PfnBand[] {
  checkInt("upTo", upTo, 0, Number.MAX_SAFE_INTEGER);
  const out: PfnBand[] = [];
  if (sys.ramFrames > 0) out.push({ label: "system RAM", kind: "RAM (struct page)", start: 0, last: Math.min(upTo, sys.ramFrames - 1) });
  let next = sys.ramFrames;
  for (const s of sys.tree.spaces) {
    if (s.start > upTo) break;
    if (s.start > next) out.push({ label: "no driver", kind: "unregistered", start: next, last: s.start - 1 });
    out.push({ label: s.owner, kind: "registered", start: Math.max(s.start, next), last: Math.min(s.last, upTo) });
    next = s.last + 1;
  }
  if (next <= upTo) out.push({ label: "no driver", kind: "unregistered", start: next, last: upTo });
  return out;
}

/** A VMA drawn on the device region's offset axis, and where each signal's si_addr points. */
export interface DispatchRow {
  pid: number;
  /** The VMA's range in the region, bytes [from, to). */
  from: number;
  to: number;
  /** Where the kernel's si_addr falls in the region, bytes (absent: no signal for this VMA). */
  signalAt?: number;
  signal?: "BUS_MCEERR_AR" | "BUS_MCEERR_AO" | "SIGKILL";
}

function regionOffset(v: PfnVma, addr: number): number {
  return (v.pgoff % VFIO_PCI_PGOFF_PER_INDEX) * 4096 + (addr - v.start);
}

/**
 * For each VMA of one device region: the range it maps and the region offset its signal's si_addr
 * names. A correct dispatch puts every signal at the poisoned offset; the v4 bug puts them
 * elsewhere or nowhere.
 */
export function dispatchRows(vmas: readonly PfnVma[], result: PfnFailureResult): DispatchRow[] {
  if (!result || !Array.isArray(result.kills)) throw new ParameterError("result", "not a memoryFailurePfn() result");
  const rows: DispatchRow[] = [];
  const used = new Set<number>();
  for (const v of vmas) {
    const from = regionOffset(v, v.start);
    const row: DispatchRow = { pid: v.pid, from, to: from + (v.end - v.start) };
    const k = result.kills.findIndex((x, i) => !used.has(i) && x.pid === v.pid && x.addr >= v.start && x.addr < v.end);
    if (k >= 0) {
      used.add(k);
      row.signalAt = regionOffset(v, result.kills[k].addr);
      row.signal = result.kills[k].code;
    } else if (result.sigkills.includes(v.pid)) {
      row.signal = "SIGKILL";
    }
    rows.push(row);
  }
  return rows;
}

/** One row per region size and mapping for the zap-cost chart. */
export interface ZapCostRow {
  regionBytes: number;
  label: string;
  mapping: "kept (huge pfnmap)" | "zapped (4K PTEs)";
  entries: number;
  stlbReachFraction: number;
  walkRefs2D: number;
}

/** zapCost() over several region sizes. */
export function zapCostRows(regionSizes: readonly number[], opts: ZapCostOptions = {}): ZapCostRow[] {
  if (!Array.isArray(regionSizes) || regionSizes.length === 0) throw new ParameterError("regionSizes", "no sizes", "e.g. [1G, 16G, 96G] in bytes");
  const rows: ZapCostRow[] = [];
  for (const b of regionSizes) {
    const c = zapCost(b, opts);
    rows.push({ regionBytes: b, label: formatSize(b), mapping: "kept (huge pfnmap)", entries: c.kept.entries, stlbReachFraction: c.kept.stlbReachFraction, walkRefs2D: c.kept.walkRefs2D });
    rows.push({ regionBytes: b, label: formatSize(b), mapping: "zapped (4K PTEs)", entries: c.zapped.entries, stlbReachFraction: c.zapped.stlbReachFraction, walkRefs2D: c.zapped.walkRefs2D });
  }
  return rows;
}
