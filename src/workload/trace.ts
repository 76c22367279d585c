import { checkInt, checkRange, ParameterError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";

/**
 * Access traces are Uint32Arrays of 4K page numbers (addresses >> 12), generated into a
 * preallocated buffer. Every random pattern takes an Rng.
 */
export type Pattern = "uniform" | "sequential" | "zipf" | "memcycle";
export const PATTERNS: readonly Pattern[] = ["uniform", "sequential", "zipf", "memcycle"];

export const MAX_TRACE = 1 << 28;

function alloc(accesses: number): Uint32Array {
  checkInt("accesses", accesses, 1, MAX_TRACE);
  return new Uint32Array(accesses);
}

function checkPages(pages: number): void {
  checkInt("pages", pages, 1, 2 ** 32 - 1);
}

/** Each access picks one of `pages` pages uniformly at random. */
export function uniformTrace(pages: number, accesses: number, rng: Rng): Uint32Array {
  checkPages(pages);
  const out = alloc(accesses);
  for (let i = 0; i < accesses; i++) out[i] = rng.nextInt(pages);
  return out;
}

/**
 * Cycles through `pages` in order, `perPage` consecutive accesses to each page
 * (e.g. 512 for streaming 8-byte words through a 4K page), wrapping around.
 */
export function sequentialTrace(pages: number, accesses: number, perPage = 1, start = 0): Uint32Array {
  checkPages(pages);
  checkInt("perPage", perPage, 1, 1 << 20);
  const out = alloc(accesses);
  for (let i = 0; i < accesses; i++) out[i] = (start + Math.floor(i / perPage)) % pages;
  return out;
}

/**
 * Zipf(s) over `pages`: rank r is drawn with probability ∝ 1/r^s by inverse CDF, then
 * scattered over the space by multiplying with a large prime mod pages, so hot pages are
 * not all neighbours. Set-up allocates the CDF once; sampling allocates nothing.
 */
export function zipfTrace(pages: number, accesses: number, s: number, rng: Rng): Uint32Array {
  checkPages(pages);
  checkRange("zipf s", s, 0, 5);
  if (pages > 1 << 26) throw new ParameterError("pages", "zipf supports at most 2^26 pages (256G of 4K pages)", "use a smaller working set");
  const cdf = new Float64Array(pages);
  let sum = 0;
  for (let r = 0; r < pages; r++) {
    sum += 1 / Math.pow(r + 1, s);
    cdf[r] = sum;
  }
  const out = alloc(accesses);
  const scatter = pages % 2654435761 === 0 ? 1 : 2654435761;
  for (let i = 0; i < accesses; i++) {
    const u = rng.next() * sum;
    let lo = 0;
    let hi = pages - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    out[i] = Number((BigInt(lo) * BigInt(scatter)) % BigInt(pages));
  }
  return out;
}

/**
 * A MemCycle-like pattern: `threads` workers each stream through their own slice of the
 * space, `perPage` accesses per 4K page, and the trace interleaves them round-robin (as a
 * CPU's TLB sees one vCPU, pass threads = 1 for one core's view). An assumption: the
 * benchmark's real access pattern is not published (see the Chapter 1 model card).
 */
export function memcycleTrace(pages: number, accesses: number, perPage: number, threads = 1): Uint32Array {
  checkPages(pages);
  checkInt("threads", threads, 1, 4096);
  checkInt("perPage", perPage, 1, 1 << 20);
  if (threads > pages) throw new ParameterError("threads", `${threads} threads need at least as many pages (${pages})`);
  const slice = Math.floor(pages / threads);
  const out = alloc(accesses);
  for (let i = 0; i < accesses; i++) {
    const t = i % threads;
    const k = Math.floor(i / threads);
    out[i] = t * slice + (Math.floor(k / perPage) % slice);
  }
  return out;
}
