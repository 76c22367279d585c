// Exercise ch5.1: the PFN interval registry of mm/memory-failure.c. Seeded sequences of
// register_pfn_address_space() / unregister_pfn_address_space() / lookups run through the
// student's PfnSpaceTree and the library's (src/vfio/pfn-address-space.ts); every return value,
// lookup and the ordered list of registered ranges must agree.
import { describe, it } from "vitest";
import { EBUSY, EINVAL, EOPNOTSUPP, PfnSpaceTree as LibTree, type PfnAddressSpace, type Rng } from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch5-pfn-space-tree";
type Mod = typeof import("../../exercises/ch5-pfn-space-tree/.meta/reference.js");
const FINISHED = ["PfnSpaceTree", "memoryFailurePfn", "NvgraceGpuDevice"];
const ERRNO: Record<number, string> = { 0: "0", [-EBUSY]: "-EBUSY", [-EINVAL]: "-EINVAL", [-EOPNOTSUPP]: "-EOPNOTSUPP" };
const ret = (r: unknown) => (typeof r === "number" && ERRNO[r] !== undefined ? ERRNO[r] : String(r));

let nextId = 0;
/** A space as a driver would fill it; `callback` false leaves pfn_to_vma_pgoff out. */
function space(start: number, last: number, callback = true): PfnAddressSpace {
  const owner = `dev${nextId++}`;
  const s: PfnAddressSpace = { start, last, mapping: { name: `${owner} inode` }, owner };
  if (callback) s.pfnToVmaPgoff = () => ({ pgoff: 0 });
  return s;
}
const range = (s: PfnAddressSpace | null | undefined) => (s ? `${s.owner} [${s.start}, ${s.last}]` : "none");
const list = (xs: readonly PfnAddressSpace[]) => (xs.length ? xs.map(range).join(", ") : "nothing");

/** A new range near the registered ones: often touching or overlapping an edge, sometimes in a gap. */
function candidate(rng: Rng, registered: readonly PfnAddressSpace[]): PfnAddressSpace {
  const len = 1 + rng.nextInt(64);
  if (registered.length === 0 || rng.next() < 0.3) {
    const start = rng.nextInt(4096);
    return space(start, start + len - 1, rng.next() > 0.1);
  }
  const r = pick(rng, registered);
  const where = pick(rng, ["ends-at-start", "starts-at-last", "just-before", "just-after", "inside", "covers"] as const);
  let start: number;
  if (where === "ends-at-start") start = Math.max(0, r.start - len + 1);
  else if (where === "starts-at-last") start = r.last;
  else if (where === "just-before") start = Math.max(0, r.start - len);
  else if (where === "just-after") start = r.last + 1;
  else if (where === "inside") start = r.start + rng.nextInt(r.last - r.start + 1);
  else start = Math.max(0, r.start - 1);
  const last = where === "covers" ? r.last + 1 : where === "just-before" ? Math.max(start, r.start - 1) : start + len - 1;
  return space(start, Math.max(start, last), rng.next() > 0.1);
}

/** PFNs worth asking about: both edges of each range, their neighbours (gaps), and random ones. */
function probes(rng: Rng, registered: readonly PfnAddressSpace[]): number[] {
  const out = [rng.nextInt(4200)];
  for (const s of registered) out.push(s.start, s.last, Math.max(0, s.start - 1), s.last + 1);
  return out;
}

describe("ch5.1 PFN interval registry", () => {
  it("register: 0, then -EBUSY for a range sharing only its first or last PFN, 0 for a range that only touches", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    const t = call("new PfnSpaceTree", [], () => new m.PfnSpaceTree());
    const usemem = space(1000, 1999);
    const r0 = call("register", [range(usemem)], () => t.register(usemem));
    if (r0 !== 0) fail(`registering ${range(usemem)} into an empty tree returns 0, but your register returned ${ret(r0)}`);
    for (const [a, b] of [[1999, 2500], [500, 1000], [1200, 1300], [0, 5000]]) {
      const s = space(a, b);
      const r = call("register", [range(s)], () => t.register(s));
      if (r !== -EBUSY) fail(`${range(s)} overlaps the registered [1000, 1999], so register_pfn_address_space() returns -EBUSY, but your register returned ${ret(r)}`);
    }
    for (const [a, b] of [[2000, 2100], [0, 999]]) {
      const s = space(a, b);
      const r = call("register", [range(s)], () => t.register(s));
      if (r !== 0) fail(`${range(s)} only touches [1000, 1999] (ranges are inclusive), so it registers with 0, but your register returned ${ret(r)}`);
    }
  });

  it("register: -EINVAL without the pfn_to_vma_pgoff callback, -EOPNOTSUPP without CONFIG_MEMORY_FAILURE", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    const t = call("new PfnSpaceTree", [], () => new m.PfnSpaceTree());
    const bare = space(10, 20, false);
    const r = call("register", [range(bare)], () => t.register(bare));
    if (r !== -EINVAL) fail(`a pfn_address_space without pfn_to_vma_pgoff is refused with -EINVAL (the Dec 2025 fixup), but your register returned ${ret(r)}`);
    const off = call("new PfnSpaceTree", [{ configMemoryFailure: false }], () => new m.PfnSpaceTree({ configMemoryFailure: false }));
    const s = space(10, 20);
    const r2 = call("register", [range(s)], () => off.register(s));
    if (r2 !== -EOPNOTSUPP) fail(`without CONFIG_MEMORY_FAILURE the register stub returns -EOPNOTSUPP, but your register returned ${ret(r2)}`);
    const held = call("lookup", [15], () => off.lookup(15));
    if (held !== null) fail(`the stub registers nothing, so lookup(15) is null, but yours returned ${range(held)}`);
  });

  it("seeded register / unregister / lookup sequences agree with the library's PfnSpaceTree", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 30, (rng, caseNo) => {
      const config = rng.next() > 0.1;
      const lib = new LibTree({ configMemoryFailure: config });
      const mine = call("new PfnSpaceTree", [{ configMemoryFailure: config }], () => new m.PfnSpaceTree({ configMemoryFailure: config }));
      const tried: PfnAddressSpace[] = [];
      const steps: string[] = [];
      const where = () => `case ${caseNo}${config ? "" : " (no CONFIG_MEMORY_FAILURE)"}, after ${steps.length ? steps.join("; ") : "nothing"}`;
      for (let op = 0; op < 40; op++) {
        const roll = rng.next();
        if (roll < 0.55 || tried.length === 0) {
          const s = candidate(rng, lib.spaces);
          tried.push(s);
          const want = lib.register(s);
          const got = call("register", [range(s)], () => mine.register(s));
          if (got !== want) fail(`${where()}: register(${range(s)}${s.pfnToVmaPgoff ? "" : ", no callback"}) returns ${ret(want)}, but yours returned ${ret(got)}`);
          steps.push(`register ${range(s)} → ${ret(want)}`);
        } else if (roll < 0.75) {
          const s = pick(rng, tried);
          lib.unregister(s);
          call("unregister", [range(s)], () => mine.unregister(s));
          steps.push(`unregister ${range(s)}`);
        } else {
          for (const pfn of probes(rng, lib.spaces)) {
            const want = lib.lookup(pfn);
            const got = call("lookup", [pfn], () => mine.lookup(pfn));
            if (got !== want) fail(`${where()}: PFN ${pfn} belongs to ${range(want)}, but your lookup returned ${range(got)}`);
          }
        }
        const got = call("spaces", [], () => mine.spaces);
        const want = lib.spaces;
        if (!Array.isArray(got) || got.length !== want.length || got.some((s, i) => s !== want[i])) {
          fail(`${where()}: the registered ranges in order of start are ${list(want)}, but your spaces is ${Array.isArray(got) ? list(got) : String(got)}`);
        }
        if (steps.length > 6) steps.shift();
      }
    });
  });
});
