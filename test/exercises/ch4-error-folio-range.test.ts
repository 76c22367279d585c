// Exercise ch4.1: kvm_gmem_error_folio(). Seeded guest_memfd files, each bound by a few memslots
// (with gaps no slot binds), are poisoned at random file pages and at folio edges; the student's
// answer is compared with the library's kvmGmemErrorFolio() (src/guest_memfd/kvm-gmem.ts).
import { describe, it } from "vitest";
import { basePagesPer, kvmGmemErrorFolio, type GmemBinding, type PageSize, type Rng } from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch4-error-folio-range";
type Mod = typeof import("../../exercises/ch4-error-folio-range/.meta/reference.js");
type Binding = import("../../exercises/ch4-error-folio-range/.meta/reference.js").Binding;
/** The model itself: the exercise asks for the mechanism. */
const FINISHED = ["kvmGmemErrorFolio", "kvmGmemInvalidateRanges", "folioIndexRange", "GuestMemfdVm"];
const hex = (n: number) => "0x" + n.toString(16);

const showRanges = (rs: unknown): string => {
  if (!Array.isArray(rs)) return `not a list (${String(rs)})`;
  const xs = (rs as { slot: number; start: number; end: number }[])
    .map((r) => `slot ${r.slot}: GFNs ${hex(r.start)}–${hex(r.end)}`)
    .sort();
  return xs.length ? xs.join("; ") : "nothing";
};
const describeBindings = (bs: Binding[]) =>
  bs.map((b) => `slot ${b.slot} binds file pages ${hex(b.pgoff)}–${hex(b.pgoff + b.npages)} at GFN ${hex(b.baseGfn)}`).join("; ");

function check(m: Mod, bindings: Binding[], index: number, folioSize: PageSize): void {
  const want = kvmGmemErrorFolio(bindings as GmemBinding[], index, folioSize);
  const got = call("errorFolioZap", [`${bindings.length} bindings`, hex(index), folioSize], () => m.errorFolioZap(structuredClone(bindings), index, folioSize));
  const what = `a poisoned page at file page ${hex(index)} in ${folioSize} folios (${describeBindings(bindings)})`;
  if (!got || typeof got !== "object") fail(`errorFolioZap must return { returns, index, ranges, zappedGfns, truncated }, got ${String(got)}`);
  if (!Array.isArray(got.index) || got.index[0] !== want.index[0] || got.index[1] !== want.index[1]) {
    fail(`for ${what}: the whole folio is file pages ${hex(want.index[0])}–${hex(want.index[1])}, but your errorFolioZap says ${Array.isArray(got.index) ? got.index.map(hex).join("–") : String(got.index)}`);
  }
  if (showRanges(got.ranges) !== showRanges(want.ranges)) fail(`for ${what}: kvm_gmem_invalidate_start() zaps ${showRanges(want.ranges)}, but your errorFolioZap says ${showRanges(got.ranges)}`);
  if (got.zappedGfns !== want.zappedGfns) fail(`for ${what}: ${want.zappedGfns} GFNs are zapped in all, but your errorFolioZap says ${got.zappedGfns}`);
  if (got.returns !== want.returns) fail(`kvm_gmem_error_folio() returns ${want.returns}, but your errorFolioZap says ${String(got.returns)}`);
  if (got.truncated !== false) fail(`kvm_gmem_error_folio() does not truncate ("what action is taken in response to the error is userspace's decision"), but your errorFolioZap says truncated = ${String(got.truncated)}`);
}

/** A file of a few folios, cut at random page offsets into bound pieces and unbound gaps. */
function scenario(rng: Rng): { bindings: Binding[]; folioSize: PageSize; indexes: number[] } {
  const folioSize = pick(rng, ["4K", "2M", "1G"] as PageSize[]);
  const nr = basePagesPer(folioSize);
  const folios = folioSize === "4K" ? 64 + rng.nextInt(4096) : 1 + rng.nextInt(6);
  const filePages = folios * nr;
  const cuts = new Set<number>([0, filePages]);
  const nCuts = rng.nextInt(5);
  for (let i = 0; i < nCuts; i++) cuts.add(rng.nextInt(filePages));
  // Often cut inside a folio, so one folio straddles two memslots.
  if (nr > 1 && rng.next() < 0.6) cuts.add(rng.nextInt(folios) * nr + 1 + rng.nextInt(nr - 1));
  const edges = [...cuts].sort((a, b) => a - b);
  const bindings: Binding[] = [];
  let gfnBase = rng.nextInt(1 << 20) * 4;
  for (let i = 0; i + 1 < edges.length; i++) {
    const [lo, hi] = [edges[i], edges[i + 1]];
    if (hi <= lo || rng.next() < 0.2) continue; // a gap no memslot binds
    bindings.push({ slot: bindings.length + 1, baseGfn: gfnBase, npages: hi - lo, pgoff: lo });
    gfnBase += hi - lo + rng.nextInt(1 << 22);
  }
  const indexes = [rng.nextInt(filePages), rng.nextInt(filePages), 0, filePages - 1];
  for (const e of edges) if (e > 0 && e < filePages) indexes.push(e, e - 1);
  return { bindings: rng.next() < 0.5 ? bindings.reverse() : bindings, folioSize, indexes };
}

describe("ch4.1 kvm_gmem_error_folio()", () => {
  it("the chapter's cases: a 1G folio bound by one slot, and one straddling two slots", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    check(m, [{ slot: 0, baseGfn: 0, npages: 0x400000, pgoff: 0 }], 0x40005, "1G");
    check(m, [{ slot: 0, baseGfn: 0, npages: 0x400000, pgoff: 0 }], 0x40005, "4K");
    const two: Binding[] = [
      { slot: 1, baseGfn: 0, npages: 0x20000, pgoff: 0 },
      { slot: 2, baseGfn: 0x100000, npages: 0x60000, pgoff: 0x20000 },
    ];
    check(m, two, 0x30000, "1G");
    check(m, two, 0x30000, "2M");
  });

  it("seeded files and memslots: the folio's range and every slot's zapped GFNs match the model", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 60, (rng) => {
      const s = scenario(rng);
      for (const index of s.indexes) check(m, s.bindings, index, s.folioSize);
    });
  });
});
