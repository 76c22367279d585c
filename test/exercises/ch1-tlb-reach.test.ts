// Exercise ch1.1: TLB reach and translations after a split, checked against the library's
// TlbHierarchy.reachBytes and AddressSpace.split on seeded cases.
import { describe, it } from "vitest";
import {
  AddressSpace, CPU_PRESETS, PAGE_SIZES, TlbHierarchy, type PageSize, type TlbHierarchyConfig,
} from "../../src/index.js";
import { Named, bytes, call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch1-tlb-reach";
type Mod = typeof import("../../exercises/ch1-tlb-reach/.meta/reference.js");
/** Library pieces that already compute the answers (the tests use them as the truth). */
const FINISHED = ["AddressSpace", "TlbHierarchy", "simulateTlb"];
const ENTRY_COUNTS = [8, 16, 32, 64, 96, 128, 256, 512, 1024, 1536, 2048, 3072, 4096];

describe("ch1.1 TLB reach", () => {
  it("tlbReach: entries × page size, for seeded TLB sizes", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 30, (rng) => {
      const entries = pick(rng, ENTRY_COUNTS);
      const size = pick(rng, PAGE_SIZES);
      const lib = new TlbHierarchy({ name: "one STLB", l1: {}, stlb: { geometry: { entries, ways: entries }, sizes: [size] } });
      const want = lib.reachBytes(size);
      const got = call("tlbReach", [entries, size], () => m.tlbReach(entries, size));
      if (got !== want) fail(`with ${entries} entries of ${size} pages, TLB reach should be ${bytes(want)} but your tlbReach returned ${bytes(got)}`);
    });
  });

  it("presetReach: the CPU presets of Chapter 1 (Golden Cove, Skylake-SP, Zen 4)", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    for (const [name, cpu] of Object.entries(CPU_PRESETS)) {
      for (const size of PAGE_SIZES) {
        const want = new TlbHierarchy(cpu).reachBytes(size);
        const got = call("presetReach", [new Named(name), size], () => m.presetReach(cpu, size));
        if (got !== want) fail(`the ${cpu.name} reaches ${bytes(want)} with ${size} pages, but your presetReach returned ${bytes(got)}`);
      }
    }
  });

  it("presetReach: seeded made-up hierarchies (sizes missing from L1 or STLB)", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 25, (rng) => {
      const l1: TlbHierarchyConfig["l1"] = {};
      for (const s of PAGE_SIZES) if (rng.next() < 0.7) l1[s] = { entries: pick(rng, [4, 8, 16, 32, 64]), ways: 4 };
      const stlbSizes = PAGE_SIZES.filter(() => rng.next() < 0.6);
      const stlbEntries = pick(rng, [256, 512, 1024, 1536, 2048]);
      const cpu: TlbHierarchyConfig = {
        name: "test CPU", l1,
        ...(stlbSizes.length > 0 || Object.keys(l1).length === 0 ? { stlb: { geometry: { entries: stlbEntries, ways: 8 }, sizes: stlbSizes } } : {}),
      };
      const size: PageSize = pick(rng, PAGE_SIZES);
      const want = new TlbHierarchy(cpu).reachBytes(size);
      const desc = `L1 ${PAGE_SIZES.map((s) => `${s}:${l1[s]?.entries ?? 0}`).join(" ")}, STLB ${cpu.stlb ? `${cpu.stlb.geometry.entries} entries for ${cpu.stlb.sizes.join("/") || "no size"}` : "none"}`;
      const got = call("presetReach", [new Named("cpu"), size], () => m.presetReach(cpu, size));
      if (got !== want) fail(`a CPU with ${desc} reaches ${bytes(want)} with ${size} pages, but your presetReach returned ${bytes(got)}`);
    });
  });

  it("translationsAfterSplit: matches AddressSpace.split on seeded guests", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 20, (rng) => {
      const regions = 1 + rng.nextInt(4096);
      const guest = regions * 2 * 1024 * 1024;
      const k = rng.nextInt(regions + 1);
      const space = new AddressSpace(guest, "2M");
      space.split(k / regions);
      const [p4k, p2m] = space.pagesBySize();
      const want = p4k + p2m / 512;
      const got = call("translationsAfterSplit", [guest, k], () => m.translationsAfterSplit(guest, k));
      if (got !== want) fail(`a ${bytes(guest)} guest with ${k} of its ${regions} 2M pages split to 4K needs ${want} translations, but your translationsAfterSplit returned ${got}`);
    });
  });
});
