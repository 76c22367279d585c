// Exercise ch1.3: one true-LRU set and a set-associative TLB built from sets, replayed on seeded
// traces against the library's LruTlb (a one-set LruTlb is one LRU set).
import { describe, it } from "vitest";
import { LruTlb } from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch1-lru-tlb-set";
type Mod = typeof import("../../exercises/ch1-lru-tlb-set/.meta/reference.js");
const FINISHED = ["LruTlb", "TlbHierarchy", "simulateTlb", "runTrace"];

describe("ch1.3 LRU TLB set", () => {
  it("a set starts empty, fills without evicting until full, then evicts the least recently used", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    const set = call("new LruSet", [4], () => new m.LruSet(4));
    for (const t of [10, 11, 12, 13]) {
      const v = call("fill", [t], () => set.fill(t));
      if (v !== undefined) fail(`a 4-way set holding ${t - 10} tags has room, but fill(${t}) evicted ${v}`);
    }
    const hit = call("lookup", [10], () => set.lookup(10)); // 10 becomes the most recent; 11 is now the LRU
    if (hit !== true) fail(`tag 10 was filled into the set, but lookup(10) returned ${String(hit)}`);
    const miss = call("lookup", [99], () => set.lookup(99));
    if (miss !== false) fail(`tag 99 was never filled, but lookup(99) returned ${String(miss)}`);
    const victim = call("fill", [14], () => set.fill(14));
    if (victim !== 11) fail(`after filling 10, 11, 12, 13 and looking up 10, the least recently used tag is 11, but fill(14) evicted ${String(victim)}`);
    const c = call("contents", [], () => set.contents());
    const want = [14, 10, 13, 12];
    if (!Array.isArray(c) || c.join(",") !== want.join(",")) fail(`the set should hold [${want.join(", ")}] (most recently used first), but contents() returned ${JSON.stringify(c)}`);
  });

  it("LruSet.access matches a one-set LruTlb on seeded traces (hits, contents, evictions)", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 12, (rng, caseNo) => {
      const ways = pick(rng, [1, 2, 4, 8, 12, 16]);
      const universe = ways + 1 + rng.nextInt(2 * ways + 2);
      const lib = new LruTlb({ entries: ways, ways });
      const set = call("new LruSet", [ways], () => new m.LruSet(ways));
      for (let i = 0; i < 400; i++) {
        // Mostly a hot subset, sometimes the whole universe: both hits and evictions happen.
        const tag = rng.next() < 0.7 ? rng.nextInt(Math.max(1, ways)) : rng.nextInt(universe);
        const want = lib.access(tag, 0);
        const got = call("access", [tag], () => set.access(tag));
        if (got !== want) {
          fail(`case ${caseNo}: in a ${ways}-way LRU set, access ${i + 1} to tag ${tag} should be a ${want ? "hit" : "miss"}, but your access returned ${String(got)}`);
        }
        const held = call("contents", [], () => set.contents());
        if (!Array.isArray(held) || held.length > ways) fail(`a ${ways}-way set holds at most ${ways} tags, but contents() returned ${JSON.stringify(held)}`);
        if (held[0] !== tag) fail(`after accessing tag ${tag} it is the most recently used, but contents() starts with ${String(held[0])}`);
        for (let t = 0; t < universe; t++) {
          if (held.includes(t) !== lib.contains(t, 0)) {
            fail(`after access ${i + 1} (tag ${tag}) a ${ways}-way LRU set ${lib.contains(t, 0) ? "holds" : "no longer holds"} tag ${t}, but your contents() is [${held.join(", ")}]`);
          }
        }
      }
    });
  });

  it("SetAssociativeTlb matches LruTlb hit for hit on seeded traces", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 10, (rng) => {
      const ways = pick(rng, [1, 2, 4, 8]);
      const sets = pick(rng, [1, 2, 4, 8, 16]);
      const entries = ways * sets;
      const pages = entries + 1 + rng.nextInt(3 * entries);
      const lib = new LruTlb({ entries, ways });
      const tlb = call("new SetAssociativeTlb", [entries, ways], () => new m.SetAssociativeTlb(entries, ways));
      let hits = 0;
      for (let i = 0; i < 2000; i++) {
        const pn = rng.next() < 0.6 ? rng.nextInt(entries) : rng.nextInt(pages);
        const want = lib.access(pn, 0);
        const got = call("SetAssociativeTlb.access", [pn], () => tlb.access(pn));
        if (got !== want) {
          fail(`a ${entries}-entry ${ways}-way TLB (${sets} sets) after ${i} accesses (${hits} hits so far): page ${pn} goes to set ${pn % sets} and should be a ${want ? "hit" : "miss"}, but your access returned ${String(got)}`);
        }
        if (want) hits++;
      }
    });
  });
});
