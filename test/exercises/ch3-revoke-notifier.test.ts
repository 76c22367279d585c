// Exercise ch3.4: a revoke notifier. Each seeded case maps a HugeTLB memfd for two devices through
// iommufd (one area shared by IOMMU_IOAS_COPY), registers the student's MachineNotifier, and drives
// a random sequence of DMAs, uncorrected errors and hole punches. No DMA may reach poison or memory
// memory-failure took away, the IOTLB must be invalidated, and every outcome must match the
// model's own revoke policy run on a twin machine.
import { describe, it } from "vitest";
import { Iommufd, Machine, type Device, type Ioas, type Rng } from "../../src/index.js";
import { call, fail, loadExercise, seeded } from "./_harness.js";

const ID = "ch3-revoke-notifier";
// The model's own revoke policy: the exercise is to find and remove the areas yourself.
const FINISHED = ["revokeFile"];
type Mod = typeof import("../../exercises/ch3-revoke-notifier/.meta/reference.js");
const M2 = 2 ** 21;
const BASE_IOVA = 2 ** 30;

type Op = { kind: "dma"; dev: 0 | 1; iova: number } | { kind: "poison"; folio: number; page: number } | { kind: "punch"; folio: number };

interface Plan {
  folios: number;
  keepUeMapped: boolean;
  /** Areas as [first folio, folio count]; area `shared` is also copied into the second IOAS. */
  areas: [number, number][];
  shared: number;
  ops: Op[];
}

function plan(rng: Rng): Plan {
  const folios = 4 + rng.nextInt(5);
  const areas: [number, number][] = [];
  for (let f = 0; f < folios; ) {
    const n = Math.min(folios - f, 1 + rng.nextInt(3));
    areas.push([f, n]);
    f += n;
  }
  const shared = rng.nextInt(areas.length);
  const ops: Op[] = [];
  const nOps = 20 + rng.nextInt(20);
  for (let i = 0; i < nOps; i++) {
    const r = rng.next();
    if (r < 0.15) ops.push({ kind: "poison", folio: rng.nextInt(folios), page: rng.nextInt(512) });
    else if (r < 0.22) ops.push({ kind: "punch", folio: rng.nextInt(folios) });
    else {
      const dev = rng.next() < 0.75 ? 0 : 1;
      const [first, n] = dev === 0 ? areas[rng.nextInt(areas.length)] : areas[shared];
      const page = rng.nextInt(n * 512);
      // The second IOAS maps only the shared area, at the same offset from its own base.
      ops.push({ kind: "dma", dev, iova: BASE_IOVA + (dev === 0 ? first * M2 : 0) + page * 4096 });
    }
  }
  // The guest keeps posting buffers on pages it does not know are bad.
  for (const op of [...ops]) if (op.kind === "poison") ops.push({ kind: "dma", dev: 0, iova: BASE_IOVA + op.folio * M2 + op.page * 4096 });
  return { folios, keepUeMapped: rng.next() < 0.5, areas, shared, ops };
}

interface Run {
  outcomes: string[];
  mf: string[];
  m: Machine;
  ctx: Iommufd;
}

/** Plays the plan; `notifier` is the student's (policy "none"), or null for the model's built-in revoke policy. */
function play(p: Plan, notifier: ((ctx: Iommufd) => unknown) | null): Run {
  const m = new Machine({ memory: "256M", hugetlb: { "2M": p.folios + 2 } });
  const pid = m.spawn();
  const size = p.folios * M2;
  const fd = m.memfdCreate(pid, { size, hugetlb: "2M", keepUeMapped: p.keepUeMapped });
  const addr = m.mmap(pid, { length: size, fd });
  m.populate(pid, addr, size);
  const ctx = new Iommufd(m, pid, { policy: notifier ? "none" : "revoke" });
  const ioas: Ioas[] = [ctx.ioasAlloc(), ctx.ioasAlloc()];
  const devs: Device[] = [ioas[0].attach("nic0"), ioas[1].attach("gpu0")];
  for (const [first, n] of p.areas) {
    const r = ioas[0].mapFile({ fd, start: first * M2, length: n * M2, iova: BASE_IOVA + first * M2 });
    if (r.ret !== 0) throw new Error(`the model refused IOMMU_IOAS_MAP_FILE (${r.ret})`);
  }
  const [sf, sn] = p.areas[p.shared];
  if (ctx.copy(ioas[0], BASE_IOVA + sf * M2, sn * M2, ioas[1], BASE_IOVA).ret !== 0) throw new Error("the model refused IOMMU_IOAS_COPY");
  if (notifier) {
    const n = call("revokeNotifier", ["ctx"], () => notifier(ctx));
    if (!n || typeof n !== "object") fail(`revokeNotifier must return a MachineNotifier object, got ${String(n)}`);
    m.notifiers.push(n as never);
  }
  const file = m.tasks.get(pid)!.fds.get(fd)!;
  const outcomes: string[] = [];
  const mf: string[] = [];
  for (const op of p.ops) {
    if (op.kind === "dma") outcomes.push(devs[op.dev].dma(op.iova).result);
    else if (op.kind === "poison") {
      const f = file.folioAt(op.folio * 512);
      if (!f) continue; // punched out already
      const r = m.memoryFailure(f.pfn + op.page);
      mf.push(`${r.type ?? "-"} / ${r.result ?? "-"}`);
    } else m.punchHole(pid, fd, op.folio * M2, M2);
  }
  return { outcomes, mf, m, ctx };
}

const opText = (op: Op): string =>
  op.kind === "dma" ? `DMA by ${op.dev === 0 ? "nic0" : "gpu0"} at IOVA 0x${op.iova.toString(16)}` : op.kind === "poison" ? `UE in folio ${op.folio}` : `hole punch of folio ${op.folio}`;

describe("ch3.4 revoke notifier", () => {
  it("revokeNotifier: seeded DMA / poison / hole-punch sequences never let a DMA reach poison", async () => {
    const mod = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 10, (rng) => {
      const p = plan(rng);
      const mine = play(p, (ctx) => mod.revokeNotifier(ctx));
      const model = play(p, null);
      const what = `${p.folios} × 2M ${p.keepUeMapped ? "keep-UE-mapped " : ""}memfd in ${p.areas.length} area(s), area ${p.shared} shared with a second IOAS`;
      const mt = mine.ctx.metrics();
      if (mine.m.violations.length) fail(`${what}: the model's invariants failed with your notifier: ${mine.m.violations[0].name}: ${mine.m.violations[0].detail}`);
      if (mt.dmaToPoison > 0) fail(`${what}: ${mt.dmaToPoison} DMA(s) reached a poisoned frame: the area over the poisoned folio must be revoked when memory_failure() is called`);
      if (mt.dmaToOffline > 0) fail(`${what}: ${mt.dmaToOffline} DMA(s) reached memory that memory-failure handling or a hole punch took away: revoke the areas over the removed range`);
      const dmaOps = p.ops.filter((o) => o.kind === "dma");
      for (let i = 0; i < model.outcomes.length; i++) {
        if (mine.outcomes[i] !== model.outcomes[i]) {
          const hint = model.outcomes[i] === "ok" ? " (an area that maps no poisoned or removed page must stay mapped)" : " (the area over a poisoned or removed folio must be gone, in every IOAS)";
          fail(`${what}: ${opText(dmaOps[i])} should be "${model.outcomes[i]}", with your notifier it was "${mine.outcomes[i]}"${hint}`);
        }
      }
      for (let i = 0; i < model.mf.length; i++) {
        if (mine.mf[i] !== model.mf[i]) fail(`${what}: memory_failure() number ${i + 1} should end ${model.mf[i]} once the pins are gone, with your notifier it ended ${mine.mf[i]}`);
      }
      const revoked = model.ctx.metrics().revokes;
      if (revoked > 0 && mt.invalidations < model.ctx.metrics().invalidations) {
        fail(`${what}: the IOTLB was invalidated ${mt.invalidations} time(s), the revokes need ${model.ctx.metrics().invalidations}`);
      }
      if (mt.pinnedBytes !== model.ctx.metrics().pinnedBytes) {
        fail(`${what}: ${model.ctx.metrics().pinnedBytes / M2} × 2M should still be pinned at the end, your notifier left ${mt.pinnedBytes / M2} × 2M pinned`);
      }
    });
  });

  it("affectedAreas: a range that touches no area, and one that touches the middle of an area", async () => {
    const mod = await loadExercise<Mod>(ID, { forbid: FINISHED });
    const m = new Machine({ memory: "64M", hugetlb: { "2M": 6 } });
    const pid = m.spawn();
    const fd = m.memfdCreate(pid, { size: 4 * M2, hugetlb: "2M" });
    const ctx = new Iommufd(m, pid);
    const ioas = ctx.ioasAlloc();
    ioas.mapFile({ fd, start: 0, length: 2 * M2, iova: BASE_IOVA });
    const file = m.tasks.get(pid)!.fds.get(fd)!;
    const none = call("affectedAreas", ["ctx", "file", 1024, 2048], () => mod.affectedAreas(ctx, file, 1024, 2048));
    if (!Array.isArray(none) || none.length !== 0) fail(`pages 1024–2047 of the file are not mapped (the area covers pages 0–1023), but your affectedAreas returned ${Array.isArray(none) ? none.length : String(none)} area(s)`);
    const mid = call("affectedAreas", ["ctx", "file", 700, 701], () => mod.affectedAreas(ctx, file, 700, 701));
    if (!Array.isArray(mid) || mid.length !== 1 || mid[0] !== ioas.areas[0]) fail(`page 700 of the file lies inside the area at IOVA 0x${BASE_IOVA.toString(16)}, so affectedAreas must return that one area`);
  });
});
