// The CLI contract: every command takes --json and prints one JSON object; a bad flag gives
// one line naming the flag, exit code 2 and no stack trace.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "mfr-lab.mjs"), ...args], { encoding: "utf8", cwd: ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function json(...args: string[]) {
  const r = cli(...args, "--json");
  expect(r.code, `${args.join(" ")} failed: ${r.err}`).toBe(0);
  const lines = r.out.trim().split("\n");
  expect(lines.length, "--json prints exactly one line").toBe(1);
  return JSON.parse(lines[0]);
}

describe("mfr-lab CLI", { timeout: 60_000 }, () => {
  it("tlb reports hits, misses and hit rate, reproducibly from the seed", () => {
    const a = json("tlb", "--entries", "64", "--ways", "4", "--page-size", "4K", "--working-set", "1M", "--pattern", "uniform", "--accesses", "50000", "--seed", "7");
    expect(a.hits + a.misses).toBe(50000);
    expect(a.hitRate).toBeCloseTo(a.hits / 50000, 10);
    expect(a.hitRate, "64 × 4K = 256K reach over a 1M uniform working set ≈ 25% hits").toBeGreaterThan(0.2);
    expect(a.hitRate).toBeLessThan(0.3);
    expect(json("tlb", "--entries", "64", "--ways", "4", "--page-size", "4K", "--working-set", "1M", "--pattern", "uniform", "--accesses", "50000", "--seed", "7")).toEqual(a);
    const big = json("tlb", "--entries", "64", "--page-size", "2M", "--working-set", "64M", "--pattern", "zipf", "--accesses", "20000", "--seed", "1");
    expect(big.hitRate, "64 × 2M covers 64M").toBeGreaterThan(0.99);
  });

  it("thp-split predicts a drop and states its parameters", () => {
    const r = json("thp-split", "--fraction", "0.25");
    expect(r.throughputChangePercent).toBeLessThan(0);
    expect(Math.abs(r.throughputChangePercent - -5.06)).toBeLessThanOrEqual(0.5);
    expect(r.params).toBeTypeOf("object");
    expect(r.fitted.name).toBeTypeOf("string");
  });

  it("iotlb shows the cliff: 4K falls off where 2M still fits", () => {
    const r = json("iotlb", "--entries", "64", "--working-set", "16M", "--accesses", "50000");
    const by = Object.fromEntries(r.points.map((p: { pageSize: string; relativeThroughput: number }) => [p.pageSize, p.relativeThroughput]));
    expect(by["2M"], "16M fits 64 × 2M").toBeGreaterThan(0.95);
    expect(by["4K"], "16M is 16× the 4K reach").toBeLessThan(by["2M"]);
  });

  it.each([
    [["tlb", "--entries", "abc", "--page-size", "4K", "--working-set", "1M"], /--entries/],
    [["tlb", "--entries", "64", "--page-size", "3K", "--working-set", "1M"], /--page-size/],
    [["tlb", "--entries", "64", "--page-size", "4K", "--working-set", "lots"], /--working-set/],
    [["tlb", "--entries", "64", "--page-size", "4K", "--working-set", "1M", "--pattern", "random"], /--pattern/],
    [["tlb", "--entries", "64", "--page-size", "4K", "--working-set", "1M", "--entriez", "64"], /--entriez/],
    [["tlb", "--page-size", "4K", "--working-set", "1M"], /--entries/],
    [["thp-split", "--fraction", "1.5"], /--fraction/],
    [["tlb", "--entries", "60", "--ways", "7", "--page-size", "4K", "--working-set", "1M"], /ways/],
  ])("a bad flag %j gets one line naming it, exit 2, no stack trace", (args, flag) => {
    const r = cli(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    const lines = r.err.trim().split("\n");
    expect(lines.length, `stderr was:\n${r.err}`).toBe(1);
    expect(lines[0]).toMatch(flag);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
