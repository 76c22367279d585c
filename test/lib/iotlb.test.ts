import { describe, expect, it } from "vitest";
import {
  IOTLB_ASSUMPTIONS, ParameterError, findIotlbCliff, iotlbCliff, iotlbMissCost, simulateIotlb,
} from "../../src/index.js";

const K = 1024;
const M = 1024 * K;

describe("IOTLB: a working set inside the reach hits", () => {
  it.each([["4K", 4 * K], ["2M", 2 * M]] as const)("uniform DMAs over entries × %s hit ≈ 100%%", (pageSize, unit) => {
    for (const entries of [32, 64]) {
      const r = simulateIotlb({ entries, pageSize, workingSetBytes: entries * unit, seed: 5 });
      expect(r.entriesNeeded).toBe(entries);
      expect(r.hitRate, `${entries} entries of ${pageSize} cover the working set`).toBeGreaterThanOrEqual(0.999);
      expect(r.relativeThroughput).toBeGreaterThan(0.97);
    }
  });

  it("a ring that fits (no descriptor ring) hits every time after its first pass", () => {
    const r = simulateIotlb({ entries: 64, pageSize: "4K", workingSetBytes: 64 * 4 * K, pattern: "ring", descriptorBytes: 0 });
    expect(r.hitRate).toBe(1);
  });

  it("the descriptor ring takes an entry of its own", () => {
    const r = simulateIotlb({ entries: 64, pageSize: "4K", workingSetBytes: 64 * 4 * K, pattern: "ring" });
    expect(r.entriesNeeded, "64 buffer pages + 1 descriptor page").toBe(65);
    expect(r.hitRate, "65 pages cycling through 64 LRU entries: every buffer DMA misses").toBeLessThan(0.6);
  });
});

describe("IOTLB: where the cliff is", () => {
  // Beyond the reach, LRU under uniform DMAs hits about entries/N of the time, so with a
  // threshold above entries/(entries + 1) the last working set that passes is the reach itself.
  it.each([32, 64, 128])("uniform: with %i entries the 4K cliff is at entries × 4K and the 2M cliff at entries × 2M", (entries) => {
    const threshold = 0.999;
    const c4 = findIotlbCliff({ entries, pageSize: "4K", pattern: "uniform", seed: 2, threshold });
    const c2 = findIotlbCliff({ entries, pageSize: "2M", pattern: "uniform", seed: 2, threshold });
    expect(c4.found && c2.found).toBe(true);
    expect(c4.workingSetBytes, `4K cliff at ${c4.workingSetBytes} B`).toBe(entries * 4 * K);
    expect(c2.workingSetBytes, `2M cliff at ${c2.workingSetBytes} B`).toBe(entries * 2 * M);
    expect(c2.workingSetBytes / c4.workingSetBytes).toBe(512);
    expect(c4.ratioToReach).toBe(1);
  });

  it("with the default threshold (99%) a large IOTLB's uniform cliff sits just past the reach, at about entries/0.99", () => {
    const c = findIotlbCliff({ entries: 256, pageSize: "4K", pattern: "uniform", seed: 2 });
    expect(c.threshold).toBe(0.99);
    expect(c.translations).toBeGreaterThanOrEqual(256);
    expect(c.translations).toBeLessThanOrEqual(Math.ceil(256 / 0.99) + 1);
  });

  it("ring: the 4K cliff comes one descriptor page before the reach", () => {
    const c = findIotlbCliff({ entries: 64, pageSize: "4K", pattern: "ring" });
    expect(c.translations).toBe(63);
  });

  it("a working set that just fits at 2M but not at 4K loses most of its throughput when split", () => {
    const ws = 64 * 2 * M; // exactly 64 2M entries: fits; as 4K it needs 32,768
    const before = simulateIotlb({ entries: 64, pageSize: "2M", workingSetBytes: ws, seed: 9 });
    const after = simulateIotlb({ entries: 64, pageSize: "4K", workingSetBytes: ws, seed: 9 });
    expect(before.hitRate).toBeGreaterThanOrEqual(0.999);
    expect(after.hitRate, "32,768 4K pages through 64 entries").toBeLessThan(0.01);
    expect(after.relativeThroughput / before.relativeThroughput, "split/unsplit throughput").toBeLessThan(0.5);
    expect(after.walkRefs, "guest 2M over host 4K: (3+1)(4+1)−1").toBe(19);
    expect(before.walkRefs, "2M over 2M: (3+1)(3+1)−1").toBe(15);
  });

  it("the cliff curve is flat, then falls, and the 4K curve falls 512× earlier", () => {
    const workingSets = [64 * K, 128 * K, 256 * K, 512 * K, 1 * M, 16 * M, 128 * M, 256 * M, 1024 * M];
    const rows = iotlbCliff({ entries: 64, workingSets, seed: 4 });
    expect(rows).toHaveLength(2 * workingSets.length);
    const at = (ps: string, ws: number) => rows.find((r) => r.pageSize === ps && r.workingSetBytes === ws)!;
    expect(at("4K", 256 * K).hitRate).toBeGreaterThanOrEqual(0.999);
    expect(at("4K", 512 * K).hitRate).toBeLessThan(0.6);
    expect(at("2M", 128 * M).hitRate).toBeGreaterThanOrEqual(0.999);
    expect(at("2M", 256 * M).hitRate).toBeLessThan(0.6);
    for (const ps of ["2M", "4K"]) {
      const line = rows.filter((r) => r.pageSize === ps);
      for (let i = 1; i < line.length; i++) {
        expect(line[i].relativeThroughput, `${ps} throughput must not rise with the working set`).toBeLessThanOrEqual(line[i - 1].relativeThroughput + 0.01);
      }
    }
  });
});

describe("IOTLB: ring vs uniform", () => {
  it("beyond the 4K reach, a ring of 4K buffers misses once per DMA (F&S: ~1 miss per 4K page); uniform hits ≈ entries/pages", () => {
    const ws = 4 * 64 * 4 * K; // 4× the reach
    const ring = simulateIotlb({ entries: 64, pageSize: "4K", workingSetBytes: ws, pattern: "ring" });
    const uni = simulateIotlb({ entries: 64, pageSize: "4K", workingSetBytes: ws, pattern: "uniform", accesses: 40_000 });
    expect(ring.missesPerDma).toBeCloseTo(1, 2);
    expect(uni.hitRate, "LRU under uniform random: hit rate ≈ 64/256").toBeGreaterThan(0.2);
    expect(uni.hitRate).toBeLessThan(0.3);
    expect(ring.relativeThroughput, "the ring is the worse case at equal size").toBeLessThan(uni.relativeThroughput);
  });

  it("smaller DMAs share a page: 1K buffers in a thrashing ring miss once per four DMAs", () => {
    const r = simulateIotlb({ entries: 64, pageSize: "4K", workingSetBytes: 1 * M, pattern: "ring", dmaBytes: 1024 });
    expect(r.missesPerDma).toBeCloseTo(0.25, 2);
  });

  it("a ring over 2M pages never falls off the cliff; uniform over 2M does", () => {
    expect(findIotlbCliff({ entries: 64, pageSize: "2M", pattern: "ring" }).found).toBe(false);
    expect(findIotlbCliff({ entries: 64, pageSize: "2M", pattern: "uniform" }).found).toBe(true);
  });
});

describe("IOTLB: miss cost, seeds, parameters, speed", () => {
  it("miss cost = walk references × memory latency + PCIe round trip; 1D walks are shorter", () => {
    const nested = iotlbMissCost({ pageSize: "4K", guestPageSize: "4K", memoryLatencyNs: 100, pcieRoundTripNs: 0 });
    expect(nested.walkRefs).toBe(24);
    expect(nested.missPenaltyNs).toBe(2400);
    const flat = iotlbMissCost({ pageSize: "4K", nested: false, memoryLatencyNs: 100, pcieRoundTripNs: 300 });
    expect(flat.walkRefs).toBe(4);
    expect(flat.missPenaltyNs).toBe(700);
    expect(iotlbMissCost({ dmaBytes: 4096, linkGbps: 200 }).hitTimeNs).toBeCloseTo(163.84, 6);
  });

  it("overlapping misses softens the cliff", () => {
    const base = { entries: 64, pageSize: "4K" as const, workingSetBytes: 64 * M, seed: 1 };
    const serial = simulateIotlb(base).relativeThroughput;
    const overlapped = simulateIotlb({ ...base, overlappedMisses: 8 }).relativeThroughput;
    expect(overlapped).toBeGreaterThan(serial);
  });

  it("the same seed gives the same result; another seed another sample", () => {
    const p = { entries: 64, pageSize: "4K" as const, workingSetBytes: 1 * M };
    expect(simulateIotlb({ ...p, seed: 3 })).toEqual(simulateIotlb({ ...p, seed: 3 }));
    expect(simulateIotlb({ ...p, seed: 3 }).hits).not.toBe(simulateIotlb({ ...p, seed: 4 }).hits);
  });

  it("bad parameters throw a ParameterError naming the parameter", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ entries: 0 }, "entries"],
      [{ entries: 64, ways: 7 }, "ways"],
      [{ pageSize: "3K" }, "pageSize"],
      [{ pattern: "zipf" }, "pattern"],
      [{ dmaBytes: 3000 }, "dmaBytes"],
      [{ workingSetBytes: 100 }, "workingSetBytes"],
      [{ seed: -1 }, "seed"],
      [{ overlappedMisses: 0 }, "overlappedMisses"],
    ];
    for (const [bad, name] of cases) {
      let err: unknown;
      try { simulateIotlb(bad as never); } catch (e) { err = e; }
      expect(err, JSON.stringify(bad)).toBeInstanceOf(ParameterError);
      expect((err as ParameterError).parameter).toBe(name);
    }
    expect(() => findIotlbCliff({ threshold: 2 })).toThrow(/threshold/);
    expect(() => iotlbCliff({ entries: 64, workingSets: [] })).toThrow(/workingSets/);
  });

  it("states its assumptions with sources, vendor sizes as UNVERIFIED", () => {
    const text = IOTLB_ASSUMPTIONS.join("\n");
    expect(text).toMatch(/UNVERIFIED/);
    expect(text).toMatch(/Farshin/);
    expect(text).toMatch(/rIOMMU/);
    expect(text).toMatch(/F&S/);
  });

});
