// memoryLostByPolicy runs the Machine for both policies; these cases pin what it must find,
// each named after the kernel behaviour or mailing-list statement it reproduces.
import { describe, expect, it } from "vitest";
import { ParameterError, errorPattern, memoryLostByPolicy, memoryLostSeries } from "../../src/index.js";

const G = 2 ** 30;
const M2 = 2 ** 21;

function distinctFolios(pattern: number[], folioBytes: number): number {
  return new Set(pattern.map((p) => Math.floor((p * 4096) / folioBytes))).size;
}

describe("errorPattern", () => {
  it("draws distinct 4K pages inside the guest, the same ones for the same seed", () => {
    const a = errorPattern({ errors: 50, guest: "4G", seed: 7 });
    expect(new Set(a).size, "errors land on distinct pages").toBe(50);
    for (const p of a) expect(p >= 0 && p < (4 * G) / 4096, `page ${p} inside a 4G guest`).toBe(true);
    expect(errorPattern({ errors: 50, guest: "4G", seed: 7 })).toEqual(a);
    expect(errorPattern({ errors: 50, guest: "4G", seed: 8 })).not.toEqual(a);
  });

  it("a pattern of n errors is the first n of a longer one (so a curve over n is one error history)", () => {
    const long = errorPattern({ errors: 30, guest: "8G", seed: 3 });
    expect(errorPattern({ errors: 12, guest: "8G", seed: 3 })).toEqual(long.slice(0, 12));
  });

  it("rejects more errors than pages with a ParameterError", () => {
    expect(() => errorPattern({ errors: 513, guest: "2M", seed: 1 })).toThrow(ParameterError);
  });
});

describe("memoryLostByPolicy: 1G HugeTLB guest", () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: default loses every poisoned 1G folio (lsb 30) and leaks it at release; nr_hugepages unchanged, free lower (Jiaqi Yan, 21 Jan 2025)`, () => {
      const r = memoryLostByPolicy({ errors: 6, guest: "8G", seed });
      const folios = distinctFolios(r.pattern, G);
      expect(r.default.live.lsbs, "si_addr_lsb of a 1G HugeTLB page (__add_to_kill, folio_shift)").toEqual([30]);
      expect(r.default.live.unreadableBytes).toBe(folios * G);
      expect(r.default.afterRelease.leakedBytes, "MF's reference keeps each poisoned folio out of the pool (me_huge_page)").toBe(folios * G);
      expect(r.default.afterRelease.hugetlb.nr, "nr_hugepages unchanged").toBe(8);
      expect(r.default.afterRelease.hugetlb.free, "free_hugepages lower by the poisoned folios").toBe(8 - folios);
      expect(r.default.afterRelease.violations).toEqual([]);
    });

    it(`seed ${seed}: keep-UE-mapped loses 4K per raw error (lsb 12), live and after release; the folios are dissolved (filemap_offline_hwpoison_folio)`, () => {
      const r = memoryLostByPolicy({ errors: 6, guest: "8G", seed });
      const folios = distinctFolios(r.pattern, G);
      expect(r.keepUeMapped.live.lsbs, "si_addr_lsb narrowed to PAGE_SHIFT").toEqual([12]);
      expect(r.keepUeMapped.live.unreadableBytes).toBe(6 * 4096);
      expect(r.keepUeMapped.afterRelease.offlinedBytes, "raw pages taken off the buddy allocator").toBe(6 * 4096);
      expect(r.keepUeMapped.afterRelease.leakedBytes).toBe(0);
      expect(r.keepUeMapped.afterRelease.hugetlb.nr, "each poisoned folio is dissolved into 4K pages").toBe(8 - folios);
      expect(r.keepUeMapped.afterRelease.hugetlb.lost, "…so the pool loses it as a 1G page either way").toBe(folios);
      expect(r.keepUeMapped.afterRelease.violations).toEqual([]);
    });
  }

  it("2M HugeTLB: default loses 2M per poisoned folio with lsb 21", () => {
    const r = memoryLostByPolicy({ errors: 5, guest: "64M", folio: "2M", seed: 4 });
    expect(r.default.live.lsbs).toEqual([21]);
    expect(r.default.live.unreadableBytes).toBe(distinctFolios(r.pattern, M2) * M2);
    expect(r.keepUeMapped.live.unreadableBytes).toBe(5 * 4096);
  });

  it("no errors, nothing lost under either policy", () => {
    const r = memoryLostByPolicy({ errors: 0, guest: "2G" });
    for (const p of [r.default, r.keepUeMapped]) {
      expect(p.live.unreadableBytes).toBe(0);
      expect(p.afterRelease.unusableBytes).toBe(0);
      expect(p.afterRelease.hugetlb).toEqual({ nr: 2, free: 2, lost: 0 });
    }
  });

  it("a pin held through release (iommufd, VFIO): the kept folios are not dissolved and are lost whole ('should' become free vs 'won't', Jason Gunthorpe)", () => {
    const r = memoryLostByPolicy({ errors: 4, guest: "4G", seed: 5, pinned: true });
    const folios = distinctFolios(r.pattern, G);
    expect(r.keepUeMapped.live.unreadableBytes, "while live the pin changes nothing").toBe(4 * 4096);
    expect(r.keepUeMapped.afterRelease.unusableBytes).toBe(folios * G);
    expect(r.keepUeMapped.afterRelease.offlinedBytes).toBe(0);
  });

  it("v1-buggy release leaves poisoned raw pages on the free lists (William Roche, 19 Sep 2025); v1 and v2 do not", () => {
    const bad = memoryLostByPolicy({ errors: 3, guest: "2G", seed: 9, policyVariant: "v1-buggy" });
    expect(bad.keepUeMapped.afterRelease.violations.some((v) => v.startsWith("poisoned-frame-free")), bad.keepUeMapped.afterRelease.violations.join("\n")).toBe(true);
    expect(bad.keepUeMapped.afterRelease.offlinedBytes, "nothing was taken off").toBe(0);
    for (const v of ["v1", "v2"] as const) {
      const ok = memoryLostByPolicy({ errors: 3, guest: "2G", seed: 9, policyVariant: v });
      expect(ok.keepUeMapped.afterRelease.violations, v).toEqual([]);
      expect(ok.keepUeMapped.afterRelease.offlinedBytes, v).toBe(3 * 4096);
    }
  });

  it("memoryLostSeries: one error history, losses never shrink as errors arrive", () => {
    const s = memoryLostSeries({ maxErrors: 12, guest: "4G", seed: 11 });
    expect(s.map((p) => p.errors)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (let i = 1; i < s.length; i++) {
      expect(s[i].default.live.unreadableBytes).toBeGreaterThanOrEqual(s[i - 1].default.live.unreadableBytes);
      expect(s[i].keepUeMapped.afterRelease.unusableBytes - s[i - 1].keepUeMapped.afterRelease.unusableBytes, "one more 4K page each").toBe(4096);
    }
    expect(s[12].default.live.unreadableBytes, "4G guest: at most 4G lost").toBeLessThanOrEqual(4 * G);
  });

  it("rejects a guest that is not a whole number of folios", () => {
    expect(() => memoryLostByPolicy({ errors: 1, guest: "3M", folio: "2M" })).toThrow(ParameterError);
  });
});
