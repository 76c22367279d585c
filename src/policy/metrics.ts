// The scorecard's metrics: what each measures, its unit, how workloads add up, and where its cost
// comes from. Each workload reports every amount with a sentence naming its cause (CostSource).
import { memcycleModel, type MemCycleModel } from "../thp/memcycle.js";
import type { WorkloadId } from "./types.js";

export type MetricId =
  | "memoryLostRunning"
  | "memoryLostAfter"
  | "throughputLost"
  | "repeatedConsumption"
  | "dmaToPoison"
  | "guestBreakage"
  | "vmmSignalTime"
  | "violations";

export const METRIC_IDS: readonly MetricId[] = [
  "memoryLostRunning", "memoryLostAfter", "throughputLost", "repeatedConsumption", "dmaToPoison", "guestBreakage", "vmmSignalTime", "violations",
];

export interface MetricInfo {
  id: MetricId;
  label: string;
  /** A column header for narrow tables. */
  short: string;
  unit: "bytes" | "%" | "count" | "µs";
  /** How the battery's workloads add up: a sum, or the worst single VM (throughput). */
  aggregate: "sum" | "max";
  /** What it measures and where the cost comes from, in one sentence. */
  what: string;
}

export const METRICS: { readonly [M in MetricId]: MetricInfo } = {
  memoryLostRunning: {
    id: "memoryLostRunning", short: "lost running", label: "memory lost while running", unit: "bytes", aggregate: "sum",
    what: "guest memory the VM had to give up before teardown: the extents its SIGBUSes named (si_addr, si_addr_lsb), and in the confidential guest the GFNs that can no longer be faulted in",
  },
  memoryLostAfter: {
    id: "memoryLostAfter", short: "lost after", label: "memory lost after teardown", unit: "bytes", aggregate: "sum",
    what: "host memory nobody can use after the VM is gone: raw poisoned pages kept off on purpose, and folios leaked (held by MF's references or a pin, or poisoned in the HugeTLB pool)",
  },
  throughputLost: {
    id: "throughputLost", short: "throughput", label: "throughput lost to splits", unit: "%", aggregate: "max",
    what: "Chapter 1's MemCycle model at the fraction of the VM's memory the host (or stage-2, or a pfnmap) maps with 4K entries after the errors; the worst VM of the battery",
  },
  repeatedConsumption: {
    id: "repeatedConsumption", short: "re-consumed", label: "repeated consumption", unit: "count", aggregate: "sum",
    what: "CPU accesses that read a page already known to be poisoned: each one another machine check",
  },
  dmaToPoison: {
    id: "dmaToPoison", short: "DMA to poison", label: "DMA to poison or offlined memory", unit: "count", aggregate: "sum",
    what: "device DMAs that reached a poisoned frame, or memory memory-failure handling had taken away from the CPU side",
  },
  guestBreakage: {
    id: "guestBreakage", short: "breakage", label: "guest-visible breakage", unit: "count", aggregate: "sum",
    what: "faults of the CPU or the device on healthy memory (a zap that took a whole folio, a revoked area), and VMMs killed",
  },
  vmmSignalTime: {
    id: "vmmSignalTime", short: "VMM time", label: "VMM time on signals", unit: "µs", aggregate: "sum",
    what: "SIGBUSes and KVM_EXIT_MEMORY_FAULT exits the VMM handled, times an assumed cost per event (signalCostUs)",
  },
  violations: {
    id: "violations", short: "violations", label: "invariant violations", unit: "count", aggregate: "sum",
    what: "answers the model refused (not a choice, a throw, a split that would orphan a pin) and invariants the model caught breaking (a poisoned frame put back on the free lists)",
  },
};

/** One amount of one metric with its cause. */
export interface CostSource {
  workload: WorkloadId;
  amount: number;
  what: string;
}

/** Per-metric amounts of one workload run, each with its cause. */
export class Tally {
  readonly sources: { [M in MetricId]: CostSource[] } = {
    memoryLostRunning: [], memoryLostAfter: [], throughputLost: [], repeatedConsumption: [], dmaToPoison: [], guestBreakage: [], vmmSignalTime: [], violations: [],
  };

  constructor(readonly workload: WorkloadId) {}

  add(metric: MetricId, amount: number, what: string): void {
    if (amount === 0) return;
    const same = this.sources[metric].find((s) => s.what === what);
    if (same) same.amount += amount;
    else this.sources[metric].push({ workload: this.workload, amount, what });
  }

  /** The workload's value of a metric: the sum of its sources. */
  value(metric: MetricId): number {
    return this.sources[metric].reduce((s, x) => s + x.amount, 0);
  }
}

let model: MemCycleModel | null = null;

/**
 * Throughput change (as a positive loss, %) when `fraction` of a VM's memory is translated with 4K
 * entries: Chapter 1's MemCycle model, fitted to the RFC's two published points.
 */
export function splitThroughputLoss(fraction: number): number {
  if (fraction <= 0) return 0;
  model = model ?? memcycleModel();
  return -model.predict(Math.min(1, fraction)).throughputChangePercent;
}

/**
 * The extents a VMM has been told to give up (SIGBUS si_addr with si_addr_lsb, or a KVM exit's gpa
 * and size). Extents are aligned powers of two, so they nest or are disjoint.
 */
export class ToldExtents {
  private readonly extents = new Map<string, { start: number; size: number }>();

  add(addr: number, lsb: number): void {
    const size = 2 ** lsb;
    const start = Math.floor(addr / size) * size;
    this.extents.set(`${start}:${size}`, { start, size });
  }

  covers(addr: number): boolean {
    for (const e of this.extents.values()) if (addr >= e.start && addr < e.start + e.size) return true;
    return false;
  }

  /** Bytes in the union (the outermost extents). */
  bytes(): number {
    const all = [...this.extents.values()].sort((a, b) => b.size - a.size);
    const kept: { start: number; size: number }[] = [];
    for (const e of all) if (!kept.some((k) => e.start >= k.start && e.start + e.size <= k.start + k.size)) kept.push(e);
    return kept.reduce((s, e) => s + e.size, 0);
  }

  /** The outermost extents' sizes, by size (for the cost sentence). */
  sizes(): Map<number, number> {
    const all = [...this.extents.values()].sort((a, b) => b.size - a.size);
    const kept: { start: number; size: number }[] = [];
    for (const e of all) if (!kept.some((k) => e.start >= k.start && e.start + e.size <= k.start + k.size)) kept.push(e);
    const out = new Map<number, number>();
    for (const e of kept) out.set(e.size, (out.get(e.size) ?? 0) + 1);
    return out;
  }
}

/** A metric's value as the course prints it: "3G", "0.25 %", "12", "2,000 µs". */
export function formatMetric(id: MetricId, value: number): string {
  const unit = METRICS[id].unit;
  if (unit === "bytes") return value === 0 ? "0" : formatBytes(value);
  if (unit === "%") return value === 0 ? "0 %" : `${value < 0.01 ? value.toFixed(4) : value.toFixed(2)} %`;
  if (unit === "µs") return `${Math.round(value).toLocaleString("en-US")} µs`;
  return Math.round(value).toLocaleString("en-US");
}

/** Bytes with the largest binary suffix that keeps two significant decimals: "3G", "6.02M", "12K". */
function formatBytes(bytes: number): string {
  for (const [s, v] of [["T", 2 ** 40], ["G", 2 ** 30], ["M", 2 ** 20], ["K", 2 ** 10]] as const) {
    if (bytes >= v) {
      const x = bytes / v;
      return Number.isInteger(x) ? `${x}${s}` : `${x.toFixed(2)}${s}`;
    }
  }
  return `${bytes}B`;
}
