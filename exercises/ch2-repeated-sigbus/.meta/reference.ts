// Exercise 2.4 — Repeated SIGBUS: predict every touch (Chapter 2).
// The grader draws latent errors and a sequence of reads from a seed, replays them on the
// course's Machine, and compares each read with your prediction.
// Reference solution: the student's file is generated from this one (see src/grader/stubs.ts). // reference-only

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
  // BEGIN SOLUTION: track which folios (default) or raw pages (policy) the kernel knows are poisoned
  const pagesPerFolio = c.folio === "1G" ? 262144 : 512;
  const folioShift = c.folio === "1G" ? 30 : 21;
  const bad = new Set(c.badPages);
  const poisonedFolios = new Set<number>();
  return c.touches.map((t) => {
    const folio = Math.floor(t / pagesPerFolio);
    if (c.policy === "default") {
      // The folio was unmapped at its first consumption: the fault path answers, no MCE.
      if (poisonedFolios.has(folio)) return { lsb: folioShift, machineCheck: false };
      if (bad.has(t)) {
        poisonedFolios.add(folio);
        return { lsb: folioShift, machineCheck: true };
      }
      return { lsb: null, machineCheck: false };
    }
    // Kept mapped: every read of a bad page consumes it again; the signal names only 4K.
    return bad.has(t) ? { lsb: 12, machineCheck: true } : { lsb: null, machineCheck: false };
  });
  // END SOLUTION
}

/** Totals over a sequence of results: SIGBUSes delivered and machine checks taken. */
export function totals(results: TouchResult[]): { sigbus: number; machineChecks: number } {
  // BEGIN SOLUTION: count the reads that raised a SIGBUS and those that consumed bad memory
  return { sigbus: results.filter((r) => r.lsb !== null).length, machineChecks: results.filter((r) => r.machineCheck).length };
  // END SOLUTION
}
