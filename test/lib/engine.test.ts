import { describe, expect, it } from "vitest";
import {
  AddressSpace, GOLDEN_COVE, LruTlb, ParameterError, Rng, SKYLAKE_SP, TlbHierarchy, ZEN4,
  effectivePageSize, nestedWalkRefs, parseSize, runTrace, sequentialTrace, uniformTrace, walkRefs2D,
  walkRefs2DWithPwc, zipfTrace, memcycleTrace, formatSize,
} from "../../src/index.js";
import { buildReference, runReference } from "../c/reference.js";

describe("LruTlb: known truths", () => {
  it("a working set that fits is all hits after the cold misses", () => {
    const t = new LruTlb({ entries: 64, ways: 4 });
    for (let round = 0; round < 10; round++) for (let pn = 0; pn < 64; pn++) t.access(pn, 0);
    expect(t.misses, "only the 64 cold misses").toBe(64);
    expect(t.hits).toBe(64 * 9);
  });

  it("cycling through one page more than a fully associative LRU holds misses every time", () => {
    const t = new LruTlb({ entries: 8, ways: 8 });
    for (let round = 0; round < 5; round++) for (let pn = 0; pn < 9; pn++) t.access(pn, 0);
    expect(t.hits, "LRU thrashes on a cyclic pattern one larger than its capacity").toBe(0);
  });

  it("evicts the least recently used way of the set", () => {
    const t = new LruTlb({ entries: 4, ways: 2 }); // 2 sets
    t.access(0, 0); t.access(2, 0); // set 0 holds 0, 2
    t.access(0, 0);                 // 0 is now most recent
    t.access(4, 0);                 // evicts 2
    expect(t.contains(0, 0)).toBe(true);
    expect(t.contains(2, 0)).toBe(false);
    expect(t.contains(4, 0)).toBe(true);
  });

  it("keeps page sizes apart in a unified structure", () => {
    const t = new LruTlb({ entries: 4, ways: 4 });
    t.access(5, 0);
    expect(t.access(5, 1), "2M page 5 is not 4K page 5").toBe(false);
  });

  it("rejects impossible geometries with the parameter's name", () => {
    expect(() => new LruTlb({ entries: 10, ways: 4 }, "stlb")).toThrow(/stlb.ways/);
    expect(() => new LruTlb({ entries: 0, ways: 1 }, "l1")).toThrow(ParameterError);
  });
});

describe("TLB hierarchy and reach", () => {
  it("reach is entries × page size", () => {
    const h = new TlbHierarchy(GOLDEN_COVE);
    expect(h.reachBytes("4K")).toBe(2048 * 4096); // 8 MiB
    expect(h.reachBytes("2M")).toBe(2048 * 2 * 1024 * 1024); // 4 GiB
    expect(new TlbHierarchy(SKYLAKE_SP).reachBytes("4K")).toBe(6 * 1024 * 1024);
  });

  it("a working set inside STLB reach stops walking; one far beyond walks on almost every access", () => {
    for (const cfg of [GOLDEN_COVE, SKYLAKE_SP, ZEN4]) {
      const small = new AddressSpace(parseSize("4M"), "4K");
      const h = new TlbHierarchy(cfg);
      runTrace(h, small, uniformTrace(small.pages4k, 20_000, new Rng(1)));
      h.resetCounters();
      const c = runTrace(h, small, uniformTrace(small.pages4k, 20_000, new Rng(2)));
      expect(c.walks, `${cfg.name}: 4 MiB of 4K pages fits the STLB`).toBe(0);

      const big = new AddressSpace(parseSize("8G"), "4K");
      const h2 = new TlbHierarchy(cfg);
      const c2 = runTrace(h2, big, uniformTrace(big.pages4k, 20_000, new Rng(3)));
      expect(c2.walks / c2.accesses, `${cfg.name}: 8 GiB of 4K pages is far beyond reach`).toBeGreaterThan(0.99);
    }
  });

  it("splitting 2M pages to 4K turns hits into walks (the cost Chapter 1 measures)", () => {
    const space = new AddressSpace(parseSize("2G"), "2M");
    const trace = uniformTrace(space.pages4k, 100_000, new Rng(9));
    const before = runTrace(new TlbHierarchy(GOLDEN_COVE), space, trace);
    expect(before.walksBySize[1], "2G of 2M pages fits the 4G reach: only cold walks").toBeLessThanOrEqual(1024);
    space.split(0.5, new Rng(4));
    expect(space.splitFraction()).toBeCloseTo(0.5, 2);
    const after = runTrace(new TlbHierarchy(GOLDEN_COVE), space, trace);
    expect(after.walks).toBeGreaterThan(before.walks * 10);
  });

  it("splitting a 1G page splits it to 2M around the 4K region", () => {
    const space = new AddressSpace(parseSize("2G"), "1G");
    space.splitRegion(3);
    expect(space.pagesBySize()).toEqual([512, 511 * 512, 512 * 512]);
  });

  it("runTrace rejects a trace outside the space", () => {
    const space = new AddressSpace(parseSize("2M"), "2M");
    expect(() => runTrace(new TlbHierarchy(GOLDEN_COVE), space, new Uint32Array([512]))).toThrow(/outside/);
  });
});

describe("page walks", () => {
  it("2D walk references follow (n+1)(m+1)−1", () => {
    expect(walkRefs2D(4, 4)).toBe(24);
    expect(walkRefs2D(5, 5)).toBe(35);
    expect(nestedWalkRefs("2M", "2M")).toBe(15);
    expect(nestedWalkRefs("2M", "4K")).toBe(19);
    expect(walkRefs2DWithPwc(4, 4, 0, 0)).toBe(24);
    expect(walkRefs2DWithPwc(4, 4, 3, 3)).toBe(3);
  });

  it("the effective translation size is min(guest, host)", () => {
    expect(effectivePageSize("2M", "4K")).toBe("4K");
    expect(effectivePageSize("4K", "1G")).toBe("4K");
    expect(effectivePageSize("1G", "2M")).toBe("2M");
  });
});

describe("units, rng and workloads", () => {
  it("parses and formats sizes, with clear errors", () => {
    expect(parseSize("4K")).toBe(4096);
    expect(parseSize("640G")).toBe(640 * 2 ** 30);
    expect(parseSize("1.5T")).toBe(1.5 * 2 ** 40);
    expect(formatSize(2 ** 21)).toBe("2M");
    expect(() => parseSize("12Q", "--working-set")).toThrow(/--working-set: "12Q" is not a size/);
  });

  it("the same seed gives the same trace, another seed another", () => {
    const a = uniformTrace(1000, 100, new Rng(5));
    expect(uniformTrace(1000, 100, new Rng(5))).toEqual(a);
    expect(uniformTrace(1000, 100, new Rng(6))).not.toEqual(a);
    expect(zipfTrace(1000, 100, 1, new Rng(5))).toEqual(zipfTrace(1000, 100, 1, new Rng(5)));
  });

  it("zipf concentrates accesses; sequential and memcycle cover their pages in order", () => {
    const z = zipfTrace(10_000, 50_000, 1.2, new Rng(1));
    expect(new Set(z).size).toBeLessThan(new Set(uniformTrace(10_000, 50_000, new Rng(1))).size);
    expect(Array.from(sequentialTrace(4, 8, 2))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(Array.from(memcycleTrace(8, 8, 1, 2))).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
    expect(() => uniformTrace(0, 10, new Rng(1))).toThrow(/pages/);
  });
});

describe("C reference (test/c/tlbsim.c)", () => {
  const bin = buildReference();

  it("the same seeded trace gives identical hit and miss counts in TS and C", () => {
    // Sizes with no L1, and an STLB that holds one size only, take the masked paths on both sides.
    const sparse = { name: "no 2M/1G L1, 4K-only STLB", l1: { "4K": { entries: 64, ways: 4 } }, stlb: { geometry: { entries: 1536, ways: 6 }, sizes: ["4K"] as const } };
    const stlbOnly = { name: "STLB only", l1: {}, stlb: { geometry: { entries: 512, ways: 8 }, sizes: ["4K", "2M", "1G"] as const } };
    for (const [cfg, pattern, seed] of [
      [GOLDEN_COVE, "uniform", 11], [SKYLAKE_SP, "zipf", 12], [ZEN4, "uniform", 13], [GOLDEN_COVE, "zipf", 14],
      [sparse, "zipf", 15], [stlbOnly, "uniform", 16],
    ] as const) {
      const space = new AddressSpace(parseSize("4G"), "1G");
      space.split(0.5, new Rng(seed)); // 1G, 2M and 4K mappings mixed
      space.split(0.3, new Rng(seed + 100));
      const rng = new Rng(seed);
      const trace = pattern === "uniform" ? uniformTrace(space.pages4k, 200_000, rng) : zipfTrace(space.pages4k, 200_000, 0.9, rng);
      const ts = runTrace(new TlbHierarchy(cfg), space, trace);
      const c = runReference(bin, cfg, space.regionCode, trace);
      expect({ ...c, seconds: 0 }, `${cfg.name}, ${pattern} seed ${seed}`).toEqual({ ...ts, seconds: 0 });
      expect(ts.walksBySize.filter((w) => w > 0).length, "the trace exercises several page sizes").toBeGreaterThan(1);
    }
  });

  it("the C reference draws the same random numbers as Rng", async () => {
    const { execFileSync } = await import("node:child_process");
    const out = execFileSync(bin, ["rng", "42", "5"], { encoding: "utf8" }).trim().split("\n").map(Number);
    const r = new Rng(42);
    expect(out).toEqual([r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32()]);
  });
});

describe("LruTlb stamps", () => {
  it("keep true LRU order across the Int32 stamp renormalisation", () => {
    const t = new LruTlb({ entries: 4, ways: 4 });
    (t as unknown as { clock: number }).clock = 0x7fffffff - 6;
    for (const pn of [1, 2, 3, 4, 1, 2]) t.access(pn, 0); // crosses the limit; 3 is now least recent
    t.access(5, 0);
    expect(t.contains(3, 0), "the least recently used page is evicted").toBe(false);
    expect([1, 2, 4, 5].every((pn) => t.contains(pn, 0))).toBe(true);
  });
});

describe("FullyAssociativeLruTlb (O(1) per access)", () => {
  it("gives the same hits, misses and contents as the scanning LruTlb, access for access", async () => {
    const { FullyAssociativeLruTlb, makeTlb } = await import("../../src/index.js");
    for (const [entries, pages, seed] of [[64, 100, 1], [512, 600, 2], [1000, 5000, 3], [4096, 4200, 4]] as const) {
      const scan = new LruTlb({ entries, ways: entries });
      const fast = new FullyAssociativeLruTlb(entries);
      const trace = zipfTrace(pages, 30_000, 0.8, new Rng(seed));
      for (let i = 0; i < trace.length; i++) {
        const code = trace[i] & 1;
        if (scan.access(trace[i], code) !== fast.access(trace[i], code)) throw new Error(`entries ${entries}: access ${i} differs`);
      }
      expect([fast.hits, fast.misses], `${entries} entries`).toEqual([scan.hits, scan.misses]);
      for (let pn = 0; pn < pages; pn++) expect(fast.contains(pn, pn & 1)).toBe(scan.contains(pn, pn & 1));
      expect(fast.occupancy()).toBe(scan.occupancy());
      fast.flush();
      expect(fast.occupancy()).toBe(0);
    }
    expect(makeTlb({ entries: 128, ways: 128 })).toBeInstanceOf(FullyAssociativeLruTlb);
    expect(makeTlb({ entries: 128, ways: 8 })).toBeInstanceOf(LruTlb);
  });
});
