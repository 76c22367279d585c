// Exercise 5.1 — register_pfn_address_space(): the PFN interval registry (Chapter 5).
// Device memory without struct page is registered by its driver as a range of PFNs; on poison,
// memory_failure_pfn() looks the PFN up here. Write the registry; the tests replay seeded
// register / unregister / lookup sequences through yours and the library's PfnSpaceTree.
// Reference solution: the student's file is generated from this one (see src/grader/stubs.ts). // reference-only
import { EBUSY, EINVAL, EOPNOTSUPP, type PfnAddressSpace } from "../../../src/index.js";

/**
 * The global pfn_space_itree of mm/memory-failure.c: registered ranges [start, last] of PFNs
 * (both inclusive). No two registered ranges overlap, because registration refuses an overlap.
 */
export class PfnSpaceTree {
  /** false → the kernel was built without CONFIG_MEMORY_FAILURE: only the stubs exist. */
  readonly configMemoryFailure: boolean;
  // BEGIN SOLUTION
  /** Registered spaces, ascending by start PFN. */
  private readonly sorted: PfnAddressSpace[] = [];
  // END SOLUTION

  constructor(opts: { configMemoryFailure?: boolean } = {}) {
    this.configMemoryFailure = opts.configMemoryFailure ?? true;
  }

  /**
   * register_pfn_address_space(): returns 0 and inserts the space, or refuses it:
   * -EOPNOTSUPP from the stub without CONFIG_MEMORY_FAILURE; -EINVAL when the space has no
   * pfnToVmaPgoff callback; -EBUSY when [start, last] overlaps a registered range.
   */
  register(space: PfnAddressSpace): number {
    // BEGIN SOLUTION: the stub, the missing callback, an overlap; then insert in order of start
    if (!this.configMemoryFailure) return -EOPNOTSUPP;
    if (typeof space.pfnToVmaPgoff !== "function") return -EINVAL;
    if (this.overlapping(space.start, space.last)) return -EBUSY;
    this.sorted.splice(this.firstEndingAtOrAfter(space.start), 0, space);
    return 0;
    // END SOLUTION
  }

  /**
   * unregister_pfn_address_space(): removes this very space (compare objects, not ranges); a
   * space that is not registered changes nothing. The stub does nothing.
   */
  unregister(space: PfnAddressSpace): void {
    // BEGIN SOLUTION: remove the registered object itself, if it is there
    if (!this.configMemoryFailure) return;
    const i = this.sorted.indexOf(space);
    if (i >= 0) this.sorted.splice(i, 1);
    // END SOLUTION
  }

  /** interval_tree_iter_first(&pfn_space_itree, pfn, pfn): the space holding `pfn`, or null. */
  lookup(pfn: number): PfnAddressSpace | null {
    // BEGIN SOLUTION: find the registered range with start <= pfn <= last
    return this.overlapping(pfn, pfn);
    // END SOLUTION
  }

  /** The registered spaces, ascending by start PFN (a copy). */
  get spaces(): readonly PfnAddressSpace[] {
    // BEGIN SOLUTION: a copy of the registered spaces, in order of start PFN
    return this.sorted.slice();
    // END SOLUTION
  }
  // BEGIN SOLUTION

  /** Index of the first space whose last PFN is >= pfn: binary search over the sorted ranges. */
  private firstEndingAtOrAfter(pfn: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid].last < pfn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** interval_tree_iter_first(start, last): ranges do not overlap, so at most one can. */
  private overlapping(start: number, last: number): PfnAddressSpace | null {
    const s = this.sorted[this.firstEndingAtOrAfter(start)];
    return s && s.start <= last ? s : null;
  }
  // END SOLUTION
}
