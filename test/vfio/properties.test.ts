// Property-based tests for Chapter 5: the PFN interval tree against a naive list, and the
// dispatch invariants of memory_failure_pfn() over random mmaps. Seeded; a failure prints its
// seed and a one-line replay command.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  EBUSY, GiB, NvgraceGpuDevice, PfnSpaceTree, USEMEM_REGION_INDEX, memoryFailurePfn,
  type PfnAddressSpace, type PfnSystem,
} from "../../src/index.js";

const RUNS = Number(process.env.VFIO_RUNS ?? 300);
const SEED = process.env.VFIO_SEED ? Number(process.env.VFIO_SEED) : Date.now() % 2 ** 31;

function replayHint(name: string): string {
  return `replay: VFIO_SEED=${SEED} npx vitest run test/vfio/properties.test.ts -t "${name}"`;
}

function run(name: string, prop: fc.IProperty<never> | fc.IPropertyWithHooks<never>, runs = RUNS): void {
  try {
    fc.assert(prop as fc.IProperty<unknown>, { numRuns: runs, seed: SEED });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${replayHint(name)}`);
  }
}

type Op = { op: "reg"; start: number; len: number } | { op: "unreg"; i: number } | { op: "lookup"; pfn: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("reg" as const), start: fc.nat(400), len: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ op: fc.constant("unreg" as const), i: fc.nat(50) }),
  fc.record({ op: fc.constant("lookup" as const), pfn: fc.nat(480) }),
);

describe("pfn_space_itree properties", () => {
  const name = "the tree answers like a naive list of intervals";
  it(name, () => {
    run(name, fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => {
      const tree = new PfnSpaceTree();
      const naive: PfnAddressSpace[] = [];
      const made: PfnAddressSpace[] = [];
      for (const o of ops) {
        if (o.op === "reg") {
          const s: PfnAddressSpace = { start: o.start, last: o.start + o.len - 1, mapping: { name: "m" }, pfnToVmaPgoff: (_v, p) => ({ pgoff: p }), owner: `r${made.length}` };
          made.push(s);
          const overlaps = naive.some((x) => x.start <= s.last && s.start <= x.last);
          const ret = tree.register(s);
          expect(ret, `register [${s.start}, ${s.last}] with ${overlaps ? "an" : "no"} overlap`).toBe(overlaps ? -EBUSY : 0);
          if (!overlaps) naive.push(s);
        } else if (o.op === "unreg") {
          const s = made[o.i % Math.max(1, made.length)];
          if (!s) continue;
          tree.unregister(s);
          const k = naive.indexOf(s);
          if (k >= 0) naive.splice(k, 1);
        } else {
          const want = naive.find((x) => x.start <= o.pfn && o.pfn <= x.last) ?? null;
          expect(tree.lookup(o.pfn), `lookup(${o.pfn})`).toBe(want);
        }
        // Invariants: sorted, non-overlapping, exactly the naive set.
        const sp = tree.spaces;
        for (let i = 1; i < sp.length; i++) expect(sp[i - 1].last, "spaces sorted and disjoint").toBeLessThan(sp[i].start);
        expect(new Set(sp)).toEqual(new Set(naive));
      }
    }));
  });
});

interface MapSpec { pid: number; offPages: number; lenPages: number }
const GPU_PAGES = 4096; // a 16M usemem keeps every case small
const mapArb: fc.Arbitrary<MapSpec> = fc.record({ pid: fc.integer({ min: 1, max: 4 }), offPages: fc.nat(GPU_PAGES - 1), lenPages: fc.integer({ min: 1, max: GPU_PAGES }) })
  .map((m) => ({ ...m, lenPages: Math.min(m.lenPages, GPU_PAGES - m.offPages) }));

describe("memory_failure_pfn() dispatch properties", () => {
  const name = "every SIGBUS points at the poisoned page, and every mapper of it that may be signalled is";
  it(name, () => {
    run(name, fc.property(fc.array(mapArb, { minLength: 1, maxLength: 8 }), fc.nat(GPU_PAGES - 1), fc.integer({ min: 1, max: 4 }), fc.boolean(), (maps, pfnOff, current, endCheck) => {
      const tree = new PfnSpaceTree();
      const base = 0x4000_0000_0000;
      const dev = new NvgraceGpuDevice("g", { usemem: { index: 4, memphys: base, memlength: GPU_PAGES * 4096 } }, { checkVmaEnd: endCheck });
      expect(dev.open(tree)).toBe(0);
      let addr = 0x1000_0000_0000;
      for (const m of maps) {
        dev.mmap(m.pid, USEMEM_REGION_INDEX, m.offPages * 4096, m.lenPages * 4096, addr);
        addr += 2 * GiB;
      }
      const sys: PfnSystem = { tree, vmas: dev.vmas, pids: [1, 2, 3, 4], ramFrames: 1 << 20, sysctlEarlyKill: true };
      const pfn = dev.pfnAt(USEMEM_REGION_INDEX, pfnOff * 4096);
      const r = memoryFailurePfn(sys, pfn, { current });
      expect(r.ret).toBe(0);
      expect(r.unmapped).toBe(false);
      expect(r.countersIncremented).toBe(false);
      for (const k of r.kills) {
        const v = dev.vmas.find((x) => x.pid === k.pid && x.start <= k.addr && k.addr < x.end);
        expect(v, `SIGBUS to pid ${k.pid} at ${k.addr.toString(16)} lies in one of its VMAs`).toBeDefined();
        const regionPage = (v!.pgoff % 2 ** 28) + (k.addr - v!.start) / 4096;
        expect(regionPage, "si_addr maps back to the poisoned page of the region").toBe(pfnOff);
        expect(k.code).toBe(k.pid === current ? "BUS_MCEERR_AR" : "BUS_MCEERR_AO");
        expect(k.lsb).toBe(12);
      }
      const covering = dev.vmas.filter((v) => v.pgoff % 2 ** 28 <= pfnOff && pfnOff < v.pgoff % 2 ** 28 + (v.end - v.start) / 4096);
      expect(r.kills.length, "one SIGBUS per VMA mapping the page").toBe(covering.length);
      // VMAs that start at or before the page but end before it: SIGKILL without the end check.
      const endedBefore = dev.vmas.filter((v) => v.pgoff % 2 ** 28 + (v.end - v.start) / 4096 <= pfnOff);
      expect(r.sigkills.length, endCheck ? "the end check skips VMAs that end before the page" : "vma_address() = -EFAULT → SIGKILL for VMAs that end before the page").toBe(endCheck ? 0 : endedBefore.length);
    }));
  });
});
