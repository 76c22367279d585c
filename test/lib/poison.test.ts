import { describe, expect, it } from "vitest";
import { ParameterError, PMD_ORDER, PUD_ORDER, nonUniformSplit, poisonOutcome, parseSize } from "../../src/index.js";

describe("poisonOutcome: si_addr_lsb follows __add_to_kill", () => {
  it("a 1G HugeTLB folio signals the whole gigabyte (si_addr_lsb 30)", () => {
    const o = poisonOutcome({ backing: "hugetlb", folioSize: "1G" });
    expect(o.siAddrLsb, "size_shift = folio_shift() of a 1G hugetlb folio").toBe(30);
    expect(o.signalledBytes).toBe(parseSize("1G"));
    expect(o.bytesLostImmediately, "the whole 1G is unmapped").toBe(parseSize("1G"));
    expect(o.hugeMappingKept).toBe(false);
    expect(o.decidedBy.join(" ")).toMatch(/__add_to_kill/);
    expect(o.decidedBy.join(" ")).toMatch(/me_huge_page/);
  });

  it("a 2M HugeTLB folio signals 2M (si_addr_lsb 21)", () => {
    expect(poisonOutcome({ backing: "hugetlb", folioSize: "2M" }).siAddrLsb).toBe(21);
  });

  it("a THP is split and only the raw 4K page is signalled (si_addr_lsb 12), leaving 511 healthy 4K pages", () => {
    const o = poisonOutcome({ backing: "thp", folioSize: "2M" });
    expect(o.siAddrLsb, "PAGE_SHIFT after try_to_split_thp_page").toBe(12);
    expect(o.folioFate).toBe("split to 4K");
    expect(o.bytesLostImmediately).toBe(4096);
    expect(o.tlbEntriesBefore).toBe(1);
    expect(o.tlbEntriesAfter, "511 healthy pages, each needing a 4K translation").toBe(511);
    expect(o.hugeMappingKept, "the PMD mapping is gone after the split").toBe(false);
    expect(o.result).toBe("MF_RECOVERED");
    expect(o.decidedBy.join(" ")).toMatch(/try_to_split_thp_page/);
  });

  it("MFD_MF_KEEP_UE_MAPPED reports PAGE_SHIFT and keeps the 1G mapping", () => {
    const o = poisonOutcome({ backing: "hugetlb", folioSize: "1G", keepUeMapped: true });
    expect(o.siAddrLsb).toBe(12);
    expect(o.hugeMappingKept).toBe(true);
    expect(o.tlbEntriesAfter, "one 1G translation still covers the folio").toBe(1);
    expect(o.bytesLostImmediately, "only the raw page SIGBUSes on access").toBe(4096);
  });

  it("file-backed HugeTLB keeps the poisoned folio in page cache; anonymous HugeTLB dissolves it", () => {
    const file = poisonOutcome({ backing: "hugetlb", folioSize: "1G", mapping: "file" });
    const anon = poisonOutcome({ backing: "hugetlb", folioSize: "1G", mapping: "anon" });
    expect(file.folioFate).toBe("kept in page cache");
    expect(file.bytesUnusable, "the whole folio is leaked from the pool").toBe(parseSize("1G"));
    expect(anon.folioFate).toBe("dissolved to buddy");
    expect(anon.bytesUnusable, "only the raw page stays off the allocator after dissolve").toBe(4096);
    expect(anon.decidedBy.join(" ")).toMatch(/dissolve_free_hugetlb_folio/);
  });

  it("a pinned THP cannot be split: MF_MSG_UNSPLIT_THP / MF_FAILED", () => {
    const o = poisonOutcome({ backing: "thp", folioSize: "2M", pinned: true });
    expect(o.mfType).toBe("MF_MSG_UNSPLIT_THP");
    expect(o.result).toBe("MF_FAILED");
    expect(o.folioFate).toBe("split refused");
  });

  it("a pin keeps a kept-mapped folio from being dissolved after release", () => {
    const free = poisonOutcome({ backing: "hugetlb", folioSize: "1G", keepUeMapped: true });
    const pinned = poisonOutcome({ backing: "hugetlb", folioSize: "1G", keepUeMapped: true, pinned: true });
    expect(pinned.bytesUnusable).toBeGreaterThan(free.bytesUnusable);
    expect(pinned.bytesUnusable).toBe(parseSize("1G"));
  });

  it("every outcome loses at most its folio and signals a power of two", () => {
    const cases = [
      { backing: "hugetlb", folioSize: "1G" }, { backing: "hugetlb", folioSize: "2M", mapping: "anon" },
      { backing: "thp", folioSize: "2M" }, { backing: "4k", folioSize: "4K" }, { backing: "4k", folioSize: "4K", pinned: true },
    ] as const;
    for (const c of cases) {
      const o = poisonOutcome(c);
      expect(o.bytesLostImmediately, `${c.backing} ${c.folioSize}`).toBeLessThanOrEqual(o.folioBytes);
      expect(o.bytesUnusable).toBeLessThanOrEqual(o.folioBytes);
      expect(o.signalledBytes).toBe(2 ** o.siAddrLsb);
    }
  });

  it("rejects combinations the kernel does not have, naming the parameter", () => {
    expect(() => poisonOutcome({ backing: "thp", folioSize: "2M", keepUeMapped: true })).toThrow(ParameterError);
    expect(() => poisonOutcome({ backing: "thp", folioSize: "2M", keepUeMapped: true })).toThrow(/keepUeMapped/);
    expect(() => poisonOutcome({ backing: "hugetlb", folioSize: "4K" })).toThrow(/folioSize/);
    expect(() => poisonOutcome({ backing: "thp", folioSize: "1G" })).toThrow(ParameterError);
    expect(() => poisonOutcome({ backing: "hugetlb", folioSize: "1G", mapping: "anon", keepUeMapped: true })).toThrow(ParameterError);
    expect(() => poisonOutcome({ backing: "dax" as never, folioSize: "2M" })).toThrow(/backing/);
  });
});

describe("nonUniformSplit: buddy-style split around the poisoned page (Zi Yan)", () => {
  it("splits 2M into 1M, 512K, …, 4K healthy pieces plus one poisoned 4K page", () => {
    const s = nonUniformSplit(PMD_ORDER, 0);
    expect(s.pieces.length, "9 healthy halves + 1 poisoned page").toBe(10);
    const healthyOrders = s.pieces.filter((p) => !p.poisoned).map((p) => p.order).sort((a, b) => b - a);
    expect(healthyOrders).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(s.pieces[0]).toMatchObject({ start: 0, order: 0, poisoned: true });
  });

  it("pieces tile the folio exactly, in address order, each naturally aligned", () => {
    for (const [order, idx, min] of [[9, 0, 0], [9, 511, 0], [9, 300, 0], [9, 137, 2], [18, 123457, 0], [4, 9, 1]] as const) {
      const s = nonUniformSplit(order, idx, min);
      let next = 0;
      for (const p of s.pieces) {
        expect(p.start, `piece at ${p.start} follows the previous one`).toBe(next);
        expect(p.start % p.pages, `order-${p.order} piece at ${p.start} is aligned`).toBe(0);
        next += p.pages;
      }
      expect(next, "the pieces add up to the folio").toBe(2 ** order);
      expect(s.pieces.reduce((a, p) => a + p.bytes, 0)).toBe(4096 * 2 ** order);
      expect(s.healthyBytes + s.poisonedBytes).toBe(4096 * 2 ** order);
    }
  });

  it("the single poisoned piece has order minOrder and contains the poisoned index", () => {
    for (const min of [0, 1, 3, 9]) {
      const idx = 1000 % 512;
      const s = nonUniformSplit(PMD_ORDER, idx, min);
      const bad = s.pieces.filter((p) => p.poisoned);
      expect(bad.length).toBe(1);
      expect(bad[0].order).toBe(min);
      expect(idx >= bad[0].start && idx < bad[0].start + bad[0].pages, "the poisoned page lies in the poisoned piece").toBe(true);
      expect(s.pieces.length, "one healthy piece per halving, plus the poisoned one").toBe(PMD_ORDER - min + 1);
    }
  });

  it("counts translations: a 2M split needs 511 4K entries either way; a 1G split needs far fewer non-uniformly", () => {
    const two = nonUniformSplit(PMD_ORDER, 5);
    expect(two.tlbEntries.uniform).toBe(511);
    expect(two.tlbEntries.nonUniform, "mTHP pieces below 2M are mapped by 4K PTEs").toBe(511);
    expect(two.folioCount.uniform).toBe(512);
    expect(two.folioCount.nonUniform).toBe(10);
    const gig = nonUniformSplit(PUD_ORDER, 5);
    expect(gig.tlbEntries.uniform).toBe(2 ** 18 - 1);
    // Pieces of order 9..17 map with 2M entries (1+2+…+256 = 511), orders 0..8 with 4K PTEs (511).
    expect(gig.tlbEntries.nonUniform).toBe(511 + 511);
    expect(gig.assumptions.length).toBeGreaterThan(0);
  });

  it("rejects a poisoned index outside the folio and impossible orders", () => {
    expect(() => nonUniformSplit(9, 512)).toThrow(ParameterError);
    expect(() => nonUniformSplit(9, 512)).toThrow(/poisonedIndex/);
    expect(() => nonUniformSplit(9, -1)).toThrow(/poisonedIndex/);
    expect(() => nonUniformSplit(9, 1.5)).toThrow(/poisonedIndex/);
    expect(() => nonUniformSplit(9, 0, 10)).toThrow(/minOrder/);
    expect(() => nonUniformSplit(0, 0)).toThrow(/folioOrder/);
    expect(() => nonUniformSplit(19, 0)).toThrow(/folioOrder/);
  });
});
