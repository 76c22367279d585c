// Chapter 6's scorecard: each decision point carried out by the chapter model that owns it, each
// metric traced to its cause, the objections judged on the metrics, bad answers reported.
import { describe, expect, it } from "vitest";
import {
  BUILTIN_POLICIES, CHOICES, DECISION_IDS, DECISIONS, MAINLINE, METRIC_IDS, OBJECTION_IDS, RFC_V2, batteryParams, builtinPolicy, choiceInfo,
  policyFromChoices, Rng, scorePolicy, toPolicy, type Machine, type PolicyChoices, type WorkloadId,
} from "../../src/index.js";

const G = 2 ** 30;
const M2 = 2 ** 21;
const K4 = 4096;
const base: PolicyChoices = { memfdUe: "unmap", release: "leave", pinned: "offline", gmemError: "zap-folio", pfnError: "driver" };
const only = (w: WorkloadId, choices: Partial<PolicyChoices>, o: { errors?: number; retouch?: number; probes?: number; seed?: number; onMachine?: (w: WorkloadId, m: Machine) => void } = {}) =>
  scorePolicy(policyFromChoices({ ...base, ...choices }), { workloads: [w], ...o });

describe("the design space and the built-in policies", () => {
  it("every decision lists its choices once, with exactly one mainline choice, and mainline 7.3 answers with it", () => {
    for (const d of DECISION_IDS) {
      const info = DECISIONS[d];
      expect(info.choices.map((c) => c.id), d).toEqual([...CHOICES[d]]);
      const mainline = info.choices.filter((c) => c.mainline);
      expect(mainline.length, `${d} has one mainline choice`).toBe(1);
      expect(MAINLINE[d], `mainline 7.3's ${d}`).toBe(mainline[0].id);
      expect(choiceInfo(d, mainline[0].id as never).source).toMatch(/mainline 7\.3/);
    }
  });

  it("every built-in policy answers only with valid choices, on the whole battery", () => {
    for (const p of BUILTIN_POLICIES) {
      const card = scorePolicy(p);
      expect(card.violations.filter((v) => v.kind === "invalid-answer"), p.name).toEqual([]);
      expect(card.decisions.every((r) => r.answer === r.applied || card.violations.some((v) => v.kind === "refused")), p.name).toBe(true);
    }
    expect(builtinPolicy("rfc-v2")).toBe(RFC_V2);
    expect(builtinPolicy("Mainline 7.3")).toBe(MAINLINE);
  });

  it("is deterministic: same options, same scorecard; another seed moves the errors", () => {
    const a = JSON.stringify(scorePolicy(RFC_V2, { seed: 7 }));
    expect(JSON.stringify(scorePolicy(RFC_V2, { seed: 7 }))).toBe(a);
    const bad = (seed: number) => {
      let frames: number[] = [];
      scorePolicy(MAINLINE, { seed, workloads: ["vm-thp"], onMachine: (_w, m) => (frames = [...m.mem.badFrames.keys()].sort((x, y) => x - y)) });
      return frames;
    };
    expect(bad(1)).toEqual(bad(1));
    expect(bad(1)).not.toEqual(bad(2));
    expect(bad(2).length).toBe(3);
  });
});

describe("memfdUe on the Machine (Chapters 1 and 2)", () => {
  it("1G HugeTLB, mainline: each error takes 1G while running (si_addr_lsb 30, __add_to_kill) and leaks it after (me_huge_page keeps MF's reference)", () => {
    const c = only("vm-1g", {});
    expect(c.metrics.memoryLostRunning.value).toBe(3 * G);
    expect(c.metrics.memoryLostAfter.value).toBe(3 * G);
    expect(c.metrics.repeatedConsumption.value).toBe(0);
    expect(c.metrics.memoryLostAfter.sources[0].what).toMatch(/held by memory-failure handling/);
  });

  it("1G HugeTLB, keep mapped: 4K per error while running and after (per folio), and every retouch consumes the poison again", () => {
    const c = only("vm-1g", { memfdUe: "keep-mapped", release: "per-folio" }, { retouch: 3 });
    expect(c.metrics.memoryLostRunning.value).toBe(3 * K4);
    expect(c.metrics.memoryLostAfter.value).toBe(3 * K4);
    expect(c.metrics.repeatedConsumption.value).toBe(9);
    expect(c.answers.release).toEqual({ "per-folio": 1 });
    expect(c.violations).toEqual([]);
  });

  it("1G HugeTLB, keep mapped and leave: the kept folios are never offlined", () => {
    const c = only("vm-1g", { memfdUe: "keep-mapped", release: "leave" });
    expect(c.metrics.memoryLostAfter.value).toBe(3 * G);
  });

  it("1G HugeTLB, split: the folio is demoted (nr_hugepages drops), 2M of 4K mappings per error cost throughput, only 4K is lost", () => {
    let pool = -1;
    const c = only("vm-1g", { memfdUe: "split" }, { onMachine: (_w, m) => (pool = m.hugetlb("1G").nr) });
    expect(pool).toBe(4 - 3);
    expect(c.metrics.memoryLostRunning.value).toBe(3 * K4);
    expect(c.metrics.memoryLostAfter.value).toBe(3 * K4);
    expect(c.metrics.throughputLost.value).toBeGreaterThan(0);
    expect(c.metrics.throughputLost.sources[0].what).toMatch(/6M of 4G now mapped with 4K host entries/);
    expect(c.violations).toEqual([]);
  });

  it("THP, mainline: split (try_to_split_thp_page), 4K lost, MemCycle throughput cost", () => {
    const c = only("vm-thp", {});
    expect(c.metrics.memoryLostRunning.value).toBe(3 * K4);
    expect(c.metrics.throughputLost.value).toBeGreaterThan(0);
    expect(c.violations).toEqual([]);
  });

  it("THP kept whole: 7.3 frees it whole at teardown with its poisoned page (no free_has_hwpoisoned): reported, and the page is kept off", () => {
    const c = only("vm-thp", { memfdUe: "keep-mapped" });
    expect(c.metrics.throughputLost.value).toBe(0);
    expect(c.metrics.repeatedConsumption.value).toBe(6);
    expect(c.violations.map((v) => v.kind)).toEqual(["invariant", "invariant", "invariant"]);
    expect(c.violations[0].detail).toMatch(/poisoned-frame-free/);
    expect(c.metrics.violations.value).toBe(3);
    expect(c.metrics.memoryLostAfter.value).toBe(3 * K4);
  });
});

describe("pinned and release with iommufd (Chapter 3)", () => {
  it("mainline: DMA reaches the poisoned frame (no callback into the IOMMU) and the rest of the folio MF took away", () => {
    const c = only("dma", {}, { retouch: 2, probes: 4 });
    const what = c.metrics.dmaToPoison.sources.map((s) => [s.what, s.amount]);
    expect(what).toEqual([
      ["the device's DMA reached the poisoned frame: nothing told the IOMMU", 6],
      ["the device's DMA reached a folio memory-failure handling had taken away from the CPU side", 12],
    ]);
    expect(c.metrics.memoryLostAfter.value).toBe(3 * M2);
  });

  it("revoke: no DMA reaches poison; healthy pages of the revoked area fault (breakage)", () => {
    const c = only("dma", { memfdUe: "keep-mapped", release: "per-folio", pinned: "revoke" }, { probes: 4 });
    expect(c.metrics.dmaToPoison.value).toBe(0);
    expect(c.metrics.guestBreakage.value).toBe(12);
    expect(c.metrics.memoryLostAfter.value).toBe(3 * K4);
  });

  it("keep + per folio + offline anyway: the pin outlives the release, dissolve -EBUSY, the folios end poisoned in the pool", () => {
    const c = only("dma", { memfdUe: "keep-mapped", release: "per-folio", pinned: "offline" });
    expect(c.metrics.memoryLostAfter.sources.map((s) => s.what)).toEqual(["poisoned 2M HugeTLB folios back in the pool whole, never handed out again (free_huge_folio())"]);
    expect(c.metrics.memoryLostAfter.value).toBe(3 * M2);
  });

  it("-EBUSY leaves the folio with MF's references; deferred offlines it when the pin goes", () => {
    expect(only("dma", { memfdUe: "keep-mapped", release: "per-folio", pinned: "ebusy" }).metrics.memoryLostAfter.value).toBe(3 * M2);
    const d = only("dma", { memfdUe: "keep-mapped", release: "deferred", pinned: "offline" });
    expect(d.metrics.memoryLostAfter.value).toBe(3 * K4);
    expect(d.violations).toEqual([]);
  });

  it("split of a pinned folio is refused and reported, never carried out", () => {
    const c = only("dma", { memfdUe: "split" });
    expect(c.violations.map((v) => v.kind)).toEqual(["refused", "refused", "refused"]);
    expect(c.violations[0].detail).toMatch(/long-term pin/);
    expect(c.metrics.memoryLostRunning.value).toBe(3 * M2);
    expect(c.decisions.find((r) => r.decision === "memfdUe")?.applied).toBe("unmap");
  });
});

describe("gmemError (Chapter 4) and pfnError (Chapter 5)", () => {
  it("zap-folio under a shared stage-2: healthy GFNs exit and the device faults on them", () => {
    const c = only("cvm", {}, { probes: 4 });
    expect(c.metrics.guestBreakage.value).toBe(24);
    expect(c.metrics.memoryLostRunning.value).toBe(3 * G);
  });

  it("keep mapped: no breakage, but the vCPU and the device read the poison again; split-then-zap: neither, at a stage-2 cost", () => {
    const k = only("cvm", { gmemError: "keep-mapped" }, { retouch: 2 });
    expect(k.metrics.guestBreakage.value).toBe(0);
    expect(k.metrics.repeatedConsumption.value).toBe(6);
    expect(k.metrics.dmaToPoison.value).toBe(6);
    const s = only("cvm", { gmemError: "split-then-zap" });
    expect(s.metrics.guestBreakage.value + s.metrics.repeatedConsumption.value + s.metrics.dmaToPoison.value).toBe(0);
    expect(s.metrics.throughputLost.value).toBeGreaterThan(0);
  });

  it("driver (7.3): the error on the device whose driver registered nothing reaches no one, and the VMM dies at its consumption", () => {
    const c = only("vfio", {});
    expect(c.workloads[0].vmKilled).toBe(true);
    expect(c.metrics.guestBreakage.sources[0].what).toMatch(/MF_IGNORED/);
  });

  it("keep: everyone is signalled, each retouch consumes again; unmap: no consumption, a broken 1G leaf per error", () => {
    const k = only("vfio", { pfnError: "keep" });
    expect(k.workloads[0].vmKilled).toBe(false);
    expect(k.metrics.repeatedConsumption.value).toBe(6);
    const u = only("vfio", { pfnError: "unmap" });
    expect(u.metrics.repeatedConsumption.value).toBe(0);
    expect(u.metrics.throughputLost.sources[0].what).toMatch(/3 broken 1G pfnmap leaves/);
  });
});

describe("answers the model does not take", () => {
  it("a decision that throws, or answers with something that is not a choice, is reported and mainline's answer used", () => {
    const c = scorePolicy({ name: "bad", ...base, memfdUe: () => { throw new Error("TODO: write it"); }, pfnError: (() => "zap") as never }, { workloads: ["vm-1g", "vfio"] });
    const kinds = c.violations.map((v) => `${v.workload}:${v.decision}:${v.kind}`);
    expect(kinds).toContain("vm-1g:memfdUe:invalid-answer");
    expect(kinds.filter((k) => k.startsWith("vfio:pfnError")).length).toBeGreaterThan(0);
    expect(c.violations[0].detail).toMatch(/threw Error: TODO: write it; mainline's unmap was used/);
    expect(c.metrics.memoryLostRunning.perWorkload["vm-1g"]).toBe(3 * G);
  });

  it("a decision cannot change the model through its context (it is frozen)", () => {
    const c = scorePolicy({ ...base, name: "sneaky", memfdUe: (ctx) => { (ctx as { memfdBytes: number }).memfdBytes = 0; return "keep-mapped"; } }, { workloads: ["vm-1g"] });
    expect(c.violations.map((v) => v.kind)).toEqual(["invalid-answer"]);
    expect(c.violations[0].detail).toMatch(/TypeError/);
  });

  it("toPolicy names what is missing or wrong in one line", () => {
    expect(() => toPolicy(42, "policy.ts")).toThrow(/policy.ts is not a policy object/);
    expect(() => toPolicy({ ...base, release: undefined }, "policy.ts")).toThrow(/no decision "release"/);
    expect(() => toPolicy({ ...base, pinned: "sometimes" }, "policy.ts")).toThrow(/"pinned" is "sometimes".*offline, ebusy, revoke/);
    expect(toPolicy({ ...base }).name).toBe("your policy");
  });

  it("battery options are checked", () => {
    expect(() => batteryParams({ errors: 99 })).toThrow(/errors/);
    expect(() => batteryParams({ workloads: ["nope" as WorkloadId] })).toThrow(/not a workload/);
    expect(() => batteryParams({ workloads: [] })).toThrow(/no workload/);
  });
});

describe("objections", () => {
  it("for a policy of constant choices, which objections fail and where does not depend on the battery's seed (exercise ch6.4 relies on it)", () => {
    const rng = new Rng(2026);
    const where = (c: PolicyChoices, seed: number) =>
      scorePolicy(policyFromChoices(c), { seed }).objections.filter((o) => o.failed).map((o) => `${o.id}:${[...new Set(o.evidence.map((e) => e.workload))].join("+")}`).join(" ");
    for (let i = 0; i < 12; i++) {
      const c = Object.fromEntries(DECISION_IDS.map((d) => [d, CHOICES[d][rng.nextInt(CHOICES[d].length)]])) as unknown as PolicyChoices;
      const first = where(c, 1);
      for (const seed of [2, 99, 123456]) expect(where(c, seed), `${JSON.stringify(c)}, seed ${seed}`).toBe(first);
    }
  });

  it("mainline 7.3 fails every objection, each with the cost sources that show it", () => {
    const c = scorePolicy(MAINLINE);
    expect(c.objections.map((o) => o.id)).toEqual([...OBJECTION_IDS]);
    for (const o of c.objections) {
      expect(o.failed, o.id).toBe(true);
      expect(o.evidence.length, o.id).toBeGreaterThan(0);
      expect(c.metrics[o.metric].sources).toEqual(expect.arrayContaining(o.evidence));
    }
  });

  it("every metric is finite and non-negative, and each value is the sum (or, for throughput, the max) of its workloads", () => {
    const c = scorePolicy(RFC_V2, { seed: 3 });
    for (const m of METRIC_IDS) {
      const per = Object.values(c.metrics[m].perWorkload) as number[];
      expect(Number.isFinite(c.metrics[m].value) && c.metrics[m].value >= 0, m).toBe(true);
      expect(c.metrics[m].value, m).toBeCloseTo(m === "throughputLost" ? Math.max(0, ...per) : per.reduce((s, x) => s + x, 0), 9);
    }
  });
});
