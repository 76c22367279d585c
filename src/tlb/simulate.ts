import { checkInt, ParameterError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { PAGE_SIZE_CODE, pageSizeBytes, type PageSize } from "../core/units.js";
import { sequentialTrace, uniformTrace, zipfTrace, type Pattern } from "../workload/trace.js";
import { makeTlb } from "./fa-lru-tlb.js";
import { PN_SHIFT } from "./hierarchy.js";

export interface TlbSimParams {
  entries: number;
  /** Associativity; equal to `entries` for a fully associative TLB. */
  ways: number;
  pageSize: PageSize;
  workingSetBytes: number;
  pattern: Exclude<Pattern, "memcycle">;
  accesses: number;
  seed: number;
  /** Zipf exponent (pattern "zipf" only). */
  zipfS?: number;
}

export interface TlbSimResult extends TlbSimParams {
  sets: number;
  hits: number;
  misses: number;
  hitRate: number;
  /** entries × page size: the memory the TLB can translate at once. */
  reachBytes: number;
  /** Pages of `pageSize` the working set spans. */
  workingSetPages: number;
}

/**
 * One LRU TLB of a single page size in front of a working set: the simplest experiment of
 * Chapter 1 (and `mfr-lab tlb`). The trace is generated from `seed` over the working set's
 * 4K pages and translated at `pageSize`.
 */
export function simulateTlb(p: TlbSimParams): TlbSimResult {
  checkInt("accesses", p.accesses, 1, 1 << 26);
  const unit = pageSizeBytes(p.pageSize);
  if (!(p.workingSetBytes >= 4096)) throw new ParameterError("working set", `${p.workingSetBytes} bytes is smaller than one 4K page`);
  if (p.workingSetBytes > 2 ** 41) throw new ParameterError("working set", "larger than the model's 2T limit");
  const pages4k = Math.ceil(p.workingSetBytes / 4096);
  const rng = new Rng(p.seed);
  let trace: Uint32Array;
  switch (p.pattern) {
    case "uniform": trace = uniformTrace(pages4k, p.accesses, rng); break;
    case "sequential": trace = sequentialTrace(pages4k, p.accesses); break;
    case "zipf": trace = zipfTrace(pages4k, p.accesses, p.zipfS ?? 1, rng); break;
    default: throw new ParameterError("pattern", `"${String(p.pattern)}" is not a pattern`, "use uniform, sequential or zipf");
  }
  const tlb = makeTlb({ entries: p.entries, ways: p.ways }, "tlb");
  const code = PAGE_SIZE_CODE[p.pageSize];
  const shift = PN_SHIFT[code];
  for (let i = 0; i < trace.length; i++) tlb.access(trace[i] >>> shift, code);
  return {
    ...p,
    sets: tlb.sets,
    hits: tlb.hits,
    misses: tlb.misses,
    hitRate: tlb.hits / p.accesses,
    reachBytes: p.entries * unit,
    workingSetPages: Math.ceil(p.workingSetBytes / unit),
  };
}
