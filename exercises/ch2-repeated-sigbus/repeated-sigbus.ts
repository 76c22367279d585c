// Exercise 2.4 — Repeated SIGBUS: predict every touch (Chapter 2).
// The grader draws latent errors and a sequence of reads from a seed, replays them on the
// course's Machine, and compares each read with your prediction.

export type MemfdMfPolicy = "default" | "keep-ue-mapped";

/** What one read by the VMM did. */
export interface TouchResult {
  /** si_addr_lsb of the SIGBUS it raised, or null if the read completed. */
  lsb: number | null;
  /** Did the read consume the bad memory itself (a machine check → memory_failure(MF_ACTION_REQUIRED))? */
  machineCheck: boolean;
}

export interface TouchCase {
  policy: MemfdMfPolicy;
  /** HugeTLB page size of the guest's memfd. */
  folio: "2M" | "1G";
  /** Guest 4K pages whose memory is bad. The kernel does not know yet: nothing has read them. */
  badPages: number[];
  /** Guest 4K pages the VMM reads, in order. */
  touches: number[];
}

/** Predicts each read of `c.touches`, in order. */
export function predictTouches(c: TouchCase): TouchResult[] {
  throw new Error("TODO: track which folios (default) or raw pages (policy) the kernel knows are poisoned");
}

/** Totals over a sequence of results: SIGBUSes delivered and machine checks taken. */
export function totals(results: TouchResult[]): { sigbus: number; machineChecks: number } {
  throw new Error("TODO: count the reads that raised a SIGBUS and those that consumed bad memory");
}
