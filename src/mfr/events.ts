import type { MfMsg, SigbusCode } from "./constants.js";
import type { MfResult } from "./result.js";

/**
 * Typed events the machine records, one list per machine, in order. `step` is the number of
 * the public call (touch, memoryFailure, close…) that produced the event.
 */
export type MfrEvent =
  /** One memory_failure() outcome as action_result() logs it ("recovery action for …"). */
  | { kind: "memory_failure"; step: number; pfn: number; flags: number; type: MfMsg; result: MfResult; ret: number }
  /** A signal: SIGBUS with its si_code, si_addr and si_addr_lsb, or an uncatchable SIGKILL. */
  | { kind: "signal"; step: number; pid: number; sig: "SIGBUS" | "SIGKILL"; code: SigbusCode | null; addr: number; lsb: number; why: string }
  /** try_to_split_thp_page(): a large folio split to order 0, or refused. */
  | { kind: "split"; step: number; pfn: number; order: number; ok: boolean; reason?: string }
  /** hwpoison_user_mappings(): one mapping replaced by a hwpoison entry, left in place, or kept (policy). */
  | { kind: "unmap"; step: number; pid: number; addr: number; pfn: number; result: "hwpoison-entry" | "failed" | "kept-mapped" | "dropped" }
  /** dissolve_free_hugetlb_folio(): 0, -EBUSY (still referenced) or -ENOMEM (HVO restore failed). */
  | { kind: "dissolve"; step: number; pfn: number; order: number; ret: number }
  /** A raw page taken off (or, in the buggy variant, left in) the buddy allocator. */
  | { kind: "offline"; step: number; pfn: number; how: "take_page_off_buddy" | "left-in-buddy" | "held-by-mf"; by: string }
  /** The allocator handed out a block, or got one back. */
  | { kind: "alloc"; step: number; pfn: number; order: number; what: string }
  | { kind: "free"; step: number; pfn: number; order: number; what: string }
  /** A fault that ended in a signal or failed (no page, no VMA). Normal faults are not logged. */
  | { kind: "fault"; step: number; pid: number; addr: number; result: string }
  /** Release paths of the memfd policy (populate/offline, per-folio offline) and hugetlb pool changes. */
  | { kind: "policy"; step: number; what: string; pfn?: number }
  /** An invariant the checker found broken after a step. */
  | { kind: "invariant"; step: number; name: InvariantName; detail: string }
  /** A device-side event from src/iommufd (pin, unpin, DMA outcome, IO page fault, IOTLB invalidation, revoke). */
  | { kind: "iommu"; step: number; what: IommuEventWhat; detail: string; device?: string; iova?: number; pfn?: number };

/** What an "iommu" event reports (src/iommufd). */
export type IommuEventWhat =
  | "map"
  | "unmap"
  | "pin"
  | "unpin"
  | "dma"
  | "dma-to-poison"
  | "dma-to-offlined"
  | "io-page-fault"
  | "iotlb-invalidate"
  | "revoke";

export type InvariantName =
  | "poisoned-frame-allocated"
  | "poisoned-frame-free"
  | "refcount-negative"
  | "frame-accounting"
  | "pte-to-freed-frame"
  /** src/iommufd: pins, locked_vm/pinned_vm and the folios' pin counts disagree. */
  | "iommu-pin-accounting"
  /** src/iommufd: an IOTLB entry or IOPTE translates to a frame no longer pinned for it. */
  | "iommu-stale-translation"
  /** src/iommufd: a device DMA reached a frame that is free or belongs to someone else. */
  | "dma-to-freed-frame";

export type MfrEventKind = MfrEvent["kind"];

type DistributiveOmit<T, K extends keyof never> = T extends unknown ? Omit<T, K> : never;
/** An event before the log stamps it with the step number. */
export type MfrEventInput = DistributiveOmit<MfrEvent, "step">;

/** The machine's event log; `record` can be switched off for benchmarks (violations are always kept). */
export class EventLog {
  step = 0;
  readonly events: MfrEvent[] = [];
  readonly violations: Extract<MfrEvent, { kind: "invariant" }>[] = [];
  constructor(public record = true) {}

  push(e: MfrEventInput): void {
    const ev = { ...e, step: this.step } as MfrEvent;
    if (ev.kind === "invariant") this.violations.push(ev);
    if (this.record || ev.kind === "invariant") this.events.push(ev);
  }

  violation(name: InvariantName, detail: string): void {
    this.push({ kind: "invariant", name, detail });
  }
}
