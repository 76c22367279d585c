// Property-based tests (fast-check): random policies (constants, functions of their context,
// answers that are not choices, decisions that throw or try to change their context) on random
// batteries. Whatever a policy says, the model must end every Machine workload with no invariant
// broken and unreported: every bad answer and every refusal is a reported violation, every
// invariant the checker caught is counted, and no poisoned frame is left where it can be handed
// out. Seeded; a failure prints its seed and a one-line replay command.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CHOICES, COCO_DESIGNS, DECISION_IDS, WORKLOAD_IDS, folioTest, PG_hugetlb, PG_hugetlb_freed, PG_hwpoison, scorePolicy,
  type DecisionId, type Machine, type PageSize, type Policy, type WorkloadId,
} from "../../src/index.js";

const RUNS = Number(process.env.POLICY_RUNS ?? 40);
const SEED = process.env.MFR_SEED ? Number(process.env.MFR_SEED) : Date.now() % 2 ** 31;

type Rule =
  | { kind: "const"; choice: number }
  | { kind: "fn"; salt: number }
  | { kind: "bad"; what: "not-a-choice" | "throws" | "undefined" | "mutates" };

const ruleArb: fc.Arbitrary<Rule> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("const" as const), choice: fc.nat(3) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("fn" as const), salt: fc.nat(1000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("bad" as const), what: fc.constantFrom("not-a-choice" as const, "throws" as const, "undefined" as const, "mutates" as const) }) },
);

/** A context-dependent answer: a hash of the context's fields and a salt picks the choice. */
function hashCtx(ctx: object, salt: number): number {
  let h = salt >>> 0;
  for (const [k, v] of Object.entries(ctx)) for (const ch of `${k}=${String(v)};`) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return h;
}

function makePolicy(rules: Record<DecisionId, Rule>): Policy {
  const p: Record<string, unknown> = { name: "random" };
  for (const d of DECISION_IDS) {
    const r = rules[d];
    const cs = CHOICES[d] as readonly string[];
    if (r.kind === "const") p[d] = cs[r.choice % cs.length];
    else if (r.kind === "fn") p[d] = (ctx: object) => cs[hashCtx(ctx, r.salt) % cs.length];
    else if (r.what === "not-a-choice") p[d] = () => "whatever";
    else if (r.what === "throws") p[d] = () => { throw new RangeError("random policy gave up"); };
    else if (r.what === "undefined") p[d] = () => undefined;
    else p[d] = (ctx: Record<string, unknown>) => { ctx.decision = "mine"; return cs[0]; };
  }
  return p as unknown as Policy;
}

const rulesArb = fc.record(Object.fromEntries(DECISION_IDS.map((d) => [d, ruleArb])) as Record<DecisionId, fc.Arbitrary<Rule>>);
const batteryArb = fc.record({
  seed: fc.nat(0xffffffff),
  errors: fc.integer({ min: 0, max: 6 }),
  retouch: fc.integer({ min: 0, max: 3 }),
  probes: fc.integer({ min: 0, max: 4 }),
  workloads: fc.subarray([...WORKLOAD_IDS], { minLength: 1 }),
  cvm: fc.record({ design: fc.constantFrom(...COCO_DESIGNS.map((d) => d.id)), folioSize: fc.constantFrom<PageSize>("4K", "2M", "1G") }),
});

/** Independent of the model's own checker: a poisoned frame is never free, nor in a folio that could be handed out after it went bad. */
function poisonedFramesSafe(m: Machine): string[] {
  const out: string[] = [];
  for (const [pfn, seq] of m.mem.badFrames) {
    if (m.mem.buddy.isFree(pfn)) out.push(`poisoned pfn ${pfn} is free`);
    const f = m.mem.pageFolio(pfn);
    if (f && f.allocSeq > seq && !folioTest(f, PG_hugetlb_freed)) out.push(`poisoned pfn ${pfn} was handed out again`);
    // A poisoned page in the HugeTLB free pool must be flagged, so dequeue skips it.
    if (f && folioTest(f, PG_hugetlb) && folioTest(f, PG_hugetlb_freed) && !folioTest(f, PG_hwpoison)) out.push(`poisoned pfn ${pfn} sits in an unflagged free HugeTLB folio`);
  }
  for (const f of m.mem.folios.values()) if (f.ref < 0 || f.mapcount < 0 || f.pincount < 0) out.push(`folio at pfn ${f.pfn} has ref ${f.ref}, mapcount ${f.mapcount}, pincount ${f.pincount}`);
  return out;
}

function replayHint(name: string, seed: number): string {
  return `replay: MFR_SEED=${seed} npx vitest run test/policy/properties.test.ts -t "${name}"`;
}

type Battery = typeof batteryArb extends fc.Arbitrary<infer T> ? T : never;

function check(name: string, prop: fc.IPropertyWithHooks<[Record<DecisionId, Rule>, Battery]>): void {
  try {
    fc.assert(prop, { numRuns: RUNS, seed: SEED, includeErrorInReport: true });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${replayHint(name, SEED)}`);
  }
}

describe("random policies on random batteries (fast-check)", () => {
  const enforced = "no invariant is left broken or unreported, whatever the policy answers";
  it(enforced, { timeout: 180_000 }, () => {
    check(
      enforced,
      fc.property(rulesArb, batteryArb, (rules, battery) => {
        const machines: { w: WorkloadId; m: Machine; before: number }[] = [];
        const card = scorePolicy(makePolicy(rules), { ...battery, onMachine: (w, m) => machines.push({ w, m, before: m.violations.length }) });
        // 1. The model's own deep check finds nothing new after teardown.
        for (const { w, m, before } of machines) {
          const found = m.checkInvariants();
          if (found.length) throw new Error(`${w}: invariants broken at the end and not enforced: ${found.map((v) => `${v.name}: ${v.detail}`).join("; ")}`);
          const unsafe = poisonedFramesSafe(m);
          if (unsafe.length) throw new Error(`${w}: ${unsafe.join("; ")}`);
          // 2. Every violation the checker caught during the run is on the scorecard.
          const counted = card.violations.filter((v) => v.workload === w && v.kind === "invariant").length;
          if (counted !== before) throw new Error(`${w}: the checker caught ${before} violation(s), the scorecard counts ${counted}`);
        }
        // 3. Every answer that is not a choice (or a throw) is a reported violation, and mainline's answer was applied.
        for (const r of card.decisions) {
          const valid = (CHOICES[r.decision] as readonly string[]).includes(r.answer);
          if (!valid && !(CHOICES[r.decision] as readonly string[]).includes(r.applied)) throw new Error(`${r.decision} answered ${r.answer} and ${r.applied} was applied`);
        }
        const invalid = card.decisions.filter((r) => !(CHOICES[r.decision] as readonly string[]).includes(r.answer)).length;
        const reported = card.violations.filter((v) => v.kind === "invalid-answer").length;
        if (invalid !== reported) throw new Error(`${invalid} invalid answers, ${reported} reported`);
        // 4. Every demote the model refused is reported (a split asked of a pinned folio).
        // (A pin revoked at the error leaves the folio free to split: then nothing is refused.)
        const dma = card.decisions.filter((r) => r.workload === "dma");
        const revokedFirst = dma.some((r) => r.decision === "pinned" && r.applied === "revoke" && /when=error/.test(r.context));
        if (dma.some((r) => r.decision === "memfdUe" && r.applied === "split") && !revokedFirst) {
          const errs = card.options.errors;
          const refused = card.violations.filter((v) => v.workload === "dma" && v.kind === "refused").length;
          if (errs > 0 && refused === 0) throw new Error("a split of pinned folios was asked and nothing was refused");
        }
        // 5. The metrics add up and are sane: no poisoned page comes back as usable memory.
        expect(card.metrics.violations.value).toBe(card.violations.length);
        for (const { w, m } of machines) {
          const lostAfter = card.metrics.memoryLostAfter.perWorkload[w] ?? 0;
          if (lostAfter < m.mem.badFrames.size * 4096) throw new Error(`${w}: ${m.mem.badFrames.size} poisoned frames but only ${lostAfter} bytes counted lost after teardown`);
        }
      }),
    );
  });

  const deterministic = "the same policy and seed give the same scorecard";
  it(deterministic, { timeout: 120_000 }, () => {
    check(
      deterministic,
      fc.property(rulesArb, batteryArb, (rules, battery) => {
        const a = JSON.stringify(scorePolicy(makePolicy(rules), battery));
        const b = JSON.stringify(scorePolicy(makePolicy(rules), battery));
        if (a !== b) throw new Error("two runs of the same policy and battery differ");
      }).beforeEach(() => undefined),
    );
  });

  // A coverage check must not depend on the clock (with 40 random runs about one seed in five
  // reaches neither case): it uses a fixed seed that reaches both; the properties above use the run's.
  const COVERAGE_SEED = 1;
  it("the search reaches the unsafe requests it is meant to catch (a THP kept whole, a pinned folio split)", { timeout: 120_000 }, () => {
    let caught = 0;
    let refused = 0;
    fc.assert(
      fc.property(rulesArb, batteryArb, (rules, battery) => {
        const card = scorePolicy(makePolicy(rules), battery);
        if (card.violations.some((v) => v.kind === "invariant" && /poisoned-frame-free/.test(v.detail))) caught++;
        if (card.violations.some((v) => v.kind === "refused")) refused++;
      }),
      { numRuns: RUNS, seed: COVERAGE_SEED },
    );
    expect(caught, `no random policy kept a THP whole and released it (seed ${COVERAGE_SEED})`).toBeGreaterThan(0);
    expect(refused, `no random policy asked to split a pinned folio (seed ${COVERAGE_SEED})`).toBeGreaterThan(0);
  });
});
