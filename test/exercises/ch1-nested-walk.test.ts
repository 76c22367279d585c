// Exercise ch1.2: walk levels, 2D walk references, effective page size, checked against
// src/pgtable/walk.ts on every case and on seeded ones.
import { describe, it } from "vitest";
import { PAGE_SIZES, effectivePageSize, nestedWalkRefs, walkLevels, walkRefs2D, type PageSize } from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch1-nested-walk";
type Mod = typeof import("../../exercises/ch1-nested-walk/.meta/reference.js");
const FINISHED = ["walkLevels", "walkRefs1D", "walkRefs2D", "walkRefs2DWithPwc", "effectivePageSize", "nestedWalkRefs"];
const LEVELS: (4 | 5)[] = [4, 5];

describe("ch1.2 nested walk", () => {
  it("walkLevels: where the leaf of each page size sits, 4- and 5-level paging", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    for (const levels of LEVELS) {
      for (const size of PAGE_SIZES) {
        const want = walkLevels(size, levels);
        const got = call("walkLevels", [size, levels], () => m.walkLevels(size, levels));
        if (got !== want) fail(`with ${levels}-level paging a ${size} leaf is reached after ${want} page-table reads, but your walkLevels("${size}", ${levels}) returned ${got}`);
      }
    }
  });

  it("walkRefs2D: 24 references for a 4-level guest on a 4-level host", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    const got = call("walkRefs2D", [4, 4], () => m.walkRefs2D(4, 4));
    if (got !== 24) fail(`a nested walk with a 4-level guest and a 4-level host reads 24 page-table entries (Bhargava et al., ASPLOS 2008), but your walkRefs2D(4, 4) returned ${got}`);
  });

  it("walkRefs2D: seeded guest and host depths", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 20, (rng) => {
      const n = 1 + rng.nextInt(5);
      const h = 1 + rng.nextInt(5);
      const want = walkRefs2D(n, h);
      const got = call("walkRefs2D", [n, h], () => m.walkRefs2D(n, h));
      if (got !== want) fail(`a nested walk with a ${n}-level guest and a ${h}-level host reads ${want} page-table entries, but your walkRefs2D(${n}, ${h}) returned ${got}`);
    });
  });

  it("effectivePageSize: every guest/host pair", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    for (const g of PAGE_SIZES) {
      for (const h of PAGE_SIZES) {
        const want = effectivePageSize(g, h);
        const got = call("effectivePageSize", [g, h], () => m.effectivePageSize(g, h));
        if (got !== want) fail(`a guest ${g} page over host ${h} pages is cached as ${want} TLB entries, but your effectivePageSize("${g}", "${h}") returned ${JSON.stringify(got)}`);
      }
    }
  });

  it("nestedWalkRefs: seeded guest/host page sizes, 4- and 5-level paging", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 20, (rng) => {
      const g: PageSize = pick(rng, PAGE_SIZES);
      const h: PageSize = pick(rng, PAGE_SIZES);
      const levels = pick(rng, LEVELS);
      const want = nestedWalkRefs(g, h, levels);
      const got = call("nestedWalkRefs", [g, h, levels], () => m.nestedWalkRefs(g, h, levels));
      if (got !== want) fail(`a guest mapping with ${g} pages over a host mapping with ${h} pages (${levels}-level paging in both) costs ${want} references per TLB miss, but your nestedWalkRefs returned ${got}`);
    });
  });
});
