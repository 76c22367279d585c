// Exercise 2.3 — Memory lost per policy (Chapter 2).
// OSTEP style: the grader draws an error pattern from a seed, runs the course's
// memoryLostByPolicy() (which runs the Machine) and checks your numbers against it.

export interface Loss {
  /** Bytes the VMM can no longer read while the memfd is live. */
  live: number;
  /** Bytes the allocator can no longer hand out after the VMM released the memfd. */
  afterRelease: number;
}

export interface MemoryLost {
  default: Loss;
  keepUeMapped: Loss;
  /** HugeTLB pool pages that can never again be handed out as huge pages (the same for both policies). */
  hugepagesLost: number;
}

/**
 * `pattern` lists the guest's bad 4K pages (page offsets from the start of the guest, all
 * distinct). The guest is one HugeTLB memfd of `guestBytes`, in folios of `folioBytes`. With
 * `pinned`, iommufd pins every folio for the VM's life (the pins go only when the VMM exits,
 * after the memfd was released).
 */
export function memoryLost(pattern: number[], guestBytes: number, folioBytes: number, pinned: boolean): MemoryLost {
  throw new Error("TODO: count poisoned folios and raw pages; decide what each policy loses live and after release");
}
