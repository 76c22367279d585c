// Property-based tests: random map/unmap/copy/DMA/poison/truncate sequences on a VMM whose guest
// memory is memfds mapped with IOMMU_IOAS_MAP_FILE. Under the revoke policy no DMA may reach
// poison (or memory memory-failure handling isolated, or a freed frame) and no invariant may
// break; without it, and with revoke but no IOTLB invalidation, the search must find failures.
// Seeded; a failure prints its seed and a one-line replay command.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Machine } from "../../src/mfr/index.js";
import { Iommufd, type Ioas, type IoptArea, type PinPolicy } from "../../src/iommufd/index.js";

const RUNS = Number(process.env.IOMMUFD_RUNS ?? 600);
const SEED = process.env.IOMMUFD_SEED ? Number(process.env.IOMMUFD_SEED) : Date.now() % 2 ** 31;
const M2 = 2 ** 21;
const IOMMU_INVARIANTS: readonly string[] = ["iommu-pin-accounting", "iommu-stale-translation", "dma-to-freed-frame"];

type Op =
  | { op: "memfd"; kind: 0 | 1 | 2 | 3; pages: number }
  | { op: "touch"; f: number; off: number }
  | { op: "mapFile"; f: number; ioas: number; start: number; pages: number }
  | { op: "copy"; a: number; ioas: number }
  | { op: "unmap"; a: number }
  | { op: "dma"; dev: number; a: number; off: number; hot: boolean }
  | { op: "poison"; f: number; off: number }
  | { op: "madvise"; f: number; off: number }
  | { op: "truncate"; f: number; half: boolean }
  | { op: "punch"; f: number; at: number }
  | { op: "close"; f: number };

const n = fc.nat(1000);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("memfd" as const), kind: fc.constantFrom<0 | 1 | 2 | 3>(0, 1, 2, 3), pages: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ op: fc.constant("touch" as const), f: n, off: n }),
  fc.record({ op: fc.constant("mapFile" as const), f: n, ioas: n, start: n, pages: n }),
  fc.record({ op: fc.constant("mapFile" as const), f: n, ioas: n, start: n, pages: n }),
  fc.record({ op: fc.constant("copy" as const), a: n, ioas: n }),
  fc.record({ op: fc.constant("unmap" as const), a: n }),
  fc.record({ op: fc.constant("dma" as const), dev: n, a: n, off: n, hot: fc.boolean() }),
  fc.record({ op: fc.constant("dma" as const), dev: n, a: n, off: n, hot: fc.boolean() }),
  fc.record({ op: fc.constant("dma" as const), dev: n, a: n, off: n, hot: fc.boolean() }),
  fc.record({ op: fc.constant("poison" as const), f: n, off: n }),
  fc.record({ op: fc.constant("madvise" as const), f: n, off: n }),
  fc.record({ op: fc.constant("truncate" as const), f: n, half: fc.boolean() }),
  fc.record({ op: fc.constant("punch" as const), f: n, at: n }),
  fc.record({ op: fc.constant("close" as const), f: n }),
);

/** The guest memory the VMM starts with: memfd kinds (hugetlb 2M, hugetlb 2M kept, shmem 4K, shmem THP), each mapped whole into IOAS 0. */
const initArb = fc.array(fc.constantFrom<0 | 1 | 2 | 3>(0, 1, 2, 3), { minLength: 1, maxLength: 3 });
const caseArb = fc.record({ init: initArb, ops: fc.array(opArb, { minLength: 1, maxLength: 24 }) });
type Case = { init: (0 | 1 | 2 | 3)[]; ops: Op[] };

interface Memfd {
  fd: number;
  addr: number;
  size: number;
  unit: number;
  open: boolean;
}

/** Runs one sequence on a fresh machine; returns the machine and the iommufd. */
function run(policy: PinPolicy, c: Case, skipIotlbInvalidation = false): { m: Machine; ctx: Iommufd } {
  // free_has_hwpoisoned on: without it mainline frees an unsplit poisoned THP whole (test/mfr fidelity table).
  const m = new Machine({ memory: "64M", hugetlb: { "2M": 8 }, freeHasHwpoisoned: true });
  const vmm = m.spawn();
  const ctx = new Iommufd(m, vmm, { policy, iotlb: { entries: 8 } });
  ctx.reg.skipIotlbInvalidation = skipIotlbInvalidation;
  const ioases: Ioas[] = [ctx.ioasAlloc(), ctx.ioasAlloc()];
  const devs = [ioases[0].attach("nic0"), ioases[1].attach("nvme0")];
  const memfds: Memfd[] = [];
  const alive = () => m.tasks.get(vmm)?.alive === true;
  const openFds = () => memfds.filter((x) => x.open);
  const areas = (): IoptArea[] => ioases.flatMap((s) => s.areas);
  const pick = <T>(a: T[], i: number): T | undefined => (a.length ? a[i % a.length] : undefined);
  const initOps = c.init.flatMap((kind, i): Op[] => [
    { op: "memfd", kind, pages: 1 },
    { op: "mapFile", f: i, ioas: 0, start: 0, pages: 1e9 },
  ]);
  for (const o of [...initOps, ...c.ops]) {
    if (!alive()) break;
    switch (o.op) {
      case "memfd": {
        if (memfds.length >= 4) break;
        const hugetlb = o.kind <= 1 ? ("2M" as const) : undefined;
        const size = o.pages * M2;
        const fd = m.memfdCreate(vmm, { size, hugetlb, keepUeMapped: o.kind === 1, thp: o.kind === 3 });
        const addr = m.mmap(vmm, { length: size, fd });
        memfds.push({ fd, addr, size, unit: o.kind === 2 ? 4096 : M2, open: true });
        break;
      }
      case "touch": {
        const x = pick(openFds(), o.f);
        if (x) m.write(vmm, x.addr + (o.off % (x.size / 4096)) * 4096);
        break;
      }
      case "mapFile": {
        const x = pick(openFds(), o.f);
        if (!x) break;
        const cur = m.task(vmm).fds.get(x.fd)!.size;
        if (cur === 0) break;
        const startPage = o.start % (cur / 4096);
        const pages = o.pages >= 1e9 ? cur / 4096 - startPage : 1 + (o.pages % (cur / 4096 - startPage));
        pick(ioases, o.ioas)!.mapFile({ fd: x.fd, start: startPage * 4096, length: pages * 4096 });
        break;
      }
      case "copy": {
        const a = pick(areas(), o.a);
        if (a && !a.revoked) ctx.copy(a.ioas, a.iova, a.length, pick(ioases, o.ioas)!);
        break;
      }
      case "unmap": {
        const a = pick(areas(), o.a);
        if (a) a.ioas.unmap(a.iova, a.length);
        break;
      }
      case "dma": {
        const dev = pick(devs, o.dev)!;
        const ioas = ioases[devs.indexOf(dev)];
        const a = pick(ioas.areas, o.a);
        let iova = a ? a.iova + (o.off % (a.length / 4096)) * 4096 : (o.off + 1) * 4096;
        if (o.hot) {
          // Aim at a poisoned frame if this IOAS still translates to one (the interesting case).
          const hot = ioas.areas.flatMap((x) => Array.from({ length: x.length / 4096 }, (_, i) => x.iova + i * 4096)).find((v) => {
            const pfn = ioas.translate(v);
            return pfn !== null && m.mem.badFrames.has(pfn);
          });
          if (hot !== undefined) iova = hot;
        }
        dev.dma(iova, { write: o.off % 2 === 0 });
        break;
      }
      case "poison":
      case "madvise": {
        const x = pick(openFds(), o.f);
        if (!x) break;
        const addr = x.addr + (o.off % (x.size / 4096)) * 4096;
        if (o.op === "madvise") {
          if (m.task(vmm).findVma(addr)) m.madviseHwpoison(vmm, addr);
          break;
        }
        const as = m.task(vmm).fds.get(x.fd)!;
        const idx = o.off % (x.size / 4096);
        const f = as.folioAt(idx);
        m.memoryFailure(f ? f.pfn + (idx - f.index) : 1024 + (o.off % 15000));
        break;
      }
      case "truncate": {
        const x = pick(openFds(), o.f);
        if (!x) break;
        const cur = m.task(vmm).fds.get(x.fd)!.size;
        const to = o.half ? Math.floor(cur / 2 / x.unit) * x.unit : 0;
        m.truncate(vmm, x.fd, to);
        break;
      }
      case "punch": {
        const x = pick(openFds(), o.f);
        if (!x) break;
        const at = (o.at % (x.size / x.unit)) * x.unit;
        m.punchHole(vmm, x.fd, at, x.unit);
        break;
      }
      case "close": {
        const x = pick(openFds(), o.f);
        if (!x) break;
        m.munmap(vmm, x.addr);
        m.close(vmm, x.fd);
        x.open = false;
        break;
      }
    }
  }
  if (alive()) m.exit(vmm);
  return { m, ctx };
}

function replayHint(name: string, seed: number): string {
  return `replay: IOMMUFD_SEED=${seed} npx vitest run test/iommufd/properties.test.ts -t "${name}"`;
}

function failureText(m: Machine, ctx: Iommufd): string {
  const mt = ctx.metrics();
  const v = m.violations.map((x) => `${x.name}: ${x.detail}`);
  if (mt.dmaToPoison) v.push(`${mt.dmaToPoison} DMA(s) reached a poisoned frame`);
  if (mt.dmaToOffline) v.push(`${mt.dmaToOffline} DMA(s) reached memory memory-failure handling had isolated`);
  if (mt.dmaToFreed) v.push(`${mt.dmaToFreed} DMA(s) reached a freed frame`);
  if (mt.pinnedPages) v.push(`${mt.pinnedPages} pages still pinned after the VMM exited`);
  return v.join("; ");
}

describe("random map/unmap/DMA/poison/truncate sequences (fast-check)", () => {
  const name = "revoke policy: no DMA reaches poison, isolated or freed memory; zero invariant violations";
  it(name, { timeout: 120_000 }, () => {
    try {
      fc.assert(
        fc.property(caseArb, (c) => {
          const { m, ctx } = run("revoke", c);
          m.checkInvariants();
          const text = failureText(m, ctx);
          if (text) throw new Error(text);
        }),
        { numRuns: RUNS, seed: SEED },
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${replayHint(name, SEED)}`);
    }
  });

  const none = "without a revoke (mainline), the search finds a DMA that reaches poison, and no pin invariant breaks";
  it(none, { timeout: 120_000 }, () => {
    let caught = 0;
    try {
      fc.assert(
        fc.property(caseArb, (c) => {
          const { m, ctx } = run("none", c);
          // The DMA is reported, and the pin model stays consistent. Only this module's invariants are
          // asserted here: with pins failing the first split, mainline-mode sequences can reach a gap
          // of the mm model itself (an order-0 hwpoison page freed to buddy; free_pages_prepare()
          // refuses that in the kernel), which test/mfr owns.
          const mine = m.violations.filter((v) => IOMMU_INVARIANTS.includes(v.name));
          if (mine.length > 0) throw new Error(mine.map((v) => `${v.name}: ${v.detail}`).join("; "));
          if (ctx.metrics().dmaToPoison > 0) caught++;
        }),
        { numRuns: Math.min(RUNS, 300), seed: SEED },
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${replayHint(none, SEED)}`);
    }
    expect(caught, `no random sequence had a device DMA reach poison\n${replayHint(none, SEED)}`).toBeGreaterThan(0);
  });

  const stale = "revoke without IOTLB invalidation: the checker finds a stale translation";
  it(stale, { timeout: 120_000 }, () => {
    let caught = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const { m } = run("revoke", c, true);
        if (m.violations.some((v) => v.name === "iommu-stale-translation")) caught++;
      }),
      { numRuns: Math.min(RUNS, 300), seed: SEED },
    );
    expect(caught, `no random sequence exposed the missing invalidation\n${replayHint(stale, SEED)}`).toBeGreaterThan(0);
  });
});
