// Exercise ch0.2: identify_page_state()'s table lookup. Each seeded flag combination is set on a
// page of the library's Machine; memory_failure() runs on it and the MF_MSG type it logs is the
// expected answer.
import { describe, it } from "vitest";
import { Machine, PG_mlocked, PG_swapcache, PG_unevictable, type Rng } from "../../src/index.js";
import { call, fail, loadExercise, seeded } from "./_harness.js";

const ID = "ch0-page-state";
type Mod = typeof import("../../exercises/ch0-page-state/.meta/reference.js");
type Flags = import("../../exercises/ch0-page-state/.meta/reference.js").PageFlags;

/** The MF_MSG type the model reports for a page in this state (memory_failure(pfn, 0)). */
function modelType(f: Flags): string {
  const m = new Machine({ memory: "64M", hugetlb: { "2M": 2 } });
  const pid = m.spawn();
  let addr: number;
  if (f.head) {
    const fd = m.memfdCreate(pid, { size: "2M", hugetlb: "2M" });
    addr = m.mmap(pid, { length: "2M", fd });
    m.write(pid, addr);
  } else {
    addr = m.mmap(pid, { length: "1M" });
    if (f.dirty) m.write(pid, addr);
    else m.read(pid, addr);
  }
  const pfn = m.pfnOf(pid, addr) as number;
  const folio = m.mem.pageFolio(pfn)!;
  // The model has no swap or mlock: the test sets the flags it cannot reach by itself.
  if (!f.head) folio.flags |= (f.swapcache ? PG_swapcache : 0) | (f.mlocked ? PG_mlocked : 0) | (f.unevictable ? PG_unevictable : 0);
  const r = m.memoryFailure(pfn + (f.head ? 7 : 0), 0);
  if (!r.type) throw new Error(`test set-up: memory_failure() logged no type for ${JSON.stringify(f)}`);
  return r.type;
}

/** What the model builds for these flags: HugeTLB pages are dirty from their fault, user pages on an LRU. */
function normalise(f: Flags): Flags {
  return f.head ? { head: true, dirty: true, swapcache: false, mlocked: false, unevictable: false, lru: false } : { ...f, lru: true };
}

function describeFlags(f: Flags): string {
  const on = (Object.keys(f) as (keyof Flags)[]).filter((k) => f[k]);
  return on.length ? on.map((k) => `PG_${k}`).join(" | ") : "no flags";
}

function check(m: Mod, flags: Flags): void {
  const want = modelType(flags);
  const got = call("identifyPageState", [flags], () => m.identifyPageState({ ...flags }));
  if (got !== want) fail(`a page with ${describeFlags(flags)} is ${want} in error_states[], but your identifyPageState returned ${String(got)}`);
}

function randomFlags(rng: Rng): Flags {
  return normalise({ head: rng.next() < 0.15, dirty: rng.next() < 0.5, swapcache: rng.next() < 0.35, mlocked: rng.next() < 0.35, unevictable: rng.next() < 0.35, lru: true });
}

describe("ch0.2 identify_page_state()", () => {
  it("plain LRU pages, dirty and clean, and a HugeTLB page", async () => {
    const m = await loadExercise<Mod>(ID);
    for (const dirty of [true, false]) check(m, normalise({ head: false, dirty, swapcache: false, mlocked: false, unevictable: false, lru: true }));
    check(m, normalise({ head: true, dirty: true, swapcache: false, mlocked: false, unevictable: false, lru: false }));
  });

  it("each special list alone: swap cache, mlocked, unevictable, dirty and clean", async () => {
    const m = await loadExercise<Mod>(ID);
    for (const which of ["swapcache", "mlocked", "unevictable"] as const) {
      for (const dirty of [true, false]) check(m, normalise({ head: false, dirty, swapcache: false, mlocked: false, unevictable: false, lru: true, [which]: true }));
    }
  });

  it("seeded combinations: the first matching row wins", async () => {
    const m = await loadExercise<Mod>(ID);
    seeded(ID, 30, (rng) => check(m, randomFlags(rng)));
  });
});
