// Property-based tests for Chapter 4: the invalidation ranges of kvm_gmem_error_folio() against a
// naive page-by-page count, and the VM model's invariants over random error/access/DMA sequences.
// Seeded; a failure prints its seed and a one-line replay command.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  GMEM_POLICIES, GuestMemfdVm, basePagesPer, folioIndexRange, gmemPolicyOutcome, kvmGmemErrorFolio, kvmGmemInvalidateRanges,
  type GmemBinding, type GmemPolicy, type HwpoisonScope, type PageSize,
} from "../../src/index.js";

const RUNS = Number(process.env.GMEM_RUNS ?? 200);
const SEED = process.env.GMEM_SEED ? Number(process.env.GMEM_SEED) : Date.now() % 2 ** 31;

function run(name: string, prop: fc.IProperty<never>, runs = RUNS): void {
  try {
    fc.assert(prop as fc.IProperty<unknown>, { numRuns: runs, seed: SEED });
  } catch (e) {
    throw new Error(`${(e as Error).message}\nreplay: GMEM_SEED=${SEED} npx vitest run test/guest_memfd/properties.test.ts -t "${name}"`);
  }
}

/** Non-overlapping bindings of one file, built from gaps and lengths (kvm_gmem_bind refuses overlap). */
const bindingsArb: fc.Arbitrary<GmemBinding[]> = fc.array(fc.record({ gap: fc.nat(700), len: fc.integer({ min: 1, max: 900 }), base: fc.nat(1 << 20) }), { minLength: 1, maxLength: 5 })
  .map((xs) => {
    let off = 0;
    return xs.map((x, i) => {
      const pgoff = off + x.gap;
      off = pgoff + x.len;
      return { slot: i, baseGfn: x.base * 1024, npages: x.len, pgoff };
    });
  });
const sizeArb = fc.constantFrom<PageSize>("4K", "2M");

describe("kvm_gmem_invalidate_start() ranges", () => {
  const name = "the zapped GFNs are exactly the bound file pages of the folio, each mapped back to its index";
  it(name, () => {
    run(name, fc.property(bindingsArb, fc.nat(6000), sizeArb, (bindings, index, size) => {
      const [start, end] = folioIndexRange(index, size);
      expect(start <= index && index < end, "the folio holds the index").toBe(true);
      expect(end - start).toBe(basePagesPer(size));
      const r = kvmGmemErrorFolio(bindings, index, size);
      let naive = 0;
      for (let p = start; p < end; p++) if (bindings.some((b) => b.pgoff <= p && p < b.pgoff + b.npages)) naive++;
      expect(r.zappedGfns, "zapped = bound pages of the folio").toBe(naive);
      for (const g of r.ranges) {
        const b = bindings.find((x) => x.slot === g.slot)!;
        expect(g.start, "range starts inside the slot").toBeGreaterThanOrEqual(b.baseGfn);
        expect(g.end, "range ends inside the slot").toBeLessThanOrEqual(b.baseGfn + b.npages);
        const first = g.start - b.baseGfn + b.pgoff;
        const last = g.end - 1 - b.baseGfn + b.pgoff;
        expect(first >= start && last < end, "kvm_gmem_get_index of every zapped GFN is in the folio").toBe(true);
      }
      expect(r.returns).toBe("MF_DELAYED");
    }));
  });

  it("a range over the whole file covers every binding exactly once", () => {
    run("whole file", fc.property(bindingsArb, (bindings) => {
      const last = Math.max(...bindings.map((b) => b.pgoff + b.npages));
      const r = kvmGmemInvalidateRanges(bindings, 0, last);
      expect(r.map((g) => g.end - g.start)).toEqual([...bindings].sort((a, b) => a.pgoff - b.pgoff).map((b) => b.npages));
    }));
  });
});

type Op = { op: "poison" | "access" | "dma"; at: number };
const opArb: fc.Arbitrary<Op> = fc.record({ op: fc.constantFrom<"poison" | "access" | "dma">("poison", "access", "access", "dma"), at: fc.nat() });

describe("GuestMemfdVm invariants", () => {
  const name = "zap/poison bookkeeping agrees with the policy under any sequence";
  it(name, () => {
    run(name, fc.property(
      fc.constantFrom<PageSize>("4K", "2M", "1G"), fc.constantFrom(...GMEM_POLICIES), fc.constantFrom<HwpoisonScope>("folio", "page"),
      fc.constantFrom("tdx-connect", "sev-snp", "no-device" as const), fc.nat(1 << 20), fc.array(opArb, { minLength: 1, maxLength: 60 }),
      (folioSize, policy: GmemPolicy, scope, design, base, ops) => {
        const folioPages = basePagesPer(folioSize);
        const nFolios = folioSize === "1G" ? 2 : 4;
        const vm = new GuestMemfdVm({ memory: nFolios * folioPages * 4096, folioSize, policy, hwpoisonScope: scope, design, baseGfn: base });
        // Keep GFNs in a small window of each folio so errors and accesses meet.
        const gfnOf = (x: number) => base + (x % nFolios) * folioPages + (Math.floor(x / nFolios) % Math.min(folioPages, 8));
        let exits = 0;
        const poisoned = new Set<number>();
        for (const o of ops) {
          const g = gfnOf(o.at);
          if (o.op === "poison") {
            const r = vm.poison(g);
            expect(r.errorRemoveFolio, "kvm_gmem_error_folio runs once per new poisoned page").toBe(poisoned.has(g) ? "none" : "MF_DELAYED");
            poisoned.add(g);
            expect(r.range[0] <= g && g < r.range[1]).toBe(true);
          } else if (o.op === "access") {
            const a = vm.vcpuAccess(g);
            if (a.result === "KVM_EXIT_MEMORY_FAULT") {
              exits++;
              expect(a.memoryFault).toEqual({ gpa: g * 4096, size: 4096, flags: 8 });
            }
            if (poisoned.has(g)) expect(a.result, "a poisoned page never reads as ok").not.toBe("ok");
            if (policy === "keep-mapped") expect(a.result).not.toBe("KVM_EXIT_MEMORY_FAULT");
          } else {
            const d = vm.dma(g);
            if (design === "no-device") expect(d.result).toBe("no-device");
            if (design === "sev-snp") expect(d.result, "separate IOMMU tables never see the zap").not.toBe("dma-fault");
            if (poisoned.has(g) && design !== "no-device") expect(d.result).not.toBe("ok");
          }
          const m = vm.metrics();
          expect(m.poisonedGfns).toBe(poisoned.size);
          expect(m.exits).toBe(exits);
          expect(m.healthyGfnsLost + m.poisonedGfns).toBeLessThanOrEqual(m.privateGfns);
          expect(m.healthyGfnsUnmapped).toBeLessThanOrEqual(m.zappedGfns);
          if (policy === "keep-mapped") expect(m.zappedGfns, "keep-mapped zaps nothing").toBe(0);
          if (policy === "split-then-zap") {
            expect(m.healthyGfnsLost, "split-then-zap loses no healthy GFN").toBe(0);
            expect(m.zappedGfns, "split-then-zap zaps only poisoned pages").toBe(poisoned.size);
          }
          if (policy === "zap-folio") {
            const folios = new Set([...poisoned].map((p) => Math.floor((p - base) / folioPages))).size;
            expect(m.healthyGfnsLost, "zap-folio: every healthy GFN of a poisoned folio is lost when the folio reads as hwpoisoned")
              .toBe(scope === "folio" ? folios * folioPages - poisoned.size : 0);
            for (const p of poisoned) expect(vm.isMapped(p), "a poisoned page never faults back in").toBe(false);
          }
        }
      },
    ), 120);
  });

  it("gmemPolicyOutcome is a function of its inputs", () => {
    run("deterministic", fc.property(fc.nat(2 ** 31), fc.constantFrom(...GMEM_POLICIES), fc.constantFrom<PageSize>("4K", "2M"), (seed, policy, folioSize) => {
      const o = { memory: "1G", folioSize, errors: 3, accesses: 200, dmas: 200, policy, design: "tdx-connect" as const, seed };
      expect(gmemPolicyOutcome(o)).toEqual(gmemPolicyOutcome(o));
    }), 40);
  });
});
