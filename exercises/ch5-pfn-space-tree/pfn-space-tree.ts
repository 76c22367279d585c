// Exercise 5.1 — register_pfn_address_space(): the PFN interval registry (Chapter 5).
// Device memory without struct page is registered by its driver as a range of PFNs; on poison,
// memory_failure_pfn() looks the PFN up here. Write the registry; the tests replay seeded
// register / unregister / lookup sequences through yours and the library's PfnSpaceTree.
import { EBUSY, EINVAL, EOPNOTSUPP, type PfnAddressSpace } from "../../src/index.js";

/**
 * The global pfn_space_itree of mm/memory-failure.c: registered ranges [start, last] of PFNs
 * (both inclusive). No two registered ranges overlap, because registration refuses an overlap.
 */
export class PfnSpaceTree {
  /** false → the kernel was built without CONFIG_MEMORY_FAILURE: only the stubs exist. */
  readonly configMemoryFailure: boolean;
  // TODO: add what you need here

  constructor(opts: { configMemoryFailure?: boolean } = {}) {
    this.configMemoryFailure = opts.configMemoryFailure ?? true;
  }

  /**
   * register_pfn_address_space(): returns 0 and inserts the space, or refuses it:
   * -EOPNOTSUPP from the stub without CONFIG_MEMORY_FAILURE; -EINVAL when the space has no
   * pfnToVmaPgoff callback; -EBUSY when [start, last] overlaps a registered range.
   */
  register(space: PfnAddressSpace): number {
    throw new Error("TODO: the stub, the missing callback, an overlap; then insert in order of start");
  }

  /**
   * unregister_pfn_address_space(): removes this very space (compare objects, not ranges); a
   * space that is not registered changes nothing. The stub does nothing.
   */
  unregister(space: PfnAddressSpace): void {
    throw new Error("TODO: remove the registered object itself, if it is there");
  }

  /** interval_tree_iter_first(&pfn_space_itree, pfn, pfn): the space holding `pfn`, or null. */
  lookup(pfn: number): PfnAddressSpace | null {
    throw new Error("TODO: find the registered range with start <= pfn <= last");
  }

  /** The registered spaces, ascending by start PFN (a copy). */
  get spaces(): readonly PfnAddressSpace[] {
    throw new Error("TODO: a copy of the registered spaces, in order of start PFN");
  }
  // TODO: add what you need here
}
