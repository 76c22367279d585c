// Exercise ch5.4: the cost of zapping a huge pfnmap, checked against the library's zapCost()
// (src/vfio/zap-cost.ts, built on Chapter 1's TLB and walk model) on seeded regions, page sizes
// and the Chapter 1 CPU presets.
import { describe, it } from "vitest";
import { CPU_PRESETS, formatSize, zapCost, type PageSize, type Rng } from "../../src/index.js";
import { Named, call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch5-zap-cost";
type Mod = typeof import("../../exercises/ch5-zap-cost/.meta/reference.js");
const FINISHED = ["zapCost", "zapCostRows"];
const G = 2 ** 30;
const SIZES: PageSize[] = ["4K", "2M", "1G"];
const pctOf = (x: number) => `${(100 * x).toPrecision(4)} %`;

interface Case { region: number; guest: PageSize; kept: PageSize; cpuName: string }

function check(m: Mod, c: Case): void {
  const cpu = CPU_PRESETS[c.cpuName];
  const want = zapCost(c.region, { guestPage: c.guest, keptPage: c.kept, cpu });
  const got = call("zapCostOf", [c.region, c.guest, c.kept, new Named(c.cpuName)], () => m.zapCostOf(c.region, c.guest, c.kept, cpu));
  const what = `a ${formatSize(c.region)} region (${c.region} bytes) the guest maps with ${c.guest} pages, kept at ${c.kept}, on ${cpu.name}`;
  if (!got || typeof got !== "object" || !got.kept || !got.zapped) fail(`zapCostOf must return { kept, zapped, oneLeafAdded }, got ${JSON.stringify(got)}`);
  for (const k of ["kept", "zapped"] as const) {
    const w = want[k];
    const g = got[k];
    const how = k === "kept" ? `kept at ${c.kept}` : "zapped to 4K";
    if (g.entries !== w.entries) fail(`${what}: ${how} it needs ${w.entries} stage-2 entries, but your zapCostOf says ${g.entries}`);
    if (g.effectivePageSize !== w.effectivePageSize) fail(`${what}: ${how}, a TLB entry filled by the 2D walk covers ${w.effectivePageSize}, but your zapCostOf says ${String(g.effectivePageSize)}`);
    if (typeof g.stlbReachFraction !== "number" || Math.abs(g.stlbReachFraction - w.stlbReachFraction) > 1e-12) {
      fail(`${what}: ${how}, the TLB covers ${pctOf(w.stlbReachFraction)} of the region, but your zapCostOf says ${typeof g.stlbReachFraction === "number" ? pctOf(g.stlbReachFraction) : String(g.stlbReachFraction)}`);
    }
    if (g.walkRefs2D !== w.walkRefs2D) fail(`${what}: ${how}, one 2D walk takes ${w.walkRefs2D} memory references, but your zapCostOf says ${g.walkRefs2D}`);
  }
  if (got.oneLeafAdded !== want.zappedOneLeaf.addedEntries) {
    fail(`${what}: breaking only the ${c.kept} leaf that holds the poisoned page adds ${want.zappedOneLeaf.addedEntries} entries, but your zapCostOf says ${got.oneLeafAdded}`);
  }
}

function randomCase(rng: Rng): Case {
  const unit = pick(rng, [G, 2 ** 21, 4096]);
  const region = unit === G ? (1 + rng.nextInt(128)) * G : unit === 2 ** 21 ? (1 + rng.nextInt(40_000)) * unit : (1 + rng.nextInt(4_000_000)) * unit;
  return { region, guest: pick(rng, SIZES), kept: pick(rng, ["2M", "1G"] as PageSize[]), cpuName: pick(rng, Object.keys(CPU_PRESETS)) };
}

describe("ch5.4 what a zap would cost", () => {
  it("the chapter's example: 16G of usemem, 2M guest pages, kept at 1G, Golden Cove", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    check(m, { region: 16 * G, guest: "2M", kept: "1G", cpuName: "golden-cove" });
    check(m, { region: 16 * G, guest: "1G", kept: "1G", cpuName: "golden-cove" });
  });

  it("seeded regions, page sizes and CPU presets agree with zapCost()", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 60, (rng) => check(m, randomCase(rng)));
  });
});
