// Exercise ch3.1: pins and RLIMIT_MEMLOCK accounting. Each seeded case runs a random sequence of
// IOMMU_IOAS_MAP / IOMMU_IOAS_COPY / IOMMU_IOAS_UNMAP and VFIO_IOMMU_MAP_DMA / UNMAP_DMA on the
// course's Machine (src/iommufd/) and checks the student's tracking against the folios' pin counts
// and the registry's user->locked_vm, mm->locked_vm and mm->pinned_vm.
import { describe, it } from "vitest";
import { Iommufd, Machine, VfioContainer, pinRegistry, type Ioas, type Rng } from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch3-pin-accounting";
type Mod = typeof import("../../exercises/ch3-pin-accounting/.meta/reference.js");
type PinOp = Parameters<Mod["trackPins"]>[1][number];
const FINISHED = ["Iommufd", "VfioContainer", "pinRegistry", "PinRegistry", "Machine", "pinUserRange"];

interface Case {
  regionPages: number[];
  ops: PinOp[];
  accountMode: "user" | "mm";
  want: { pinsPerPage: number[]; userLockedVm: number; mmLockedVm: number; pinnedVm: number };
}

function runCase(rng: Rng): Case {
  const regionPages = Array.from({ length: 2 + rng.nextInt(3) }, () => 16 * (1 + rng.nextInt(8)));
  const accountMode = pick(rng, ["user", "user", "mm"] as const);
  const m = new Machine({ memory: "256M" });
  const pid = m.spawn();
  const addrs = regionPages.map((n) => {
    const a = m.mmap(pid, { length: n * 4096 });
    m.populate(pid, a, n * 4096);
    return a;
  });
  const ctx = new Iommufd(m, pid, { accountMode });
  const ioases: Ioas[] = [ctx.ioasAlloc(), ctx.ioasAlloc()];
  const vfio = new VfioContainer(m, pid);
  const ops: PinOp[] = [];
  const live = new Map<number, { ioas: number; iova: number; len: number }>();
  const liveDma = new Map<number, { iova: number; len: number }>();
  let id = 1;
  const nOps = 8 + rng.nextInt(12);
  for (let i = 0; i < nOps; i++) {
    const r = rng.next();
    if (r < 0.3) {
      const region = rng.nextInt(regionPages.length);
      const ioas = rng.nextInt(2);
      const res = ioases[ioas].map({ uptr: addrs[region], length: regionPages[region] * 4096 });
      if (res.ret !== 0) throw new Error(`the model refused IOMMU_IOAS_MAP (${res.ret})`);
      live.set(id, { ioas, iova: res.iova, len: regionPages[region] * 4096 });
      ops.push({ op: "ioas-map", id: id++, ioas, region });
    } else if (r < 0.45 && live.size > 0) {
      const from = pick(rng, [...live.keys()]);
      const src = live.get(from)!;
      const ioas = rng.nextInt(2);
      const res = ctx.copy(ioases[src.ioas], src.iova, src.len, ioases[ioas]);
      if (res.ret !== 0) throw new Error(`the model refused IOMMU_IOAS_COPY (${res.ret})`);
      live.set(id, { ioas, iova: res.iova, len: src.len });
      ops.push({ op: "ioas-copy", id: id++, ioas, from });
    } else if (r < 0.65 && live.size > 0) {
      const which = pick(rng, [...live.keys()]);
      const a = live.get(which)!;
      if (ioases[a.ioas].unmap(a.iova, a.len).ret !== 0) throw new Error("the model refused IOMMU_IOAS_UNMAP");
      live.delete(which);
      ops.push({ op: "ioas-unmap", id: which });
    } else if (r < 0.85 || liveDma.size === 0) {
      const region = rng.nextInt(regionPages.length);
      const iova = 2 ** 32 + id * 2 ** 24;
      if (vfio.mapDma({ vaddr: addrs[region], iova, size: regionPages[region] * 4096 }) !== 0) throw new Error("the model refused VFIO_IOMMU_MAP_DMA");
      liveDma.set(id, { iova, len: regionPages[region] * 4096 });
      ops.push({ op: "vfio-map", id: id++, region });
    } else {
      const which = pick(rng, [...liveDma.keys()]);
      const d = liveDma.get(which)!;
      if (vfio.unmapDma(d.iova, d.len).ret !== 0) throw new Error("the model refused VFIO_IOMMU_UNMAP_DMA");
      liveDma.delete(which);
      ops.push({ op: "vfio-unmap", id: which });
    }
  }
  if (m.violations.length) throw new Error(`the model broke an invariant in this case: ${m.violations[0].detail}`);
  const reg = pinRegistry(m);
  return {
    regionPages, ops, accountMode,
    want: {
      pinsPerPage: addrs.map((a) => m.mem.pageFolio(m.pfnOf(pid, a) as number)!.pincount),
      userLockedVm: reg.userLockedVm.get(reg.uidOf(pid)) ?? 0,
      mmLockedVm: reg.mmLockedVm.get(pid) ?? 0,
      pinnedVm: reg.pinnedVm.get(pid) ?? 0,
    },
  };
}

const opsText = (ops: PinOp[]): string =>
  ops.map((o) => (o.op === "ioas-map" ? `#${o.id}=map(region ${o.region}→ioas${o.ioas})` : o.op === "ioas-copy" ? `#${o.id}=copy(#${o.from}→ioas${o.ioas})` : o.op === "vfio-map" ? `#${o.id}=vfio-map(region ${o.region})` : `${o.op}(#${o.id})`)).join(", ");

describe("ch3.1 pin accounting", () => {
  it("trackPins: seeded iommufd and VFIO sequences, checked against the Machine's pins and counters", async () => {
    const mod = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 15, (rng) => {
      const c = runCase(rng);
      const ops = c.ops.map((o) => ({ ...o }));
      const got = call("trackPins", [c.regionPages, ops, c.accountMode], () => mod.trackPins([...c.regionPages], ops, c.accountMode));
      if (!got || typeof got !== "object") fail(`trackPins must return { pinsPerPage, userLockedVm, mmLockedVm, pinnedVm }, got ${String(got)}`);
      const what = `regions of ${c.regionPages.join(", ")} pages, account mode "${c.accountMode}", after ${opsText(c.ops)}`;
      const w = c.want;
      const pins = Array.isArray(got.pinsPerPage) ? got.pinsPerPage.join(", ") : String(got.pinsPerPage);
      if (pins !== w.pinsPerPage.join(", ")) fail(`${what}: each page of the regions carries [${w.pinsPerPage.join(", ")}] pins, your pinsPerPage is [${pins}]`);
      if (got.userLockedVm !== w.userLockedVm) fail(`${what}: user->locked_vm is ${w.userLockedVm} pages, your userLockedVm is ${String(got.userLockedVm)}`);
      if (got.mmLockedVm !== w.mmLockedVm) fail(`${what}: mm->locked_vm is ${w.mmLockedVm} pages, your mmLockedVm is ${String(got.mmLockedVm)}`);
      if (got.pinnedVm !== w.pinnedVm) fail(`${what}: mm->pinned_vm is ${w.pinnedVm} pages, your pinnedVm is ${String(got.pinnedVm)}`);
    });
  });
});
