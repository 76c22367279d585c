// The CLI contract: every command takes --json and prints one JSON object; a bad flag gives
// one line naming the flag, exit code 2 and no stack trace.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memoryLostByPolicy } from "../src/mfr/policy/memory-lost.js";
import { dmaOutcomeRows, heldBackOverVmLife, type VmLifeOptions } from "../src/iommufd/vm-life.js";
import { GMEM_ASSUMPTIONS, gmemOutcomeRows } from "../src/guest_memfd/index.js";
import { zapCost } from "../src/vfio/zap-cost.js";
import { CPU_PRESETS } from "../src/tlb/presets.js";
import { CH2_EXAMPLE } from "../docs/.vitepress/lib-values-ch2.js";
import { CH3_POLICIES, ch3VmLife } from "../docs/.vitepress/ch3-example.js";
import { CH4_EXAMPLE, ch4Outcomes } from "../docs/.vitepress/ch4-example.js";
import { CH5_EXAMPLE } from "../docs/.vitepress/ch5-example.js";

const ROOT = join(__dirname, "..");
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "mfr-lab.mjs"), ...args], { encoding: "utf8", cwd: ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
/** What the CLI's JSON can carry: the library's value after a JSON round trip. */
const viaJson = <T>(x: T): T => JSON.parse(JSON.stringify(x));
function json(...args: string[]) {
  const r = cli(...args, "--json");
  expect(r.code, `${args.join(" ")} failed: ${r.err}`).toBe(0);
  const lines = r.out.trim().split("\n");
  expect(lines.length, "--json prints exactly one line").toBe(1);
  return JSON.parse(lines[0]);
}

describe("mfr-lab CLI", { timeout: 60_000 }, () => {
  it("--kernel-version on memory-lost and pin-life: the kernel is echoed, a version the model lacks is one line and exit 2", () => {
    expect(json("memory-lost", "--errors", "2", "--guest", "4G", "--folio", "2M", "--kernel-version", "6.12").kernel).toBe("6.12");
    expect(json("memory-lost", "--errors", "2", "--guest", "4G", "--folio", "2M").kernel).toBe("7.3");
    const old = json("pin-life", "--policy", "none", "--errors", "1", "--guest", "2G", "--days", "3", "--kernel-version", "6.12").series[0].options;
    expect(old, "6.12 has no IOMMU_IOAS_MAP_FILE: guest RAM is mapped by address").toMatchObject({ kernel: "6.12", map: "va" });
    const noFile = cli("pin-life", "--kernel-version", "6.12", "--map", "file");
    expect(noFile.code).toBe(2);
    expect(noFile.err).toMatch(/--map: kernel 6\.12 has no IOMMU_IOAS_MAP_FILE/);
    for (const cmd of ["memory-lost", "pin-life", "scenario"]) {
      const r = cli(cmd, ...(cmd === "scenario" ? [join(ROOT, "scenarios", "buddy-page.yaml")] : []), "--kernel-version", "5.15");
      expect(r.code, cmd).toBe(2);
      expect(r.err.trim().split("\n"), cmd).toHaveLength(1);
      expect(r.err, cmd).toMatch(/--kernel-version.*5\.15/);
    }
  });

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

  it("memory-lost prints memoryLostByPolicy()'s result, defaults = Chapter 2's example, reproducible from the seed", () => {
    const args = ["memory-lost", "--errors", "3", "--guest", "4G", "--folio", "2M", "--policy-variant", "v1-buggy", "--pinned", "--seed", "5"];
    const a = json(...args);
    const { policyVariant, pinned, assumptions, ...result } = a;
    expect(result, "the CLI adds nothing to the model's numbers").toEqual(viaJson(memoryLostByPolicy({ errors: 3, guest: "4G", folio: "2M", policyVariant: "v1-buggy", pinned: true, seed: 5 })));
    expect([policyVariant, pinned]).toEqual(["v1-buggy", true]);
    expect(assumptions.length).toBeGreaterThan(0);
    expect(json(...args), "same seed, same error pattern and losses").toEqual(a);
    expect(json(...args.slice(0, -1), "6").pattern, "another seed moves the errors").not.toEqual(a.pattern);
    const { policyVariant: _v, pinned: _p, assumptions: _a, ...page } = json("memory-lost");
    expect(page, "no flags reproduce the page's memory-lost table").toEqual(viaJson(memoryLostByPolicy({ errors: CH2_EXAMPLE.errors, guest: CH2_EXAMPLE.guest, seed: CH2_EXAMPLE.seed })));
  });

  it("pin-life prints heldBackOverVmLife() per policy and dmaOutcomeRows(), defaults = Chapter 3's example", () => {
    const args = ["pin-life", "--policy", "ebusy,revoke", "--errors", "2", "--guest", "64M", "--page-size", "2M", "--days", "12", "--dma-per-day", "5", "--map", "va", "--no-punch-poisoned", "--no-revoke-on-poison", "--teardown", "exit", "--seed", "9"];
    const a = json(...args);
    const opts: Omit<VmLifeOptions, "policy"> = { errors: 2, guest: "64M", pageSize: "2M", days: 12, dmaPerDay: 5, map: "va", punchPoisoned: false, revokeOnPoison: false, teardown: "exit", keepUeMapped: true, seed: 9 };
    const series = (["ebusy", "revoke"] as const).map((policy) => heldBackOverVmLife({ policy, ...opts }));
    expect(a.series, "one VM life per policy, as the library runs it").toEqual(viaJson(series));
    expect(a.dma).toEqual(viaJson(dmaOutcomeRows(series)));
    expect(a.assumptions.length).toBeGreaterThan(0);
    expect(json(...args), "same seed, same error days and DMA targets").toEqual(a);
    expect(json(...args.slice(0, -1), "10").series[0].errors, "another seed moves the errors").not.toEqual(a.series[0].errors);
    const page = CH3_POLICIES.map((p) => ch3VmLife(p));
    const d = json("pin-life");
    expect(d.series, "no flags reproduce the page's held-back and DMA tables").toEqual(viaJson(page));
    expect(d.dma).toEqual(viaJson(dmaOutcomeRows(page)));
  });

  it("gmem prints gmemOutcomeRows() with GMEM_ASSUMPTIONS, defaults = Chapter 4's example", () => {
    const args = ["gmem", "--memory", "2G", "--folio-size", "2M", "--errors", "6", "--accesses", "3000", "--dmas", "2000", "--retouch", "0.1", "--hwpoison-scope", "page", "--policy", "zap-folio,split-then-zap", "--design", "tdx-connect,sev-snp", "--seed", "4"];
    const a = json(...args);
    const base = { memory: "2G", folioSize: "2M" as const, errors: 6, accesses: 3000, dmas: 2000, retouch: 0.1, hwpoisonScope: "page" as const, seed: 4 };
    expect(a.rows, "one row per design × policy, as the library computes it").toEqual(viaJson(gmemOutcomeRows(base, ["zap-folio", "split-then-zap"], ["tdx-connect", "sev-snp"])));
    expect(a.rows.length).toBe(4);
    expect(a.assumptions).toEqual([...GMEM_ASSUMPTIONS]);
    expect(json(...args), "same seed, same poisoned GFNs and accesses").toEqual(a);
    expect(json(...args.slice(0, -1), "5").rows, "another seed changes the exits and consumptions").not.toEqual(a.rows);
    const page = json("gmem");
    expect(page.rows, "no flags reproduce the page's policy × design table").toEqual(viaJson(ch4Outcomes()));
    expect([page.memory, page.folioSize, page.errors, page.seed]).toEqual([CH4_EXAMPLE.memory, CH4_EXAMPLE.folioSize, CH4_EXAMPLE.errors, CH4_EXAMPLE.seed]);
  });

  it("zap-cost prints zapCost(), defaults = Chapter 5's usemem region", () => {
    const a = json("zap-cost", "--region", "3G", "--guest-page", "4K", "--kept-page", "2M", "--paging-levels", "5", "--cpu", "zen4");
    const { cpu, guestPage, pagingLevels, ...result } = a;
    expect(result).toEqual(viaJson(zapCost(3 * 2 ** 30, { cpu: CPU_PRESETS.zen4, guestPage: "4K", keptPage: "2M", pagingLevels: 5 })));
    expect([cpu, guestPage, pagingLevels]).toEqual(["zen4", "4K", 5]);
    const { cpu: _c, guestPage: _g, pagingLevels: _l, ...page } = json("zap-cost");
    expect(page, "no flags reproduce the page's kept vs zapped figures").toEqual(viaJson(zapCost(CH5_EXAMPLE.usememBytes)));
  });

  it.each([
    ["memory-lost", ["--errors", "x"], "a whole number"],
    ["pin-life", ["--policy", "none,kill"], "not one of"],
    ["gmem", ["--hwpoison-scope", "folios"], "not one of"],
    ["zap-cost", ["--guest-page", "3K"], "not a page size"],
  ])("%s: human output names its assumptions; a bad %j exits 2 with one line", (cmd, bad, why) => {
    const ok = cli(cmd as string);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/assumption: /);
    const r = cli(cmd as string, ...(bad as string[]));
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    const lines = r.err.trim().split("\n");
    expect(lines.length, `stderr was:\n${r.err}`).toBe(1);
    expect(lines[0]).toContain((bad as string[])[0]);
    expect(lines[0]).toContain(why as string);
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
    // Values only the library can refuse: its ParameterError comes out naming the flag.
    [["memory-lost", "--guest", "3M", "--folio", "2M"], /^mfr-lab: --guest: .*not a whole number of 2M pages/],
    [["pin-life", "--errors", "40"], /^mfr-lab: --errors: 40 errors do not fit in 30 days \(one error a day, on days 1 to 29\)/],
    [["gmem", "--memory", "17M", "--folio-size", "2M"], /^mfr-lab: --memory: .*not a whole number of 2M folios/],
    [["zap-cost", "--region", "1K"], /--region <size>' argument '1K' is invalid\. 1K is out of range \(use 4K to /],
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
