// Exercise ch3.3: filemap_offline_hwpoison_folio() with Jiaqi Yan's -EBUSY rule. Each seeded case
// poisons, maybe pins (iommufd by memfd or by address, or a plain FOLL_LONGTERM pin) and truncates
// a HugeTLB memfd on the course's Machine, with offlinePinned "try" or "ebusy", and checks the
// student's answer against what the model did to the folio and the allocator.
import { describe, it } from "vitest";
import { EBUSY, Iommufd, Machine, type Rng } from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch3-ebusy-offline";
type Mod = typeof import("../../exercises/ch3-ebusy-offline/.meta/reference.js");
type RemovedFolio = Parameters<Mod["offlineHwpoisonFolio"]>[0];
type Result = ReturnType<Mod["offlineHwpoisonFolio"]>;
const FINISHED = ["filemapOfflineHwpoisonFolio", "removeMappingRange", "Machine", "folioMaybeDmaPinned"];

interface Case {
  input: RemovedFolio;
  mode: "try" | "ebusy";
  what: string;
  want: Result;
}

function runCase(rng: Rng): Case {
  const mode = pick(rng, ["try", "ebusy"] as const);
  const keepUeMapped = rng.next() < 0.85;
  const pin = pick(rng, ["none", "iommufd-file", "iommufd-va", "pin"] as const);
  const m = new Machine({ memory: "64M", hugetlb: { "2M": 2 }, offlinePinned: mode, policyVariant: "v2" });
  const pid = m.spawn();
  const fd = m.memfdCreate(pid, { size: "2M", hugetlb: "2M", keepUeMapped });
  const addr = m.mmap(pid, { length: "2M", fd });
  m.populate(pid, addr, "2M");
  const f = m.mem.pageFolio(m.pfnOf(pid, addr) as number)!;
  if (pin === "iommufd-file") new Iommufd(m, pid).ioasAlloc().mapFile({ fd, length: "2M" });
  else if (pin === "iommufd-va") new Iommufd(m, pid).ioasAlloc().map({ uptr: addr, length: "2M" });
  else if (pin === "pin") m.pin(pid, addr);
  const errors = 1 + rng.nextInt(3);
  const pages = new Set<number>();
  while (pages.size < errors) pages.add(rng.nextInt(512));
  for (const p of pages) m.memoryFailure(f.pfn + p);
  m.munmap(pid, addr);
  // After the page cache lets go of its 512 references, only the pins and MFR's remain.
  const input: RemovedFolio = {
    pfn: f.pfn, order: f.order, keepUeMapped, rawHwp: f.rawHwp ? [...f.rawHwp] : [], mfRefs: f.mfRefs, pincount: f.pincount, refcount: f.ref - 512,
  };
  const free0 = m.mem.buddy.nrFree;
  const off0 = new Set(m.mem.takenOff);
  const from = m.events.length;
  m.truncate(pid, fd, 0);
  if (m.violations.length) throw new Error(`the model broke an invariant in this case: ${m.violations[0].detail}`);
  const ev = m.events.slice(from);
  const dis = ev.find((e) => e.kind === "dissolve");
  let action: Result["action"] = "skipped";
  if (ev.some((e) => e.kind === "policy" && e.what.startsWith("filemap_offline_hwpoison_folio: -EBUSY"))) action = "ebusy";
  else if (dis && dis.kind === "dissolve") action = dis.ret === 0 ? "dissolved" : dis.ret === -EBUSY ? "dissolve-failed" : "skipped";
  const live = m.mem.folios.get(f.pfn) === f;
  const want: Result = {
    action,
    mfRefsAfter: live ? f.mfRefs : 0,
    rawHwpAfter: live && f.rawHwp ? [...f.rawHwp].sort((a, b) => a - b) : [],
    toBuddyFrames: m.mem.buddy.nrFree - free0,
    takenOff: [...m.mem.takenOff].filter((p) => !off0.has(p)).sort((a, b) => a - b),
  };
  const pinText = pin === "none" ? "unpinned" : pin === "pin" ? `pinned once (FOLL_LONGTERM)` : `pinned by ${pin} (${input.pincount} pins)`;
  return { input, mode, want, what: `a ${keepUeMapped ? "keep-UE-mapped" : "plain"} 2M folio with ${errors} raw error(s), ${pinText}, offlinePinned "${mode}"` };
}

const list = (xs: readonly number[] | undefined): string => (xs && xs.length ? `[${xs.join(", ")}]` : "none");

describe("ch3.3 -EBUSY offline", () => {
  it("offlineHwpoisonFolio: seeded truncates, checked against the Machine", async () => {
    const mod = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 24, (rng) => {
      const c = runCase(rng);
      const input = { ...c.input, rawHwp: [...c.input.rawHwp] };
      const got = call("offlineHwpoisonFolio", [input, c.mode], () => mod.offlineHwpoisonFolio(input, c.mode));
      if (!got || typeof got !== "object") fail(`offlineHwpoisonFolio must return an object, got ${String(got)}`);
      const w = c.want;
      if (got.action !== w.action) fail(`${c.what}: filemap_offline_hwpoison_folio ends "${w.action}", but your action is "${String(got.action)}"`);
      if (got.mfRefsAfter !== w.mfRefsAfter) fail(`${c.what}: memory-failure holds ${w.mfRefsAfter} reference(s) afterwards, but your mfRefsAfter is ${String(got.mfRefsAfter)}`);
      if (list(got.rawHwpAfter) !== list(w.rawHwpAfter)) fail(`${c.what}: the raw_hwp list afterwards is ${list(w.rawHwpAfter)}, but yours is ${list(got.rawHwpAfter)}`);
      if (got.toBuddyFrames !== w.toBuddyFrames) fail(`${c.what}: ${w.toBuddyFrames} 4K frames reach the buddy allocator, but your toBuddyFrames is ${String(got.toBuddyFrames)}`);
      if (list(got.takenOff) !== list(w.takenOff)) fail(`${c.what}: raw frames ${list(w.takenOff)} are taken off the buddy allocator, but your takenOff is ${list(got.takenOff)}`);
    });
  });
});
