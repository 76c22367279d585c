// Exercise ch0.3: action_result()'s return value, the per-node counters and memory_failure()'s
// return value, replayed against seeded runs of memory_failure(pfn, 0) on the library's Machine.
import { describe, it } from "vitest";
import { Machine, PG_swapcache, type MfMsg, type MfResult, type Rng } from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch0-action-result";
type Mod = typeof import("../../exercises/ch0-action-result/.meta/reference.js");
const FINISHED = ["actionResult", "memoryFailure", "Machine"];
const RESULTS: MfResult[] = ["MF_IGNORED", "MF_FAILED", "MF_DELAYED", "MF_RECOVERED"];

type PageKind = "free buddy page" | "reserved kernel page" | "dirty anonymous page" | "anonymous page in the swap cache" | "shmem page" | "pinned shmem page" | "anonymous THP" | "pinned anonymous THP" | "free 2M HugeTLB page" | "2M HugeTLB memfd page" | "page poisoned before";
const KINDS: PageKind[] = ["free buddy page", "reserved kernel page", "dirty anonymous page", "anonymous page in the swap cache", "shmem page", "pinned shmem page", "anonymous THP", "pinned anonymous THP", "free 2M HugeTLB page", "2M HugeTLB memfd page", "page poisoned before", "page poisoned before"];

/** Makes a page of the given kind on `m` and returns its pfn (null when none is left). */
function makePage(m: Machine, kind: PageKind, rng: Rng, earlier: number[]): number | null {
  const pid = m.spawn();
  switch (kind) {
    case "free buddy page":
      for (let tries = 0; tries < 100; tries++) {
        const pfn = m.mem.reservedFrames + rng.nextInt(m.mem.nrFrames - m.mem.reservedFrames);
        if (m.mem.buddy.isFree(pfn)) return pfn;
      }
      return null;
    case "reserved kernel page":
      return rng.nextInt(m.mem.reservedFrames);
    case "page poisoned before":
      return earlier.length ? pick(rng, earlier) : null;
    case "free 2M HugeTLB page": {
      const h = m.mem.hstates.get("2M")!;
      return h.freeList.length ? h.freeList[0].pfn + rng.nextInt(512) : null;
    }
    default: {
      const memfd = kind.includes("shmem") || kind.includes("HugeTLB");
      const hugetlb = kind.includes("HugeTLB") ? "2M" : undefined;
      if (hugetlb && m.mem.hstates.get("2M")!.freeList.length === 0) return null;
      const addr = memfd
        ? m.mmap(pid, { length: "2M", fd: m.memfdCreate(pid, { size: "2M", hugetlb }) })
        : m.mmap(pid, { length: "2M", thp: kind.includes("THP") });
      m.write(pid, addr);
      if (kind.startsWith("pinned")) m.pin(pid, addr);
      const pfn = (m.pfnOf(pid, addr) as number) + (kind.includes("THP") || hugetlb ? 1 + rng.nextInt(511) : 0);
      if (kind === "anonymous page in the swap cache") m.mem.pageFolio(pfn)!.flags |= PG_swapcache; // no swap in the model
      return pfn;
    }
  }
}

describe("ch0.3 action_result()", () => {
  it("actionResultRet: 0 when the page is handled, -EBUSY otherwise", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    // The model's action_result() on one page of each kind is the truth.
    const seen = new Map<MfResult, number>();
    seeded(ID, 1, (rng) => {
      for (const kind of KINDS.filter((k) => k !== "page poisoned before")) {
        const mach = new Machine({ memory: "256M", hugetlb: { "2M": 8 } });
        const pfn = makePage(mach, kind, rng, []);
        if (pfn === null) continue;
        const r = mach.memoryFailure(pfn, 0);
        if (r.result && r.type !== "MF_MSG_UNSPLIT_THP") seen.set(r.result, r.ret);
      }
    });
    for (const result of RESULTS) {
      if (!seen.has(result)) continue;
      const got = call("actionResultRet", [result], () => m.actionResultRet(result));
      if (got !== seen.get(result)) fail(`action_result() returns ${seen.get(result)} for ${result}, but your actionResultRet returned ${String(got)}`);
    }
    if (seen.size < 4) throw new Error(`test set-up: only ${[...seen.keys()].join(", ")} occurred`);
  });

  it("seeded runs: every return value of memory_failure() and the counters after each error", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 12, (rng, caseNo) => {
      const mach = new Machine({ memory: "256M", hugetlb: { "2M": 8 } });
      const mine = { total: 0, ignored: 0, failed: 0, delayed: 0, recovered: 0 };
      const earlier: number[] = [];
      const log: string[] = [];
      for (let i = 0; i < 10; i++) {
        const kind = pick(rng, KINDS);
        const pfn = makePage(mach, kind, rng, earlier);
        if (pfn === null) continue;
        const r = mach.memoryFailure(pfn, 0);
        if (!r.type || !r.result) throw new Error(`test set-up: memory_failure() on a ${kind} logged nothing`);
        // A HugeTLB folio poisoned twice returns -EHWPOISON without an action_result(): not repeated.
        if (kind !== "2M HugeTLB memfd page") earlier.push(pfn);
        log.push(`${kind} → ${r.type}/${r.result}`);
        const type: MfMsg = r.type;
        const result: MfResult = r.result;
        const ret = call("memoryFailureRet", [type, result], () => m.memoryFailureRet(type, result));
        if (ret !== r.ret) fail(`case ${caseNo}: memory_failure() on a ${kind} logs ${type} / ${result} and returns ${r.ret}, but your memoryFailureRet returned ${String(ret)}`);
        call("countOutcome", [mine, type, result], () => m.countOutcome(mine, type, result));
        const want = mach.stats;
        const keys = ["total", "ignored", "failed", "delayed", "recovered"] as const;
        const wrong = keys.filter((k) => mine[k] !== want[k]);
        if (wrong.length) {
          fail(`case ${caseNo}: after ${log.join("; ")}, the per-node counters are ${keys.map((k) => `${k} ${want[k]}`).join(", ")}, but your countOutcome gave ${keys.map((k) => `${k} ${mine[k]}`).join(", ")}`);
        }
      }
    });
  });
});
