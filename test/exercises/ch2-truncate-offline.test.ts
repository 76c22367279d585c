// Exercise ch2.2: offline on truncate (RFC v2, filemap_offline_hwpoison_folio per folio). Each
// seeded case builds a kept HugeTLB memfd in the course's Machine, poisons and pins folios,
// truncates it, and checks the student's prediction against what the allocator saw.
import { describe, it } from "vitest";
import { Machine, type Rng } from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch2-truncate-offline";
type Mod = typeof import("../../exercises/ch2-truncate-offline/.meta/reference.js");
type CachedFolio = Parameters<Mod["truncateKeptMemfd"]>[0][number];
const FINISHED = ["Machine", "removeMappingRange", "filemapOfflineHwpoisonFolio", "bootGuestVm", "memoryLostByPolicy"];

interface Case {
  folios: CachedFolio[];
  newSizePages: number;
  what: string;
  want: { removed: number[]; backToPool: number; dissolved: number; stuck: number; toBuddyFrames: number; takenOff: number[] };
}

/** Builds, poisons, pins and truncates a kept memfd on the Machine; returns the input and the observed outcome. */
function runCase(rng: Rng): Case {
  const size = pick(rng, ["2M", "2M", "2M", "1G"] as const);
  const n = size === "1G" ? 2 + rng.nextInt(2) : 3 + rng.nextInt(4);
  const per = size === "1G" ? 262144 : 512;
  const m = new Machine({ memory: size === "1G" ? `${n + 1}G` : "64M", hugetlb: { [size]: n }, policyVariant: "v2" });
  const pid = m.spawn();
  const fd = m.memfdCreate(pid, { size: n * per * 4096, hugetlb: size, keepUeMapped: true });
  const addr = m.mmap(pid, { length: n * per * 4096, fd });
  m.populate(pid, addr, n * per * 4096);
  for (let i = 0; i < n; i++) {
    if (rng.next() < 0.55) {
      const k = 1 + rng.nextInt(3);
      const pages = new Set<number>();
      while (pages.size < k) pages.add(rng.nextInt(per));
      const pfns = [...pages].map((p) => m.pfnOf(pid, addr + (i * per + p) * 4096) as number);
      for (const pfn of pfns) m.memoryFailure(pfn);
    }
    if (rng.next() < 0.25) m.pin(pid, addr + i * per * 4096);
  }
  const as = m.tasks.get(pid)!.fds.get(fd)!;
  const folios: CachedFolio[] = [...as.pages.values()].map((f) => ({
    index: f.index, pfn: f.pfn, order: f.order, rawHwp: f.rawHwp ? [...f.rawHwp] : [], pinned: f.pincount > 0,
  }));
  rng.shuffle(folios);
  const keep = rng.nextInt(n);
  const newSizePages = keep * per;
  const free0 = m.mem.buddy.nrFree;
  const off0 = new Set(m.mem.takenOff);
  const h0 = m.hugetlb(size);
  m.truncate(pid, fd, newSizePages * 4096);
  const h1 = m.hugetlb(size);
  const removed = folios.filter((f) => !as.pages.has(f.index)).map((f) => f.index).sort((a, b) => a - b);
  const backToPool = h1.free - h0.free;
  const dissolved = h0.nr - h1.nr;
  const stuck = folios.filter((f) => removed.includes(f.index) && m.mem.folios.get(f.pfn)?.pincount).length;
  if (m.violations.length) throw new Error(`the model broke an invariant in this case: ${m.violations[0].detail}`);
  return {
    folios, newSizePages,
    what: `a ${n * (size === "1G" ? 1024 : 2)}M memfd of ${n} × ${size} folios (${folios.filter((f) => f.rawHwp.length).length} poisoned, ${folios.filter((f) => f.pinned).length} pinned) truncated to ${keep} folio${keep === 1 ? "" : "s"}`,
    want: { removed, backToPool, dissolved, stuck, toBuddyFrames: m.mem.buddy.nrFree - free0, takenOff: [...m.mem.takenOff].filter((p) => !off0.has(p)).sort((a, b) => a - b) },
  };
}

const list = (xs: number[]): string => (xs.length ? `[${xs.join(", ")}]` : "none");

describe("ch2.2 truncate offline", () => {
  it("truncateKeptMemfd: seeded memfds, checked against the Machine's allocator", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 12, (rng) => {
      const c = runCase(rng);
      const input = c.folios.map((f) => ({ ...f, rawHwp: [...f.rawHwp] }));
      const got = call("truncateKeptMemfd", [input, c.newSizePages], () => m.truncateKeptMemfd(input, c.newSizePages));
      if (!got || typeof got !== "object") fail(`truncateKeptMemfd must return an object, got ${String(got)}`);
      const w = c.want;
      if (list(got.removed ?? []) !== list(w.removed)) fail(`${c.what}: the folios at file offsets ${list(w.removed)} (in 4K pages) are removed, but your removed is ${list(got.removed ?? [])}`);
      if (got.backToPool !== w.backToPool) fail(`${c.what}: ${w.backToPool} healthy folio(s) go back to the HugeTLB pool, but your backToPool is ${String(got.backToPool)}`);
      if (got.dissolved !== w.dissolved) fail(`${c.what}: ${w.dissolved} poisoned folio(s) are dissolved (nr_hugepages drops by that), but your dissolved is ${String(got.dissolved)}`);
      if (got.stuck !== w.stuck) fail(`${c.what}: ${w.stuck} removed folio(s) stay held by a pin, but your stuck is ${String(got.stuck)}`);
      if (got.toBuddyFrames !== w.toBuddyFrames) fail(`${c.what}: ${w.toBuddyFrames} 4K frames reach the buddy allocator, but your toBuddyFrames is ${String(got.toBuddyFrames)}`);
      if (list(got.takenOff ?? []) !== list(w.takenOff)) fail(`${c.what}: raw frames ${list(w.takenOff)} are taken off the buddy allocator, but your takenOff is ${list(got.takenOff ?? [])}`);
    });
  });

  it("truncateKeptMemfd: truncating to the same size removes nothing", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    const folios: CachedFolio[] = [{ index: 0, pfn: 4096, order: 9, rawHwp: [4100], pinned: false }];
    const got = call("truncateKeptMemfd", [folios, 512], () => m.truncateKeptMemfd(folios, 512));
    if (list(got.removed ?? []) !== "none" || got.toBuddyFrames !== 0 || (got.takenOff ?? []).length !== 0) {
      fail(`ftruncate to the memfd's own size (512 pages) removes no folio and offlines nothing, but your truncateKeptMemfd returned ${JSON.stringify(got)}`);
    }
  });
});
