// zapCost(): why memory_failure_pfn() keeps a huge pfnmap instead of zapping the poisoned PFN.
// Numbers follow from page sizes, the chapter-1 2D walk formula and a TLB preset's reach.
import { describe, expect, it } from "vitest";
import { GiB, GOLDEN_COVE, SKYLAKE_SP, TlbHierarchy, nestedWalkRefs, zapCost } from "../../src/index.js";

describe("zapCost()", () => {
  it("entries to map 96G: 96 at 1G, 25,165,824 at 4K (262,144 per 1G leaf)", () => {
    const c = zapCost(96 * GiB);
    expect(c.kept.entries).toBe(96);
    expect(c.zapped.entries).toBe(96 * 262_144);
    expect(c.zappedOneLeaf.addedEntries, "breaking one 1G leaf adds 262,143 PTEs").toBe(262_143);
  });

  it("a 2D walk costs more references once stage-2 leaves are 4K (guest 2M: 11 vs 19; guest 4K: 14 vs 24)", () => {
    const c = zapCost(8 * GiB, { guestPage: "2M" });
    expect(c.kept.walkRefs2D).toBe(nestedWalkRefs("2M", "1G"));
    expect(c.zapped.walkRefs2D).toBe(nestedWalkRefs("2M", "4K"));
    expect(c.zapped.walkRefs2D).toBeGreaterThan(c.kept.walkRefs2D);
    const g4 = zapCost(8 * GiB, { guestPage: "4K" });
    expect([g4.kept.walkRefs2D, g4.zapped.walkRefs2D]).toEqual([14, 24]);
  });

  it("TLB reach fraction: the STLB covers far less of the region with 4K entries", () => {
    const c = zapCost(96 * GiB, { cpu: GOLDEN_COVE, guestPage: "1G" });
    const t = new TlbHierarchy(GOLDEN_COVE);
    expect(c.kept.stlbReachFraction, "2048 STLB entries of 1G cover all 96G").toBe(Math.min(1, t.reachBytes("1G") / (96 * GiB)));
    expect(c.zapped.stlbReachFraction).toBeCloseTo(t.reachBytes("4K") / (96 * GiB), 12);
    expect(c.zapped.stlbReachFraction).toBeLessThan(c.kept.stlbReachFraction / 100);
  });

  it("a TLB entry after a 2D walk covers min(guest, host): a 4K guest gains nothing from 1G stage-2 leaves in reach", () => {
    const c = zapCost(16 * GiB, { guestPage: "4K", cpu: SKYLAKE_SP });
    expect(c.kept.effectivePageSize).toBe("4K");
    expect(c.kept.stlbReachFraction).toBe(c.zapped.stlbReachFraction);
  });

  it("reach fraction is capped at 1 for a small region; assumptions are stated", () => {
    const c = zapCost(1 * GiB, { guestPage: "1G" });
    expect(c.kept.stlbReachFraction).toBe(1);
    expect(c.assumptions.length).toBeGreaterThan(3);
    expect(c.assumptions.join(" ")).toMatch(/Neoverse V2/);
  });

  it("refuses a region smaller than a page", () => {
    expect(() => zapCost(100)).toThrow(/regionBytes/);
  });
});
