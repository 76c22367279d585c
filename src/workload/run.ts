import { ParameterError } from "../core/errors.js";
import type { AddressSpace } from "../mm/address-space.js";
import type { TlbCounters, TlbHierarchy } from "../tlb/hierarchy.js";

/**
 * Replays a trace of 4K page numbers through a TLB hierarchy over an address space.
 * The hot loop allocates nothing; counters accumulate on the hierarchy.
 */
export function runTrace(tlb: TlbHierarchy, space: AddressSpace, trace: Uint32Array): TlbCounters {
  let max = 0;
  for (let i = 0; i < trace.length; i++) if (trace[i] > max) max = trace[i];
  if (trace.length > 0 && max >= space.pages4k) {
    throw new ParameterError("trace", `page ${max} is outside the ${space.pages4k}-page address space`, "generate the trace over at most the space's 4K pages");
  }
  tlb.replay(trace, space.regionCode);
  return tlb.counters();
}
