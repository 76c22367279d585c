import { Rng } from "../../core/rng.js";
import type { Consultant } from "../consult.js";
import type { Tally } from "../metrics.js";
import type { PageSize } from "../../core/units.js";
import type { CocoDesignId } from "../../guest_memfd/designs.js";
import type { Machine } from "../../mfr/machine.js";
import type { WorkloadId } from "../types.js";

/** The battery's parameters, resolved (see BatteryOptions in scorecard.ts). */
export interface BatteryParams {
  seed: number;
  /** Errors per workload. */
  errors: number;
  /** Accesses (and DMAs) to a poisoned page right after its error, before the guest can react. */
  retouch: number;
  /** Accesses (and DMAs) to healthy pages of the poisoned folio after each error. */
  probes: number;
  /** Assumed VMM time per SIGBUS or KVM exit, in µs. */
  signalCostUs: number;
  /** The confidential guest's CoCo design and guest_memfd folio size. */
  cvm: { design: CocoDesignId; folioSize: PageSize };
  /** Called with each Machine workload's Machine after its teardown (tests and notebooks look inside). */
  onMachine?: (workload: WorkloadId, m: Machine) => void;
}

/** What one workload run produced. */
export interface WorkloadRun {
  id: WorkloadId;
  tally: Tally;
  /** SIGBUSes and KVM exits the VMM handled. */
  vmmEvents: number;
  vmKilled: boolean;
  /** What happened, a line per notable event (first few only). */
  notes: string[];
}

export interface WorkloadInfo {
  id: WorkloadId;
  title: string;
  /** The chapter whose model runs it. */
  chapter: number;
  /** What runs, in one paragraph. */
  setup: string;
  /** Which decisions it asks. */
  asks: string;
}

export type WorkloadRunner = (consult: Consultant, p: BatteryParams) => WorkloadRun;

/** A workload's own stream: the battery seed mixed with the workload's number, so workloads do not share draws. */
export function workloadRng(seed: number, k: number): Rng {
  return new Rng((seed ^ Math.imul(k + 1, 0x9e3779b9)) >>> 0);
}

/** Offsets (bytes) of `errors` errors in a memory of `nFolios` folios of `folioBytes`: distinct folios while there are folios left, a random 4K page in each, all distinct. */
export function errorOffsets(rng: Rng, errors: number, nFolios: number, folioBytes: number): number[] {
  const out: number[] = [];
  const folios = new Set<number>();
  const seen = new Set<number>();
  const pages = folioBytes / 4096;
  while (out.length < errors && out.length < nFolios * pages) {
    const f = rng.nextInt(nFolios);
    if (folios.has(f) && folios.size < nFolios) continue;
    const off = f * folioBytes + rng.nextInt(pages) * 4096;
    if (seen.has(off)) continue;
    folios.add(f);
    seen.add(off);
    out.push(off);
  }
  return out;
}

/** `n` healthy probe offsets inside the folio at `folioStart`, spread evenly, never on `avoid`. */
export function probeOffsets(folioStart: number, folioBytes: number, n: number, avoid: ReadonlySet<number>): number[] {
  const out: number[] = [];
  const pages = folioBytes / 4096;
  for (let k = 0; k < n; k++) {
    let page = Math.floor(((k + 0.5) * pages) / n);
    while (avoid.has(folioStart + page * 4096) && page + 1 < pages) page++;
    const off = folioStart + page * 4096;
    if (!avoid.has(off)) out.push(off);
  }
  return out;
}

const IRREGULAR: Record<string, string> = { SIGBUS: "SIGBUSes", leaf: "leaves" };

/** "1 SIGBUS", "3 SIGBUSes", "2 4K extents": the last word is made plural. */
export function plural(n: number, phrase: string): string {
  if (n === 1) return `${n} ${phrase}`;
  const words = phrase.split(" ");
  const last = words.pop() as string;
  return `${n} ${[...words, IRREGULAR[last] ?? `${last}s`].join(" ")}`;
}
