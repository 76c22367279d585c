// Exercise ch3.2: when can this folio be freed? Each seeded case plays one folio's story (pin,
// error, release, unpin) on the course's Machine with iommufd or VFIO type1 on it, and checks the
// student's prediction against where the folio ended up and the pool's free count.
import { describe, it } from "vitest";
import { Iommufd, Machine, PG_hugetlb_freed, PG_hwpoison, VfioContainer, type Rng } from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch3-folio-fate";
type Mod = typeof import("../../exercises/ch3-folio-fate/.meta/reference.js");
type FolioStory = Parameters<Mod["folioFate"]>[0];
type Fate = ReturnType<Mod["folioFate"]>["fate"];

/** Plays the story on a Machine with a 2-page 2M HugeTLB pool; returns the observed fate and free_hugepages. */
function play(s: FolioStory): { fate: Fate; freeHugepages: number } {
  const m = new Machine({ memory: "64M", hugetlb: { "2M": 2 }, offlinePinned: s.policy === "ebusy" ? "ebusy" : "try" });
  const pid = m.spawn();
  const fd = m.memfdCreate(pid, { size: "2M", hugetlb: "2M", keepUeMapped: s.keepUeMapped });
  const addr = m.mmap(pid, { length: "2M", fd });
  m.populate(pid, addr, "2M");
  const f = m.mem.pageFolio(m.pfnOf(pid, addr) as number)!;
  let unpin = () => {};
  if (s.holder === "iommufd-file" || s.holder === "iommufd-va") {
    const ioas = new Iommufd(m, pid, { policy: s.policy }).ioasAlloc();
    const r = s.holder === "iommufd-file" ? ioas.mapFile({ fd, length: "2M" }) : ioas.map({ uptr: addr, length: "2M" });
    if (r.ret !== 0) throw new Error(`the model refused the IOAS map (${r.ret})`);
    unpin = () => void ioas.unmap(r.iova, "2M");
  } else if (s.holder === "vfio") {
    const c = new VfioContainer(m, pid);
    if (c.mapDma({ vaddr: addr, iova: 2 ** 21, size: "2M" }) !== 0) throw new Error("the model refused VFIO_IOMMU_MAP_DMA");
    unpin = () => void c.unmapDma(2 ** 21, "2M");
  }
  if (s.poisoned) m.memoryFailure(f.pfn + 3);
  if (s.unpin === "before") unpin();
  if (s.release === "truncate") {
    m.munmap(pid, addr);
    m.truncate(pid, fd, 0);
  }
  if (s.unpin === "after") unpin();
  if (m.violations.length) throw new Error(`the model broke an invariant in this case: ${m.violations[0].detail}`);
  const live = m.mem.folios.get(f.pfn) === f;
  let fate: Fate;
  if (live && f.mapping !== null && f.mapping.pages.get(f.index) === f) fate = "in use";
  else if (live && f.pincount > 0) fate = "pending";
  else if (!live) fate = "free"; // dissolved into 4K pages
  else if (f.flags & PG_hugetlb_freed) fate = f.flags & PG_hwpoison ? "leaked" : "free";
  else fate = "leaked";
  return { fate, freeHugepages: m.hugetlb("2M").free };
}

function story(rng: Rng): FolioStory {
  const holder = pick(rng, ["none", "iommufd-file", "iommufd-file", "iommufd-va", "vfio"] as const);
  const iommufd = holder === "iommufd-file" || holder === "iommufd-va";
  return {
    keepUeMapped: rng.next() < 0.6,
    holder,
    policy: iommufd ? pick(rng, ["none", "ebusy", "revoke"] as const) : "none",
    poisoned: rng.next() < 0.7,
    release: rng.next() < 0.85 ? "truncate" : "keep",
    unpin: holder === "none" ? "never" : pick(rng, ["before", "after", "after", "never"] as const),
  };
}

function describeStory(s: FolioStory): string {
  const pin = s.holder === "none" ? "never pinned" : `pinned by ${s.holder}${s.holder.startsWith("iommufd") ? ` (policy ${s.policy})` : ""}`;
  const release = s.release === "truncate" ? "truncated by the VMM" : "kept in the memfd";
  const unpin = s.holder === "none" ? "" : s.unpin === "never" ? ", the pin never dropped" : `, unpinned ${s.unpin} the release`;
  return `a 2M folio ${s.keepUeMapped ? "of a keep-UE-mapped memfd" : "of a plain HugeTLB memfd"}, ${pin}, ${s.poisoned ? "poisoned" : "healthy"}, ${release}${unpin}`;
}

describe("ch3.2 folio fate", () => {
  it("folioFate: seeded stories, checked against the Machine", async () => {
    const m = await loadExercise<Mod>(ID);
    seeded(ID, 40, (rng) => {
      const s = story(rng);
      const want = play(s);
      const got = call("folioFate", [s], () => m.folioFate({ ...s }));
      if (!got || typeof got !== "object") fail(`folioFate must return { fate, freeHugepages }, got ${String(got)}`);
      if (got.fate !== want.fate) fail(`${describeStory(s)}: the folio ends "${want.fate}", but your folioFate says "${String(got.fate)}"`);
      if (got.freeHugepages !== want.freeHugepages) {
        fail(`${describeStory(s)}: free_hugepages of the 2-page pool is ${want.freeHugepages} afterwards, but your folioFate says ${String(got.freeHugepages)}`);
      }
    });
  });

  it("folioFate: a pin that outlives the release turns 'should become free' into 'won't'", async () => {
    const m = await loadExercise<Mod>(ID);
    const base: FolioStory = { keepUeMapped: true, holder: "iommufd-va", policy: "none", poisoned: true, release: "truncate", unpin: "before" };
    const early = call("folioFate", [base], () => m.folioFate({ ...base }));
    const late = call("folioFate", [{ ...base, unpin: "after" }], () => m.folioFate({ ...base, unpin: "after" }));
    const wantEarly = play(base).fate;
    const wantLate = play({ ...base, unpin: "after" }).fate;
    if (early.fate !== wantEarly || late.fate !== wantLate) {
      fail(`a poisoned keep-UE-mapped folio unpinned before the truncate ends "${wantEarly}", unpinned after it "${wantLate}"; your folioFate says "${early.fate}" and "${late.fate}"`);
    }
  });
});
