// Chapter 3's running example, shared by its build-time values (lib-values-ch3.ts) and its charts,
// so the prose and the charts' starting positions describe the same VM.

/** A VM with a passthrough device: 8G of guest RAM in 1G HugeTLB folios, 30 days, seeded errors. */
export const CH3_EXAMPLE = {
  guest: "8G",
  pageSize: "1G" as const,
  days: 30,
  errors: 3,
  dmaPerDay: 8,
  seed: 1,
  /** After each error the VMM punches the poisoned folio out of the memfd, wanting it freed. */
  punchPoisoned: true,
  maxErrors: 12,
  maxDmaPerDay: 64,
};
