// Property-based tests of the scenario runner itself (src/scenario): random scenario files
// (processes, memfds and mappings, then touches, poison, madvise, truncate, hole punch, close,
// exit, pin, unpoison, soft offline, populate and checks) go through the same path as
// `mfr-lab scenario`: text → parse → validate → run. Properties:
// - it either runs, or refuses one step with a one-line ScenarioError naming that step (never
//   another exception);
// - the same text and seed give the same result, and JSON or YAML text give the same result;
// - a check step asserting what the runner reported about the final state passes;
// - under the correct release paths no invariant breaks;
// - the checks after each step (incremental) report what a whole-machine walk reports.
// Seeded; a failure prints its seed and a one-line replay command.
import fc from "fast-check";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { fullChecksEverywhere } from "../../src/mfr/invariants.js";
import { parseScenario, runScenario, ScenarioError, type ScenarioResult, type ScenarioSpec } from "../../src/scenario/index.js";

const RUNS = Number(process.env.SCENARIO_RUNS ?? 250);
const SEED = process.env.SCENARIO_SEED ? Number(process.env.SCENARIO_SEED) : Date.now() % 2 ** 31;
const replay = (name: string) => `replay: SCENARIO_SEED=${SEED} npx vitest run test/scenario/properties.test.ts -t "${name}"`;

const n = fc.nat(1000);
type Abstract =
  | { op: "touch" | "write" | "read" | "madvise" | "pin" | "unpin"; m: number; page: number }
  | { op: "poison"; m: number; page: number; random: boolean; ar: boolean }
  | { op: "poison-pool"; pool: 0 | 1 }
  | { op: "truncate" | "punch-hole" | "close"; f: number }
  | { op: "exit"; p: number }
  | { op: "unpoison" | "soft-offline"; last: true }
  | { op: "populate"; m: number }
  | { op: "check-alive"; p: number };

const stepArb: fc.Arbitrary<Abstract> = fc.oneof(
  fc.record({ op: fc.constantFrom("touch" as const, "write" as const, "read" as const, "madvise" as const, "pin" as const, "unpin" as const), m: n, page: n }),
  fc.record({ op: fc.constant("poison" as const), m: n, page: n, random: fc.boolean(), ar: fc.boolean() }),
  fc.record({ op: fc.constant("poison" as const), m: n, page: n, random: fc.boolean(), ar: fc.boolean() }),
  fc.record({ op: fc.constant("poison-pool" as const), pool: fc.constantFrom<0 | 1>(0, 1) }),
  fc.record({ op: fc.constantFrom("truncate" as const, "punch-hole" as const, "close" as const), f: n }),
  fc.record({ op: fc.constant("exit" as const), p: n }),
  fc.record({ op: fc.constantFrom("unpoison" as const, "soft-offline" as const), last: fc.constant(true as const) }),
  fc.record({ op: fc.constant("populate" as const), m: n }),
  fc.record({ op: fc.constant("check-alive" as const), p: n }),
);

const fileArb = fc.record({
  variant: fc.constantFrom("v1", "v2"),
  procs: fc.integer({ min: 1, max: 3 }),
  memfds: fc.array(fc.record({ kind: fc.constantFrom(0, 1, 2, 3), p: n, mb: fc.constantFrom(2, 4) }), { minLength: 1, maxLength: 3 }),
  anon: fc.array(fc.record({ thp: fc.boolean(), p: n, populate: fc.boolean() }), { maxLength: 2 }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 14 }),
  seed: fc.nat(1000),
});
type File = typeof fileArb extends fc.Arbitrary<infer T> ? T : never;

/** A scenario file from the abstract description: every name it uses is defined. */
function toSpec(f: File): ScenarioSpec {
  const procs = Array.from({ length: f.procs }, (_, i) => `p${i}`);
  const memfds = f.memfds.map((x, i) => ({
    name: `f${i}`, process: procs[x.p % procs.length], size: `${x.mb}M`,
    ...(x.kind <= 1 ? { hugetlb: "2M" as const } : {}), ...(x.kind === 1 ? { keepUeMapped: true } : {}), ...(x.kind === 3 ? { thp: true } : {}),
  }));
  const mappings = [
    ...memfds.map((m, i) => ({ name: `m${i}`, process: m.process, memfd: m.name, populate: i % 2 === 0 })),
    ...f.anon.map((a, i) => ({ name: `a${i}`, process: procs[a.p % procs.length], length: "2M", ...(a.thp ? { thp: true } : {}), populate: a.populate })),
  ];
  const pages = (name: string) => (name.startsWith("a") ? 512 : (memfds[Number(name.slice(1))].size === "2M" ? 512 : 1024));
  const steps = f.steps.map((s): Record<string, unknown> => {
    switch (s.op) {
      case "poison": {
        const mp = mappings[s.m % mappings.length].name;
        return { op: "poison", mapping: mp, offset: s.random ? "random" : `${(s.page % pages(mp)) * 4}K`, ...(s.ar ? { actionRequired: true } : {}) };
      }
      case "poison-pool":
        return { op: "poison", pool: s.pool === 0 ? "buddy" : "hugetlb-2M", page: "random" };
      case "truncate":
        return { op: "truncate", memfd: memfds[s.f % memfds.length].name, size: 0 };
      case "punch-hole":
        return { op: "punch-hole", memfd: memfds[s.f % memfds.length].name, offset: 0, length: "2M" };
      case "close":
        return { op: "close", memfd: memfds[s.f % memfds.length].name };
      case "exit":
        return { op: "exit", process: procs[s.p % procs.length] };
      case "unpoison":
      case "soft-offline":
        return { op: s.op, previous: true };
      case "populate":
        return { op: "populate", mapping: mappings[s.m % mappings.length].name };
      case "check-alive":
        return { op: "check", alive: { [procs[s.p % procs.length]]: true } };
      default: {
        const mp = mappings[s.m % mappings.length].name;
        const off = `${(s.page % pages(mp)) * 4}K`;
        return s.op === "pin" || s.op === "unpin" ? { op: s.op, mapping: mp, offset: off } : { op: s.op, mapping: mp, offset: off };
      }
    }
  });
  return {
    name: "random", seed: f.seed,
    machine: { memory: "64M", hugetlb: { "2M": 8 }, policyVariant: f.variant, freeHasHwpoisoned: true },
    processes: procs, memfds, mappings, steps,
  } as unknown as ScenarioSpec;
}

/** Runs a file as `mfr-lab scenario` does; a refusal comes back as its message. */
function runText(text: string, source: string): ScenarioResult | { refused: string } {
  try {
    return runScenario(parseScenario(text, source), { source });
  } catch (e) {
    if (e instanceof ScenarioError) return { refused: e.message };
    throw e;
  }
}

const stable = (r: ScenarioResult | { refused: string }): unknown => JSON.parse(JSON.stringify(r));

describe("the scenario runner on random scenario files (fast-check)", () => {
  const name = "runs or refuses one step in one line; deterministic; JSON and YAML agree; checks of the reported state pass; no invariant breaks";
  it(name, { timeout: 180_000 }, () => {
    let ran = 0;
    let refused = 0;
    try {
      fc.assert(
        fc.property(fileArb, (f) => {
          const spec = toSpec(f);
          const json = JSON.stringify(spec);
          const a = runText(json, "random.json");
          if ("refused" in a) {
            refused++;
            expect(a.refused, "a refusal names the file and the step").toMatch(/^random\.json: (steps|mappings|memfds|processes)\[\d+\]/);
            expect(a.refused).not.toMatch(/\n/);
            return;
          }
          ran++;
          expect(stable(runText(json, "random.json")), "same text and seed, same result").toEqual(stable(a));
          const y = runText(stringify(spec), "random.yaml");
          expect("refused" in y ? y : { ...y, source: undefined }, "YAML text gives the same run").toEqual({ ...stable(a) as object, source: undefined });
          expect(a.violations.map((v) => v.text), "no invariant breaks under the v1/v2 release paths").toEqual([]);
          // A check of the final state the runner reported passes when added as a last step.
          const s = a.final;
          const alive = Object.fromEntries(Object.entries(s.processes).map(([p, x]) => [p, x.alive]));
          const checked = { ...spec, steps: [...spec.steps, { op: "check", summary: { poisoned: s.poisoned, offlined: s.offlined, leaked: s.leaked, free: s.free, inUse: s.inUse, hugetlbFree: s.hugetlbFree, numPoisonedPages: s.numPoisonedPages }, hugetlb: { "2M": s.hugetlb["2M"] }, alive, violations: [] }] } as ScenarioSpec;
          const c = runText(JSON.stringify(checked), "checked.json");
          if ("refused" in c) throw new Error(`the check of the reported state was refused: ${c.refused}`);
          expect(c.checkFailures, "a check of what the run reported adds no failure").toEqual(a.checkFailures);
        }),
        { numRuns: RUNS, seed: SEED },
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${replay(name)}`);
    }
    expect(ran, "most random files run to the end").toBeGreaterThan(refused / 4);
  });

  const same = "the checks after each step report what a whole-machine walk reports";
  it(same, { timeout: 180_000 }, () => {
    try {
      fc.assert(
        fc.property(fileArb, (f) => {
          const text = JSON.stringify({ ...toSpec(f), machine: { ...toSpec(f).machine, policyVariant: "v1-buggy", freeHasHwpoisoned: f.seed % 2 === 0 } });
          fullChecksEverywhere(true);
          let full: unknown;
          try {
            full = stable(runText(text, "r.json"));
          } finally {
            fullChecksEverywhere(false);
          }
          const incremental = stable(runText(text, "r.json"));
          const sortViolations = (r: unknown) => {
            const x = r as { violations?: { path: string; text: string }[]; events?: unknown[] };
            if (x.violations) x.violations = [...x.violations].sort((p, q) => `${p.path}${p.text}`.localeCompare(`${q.path}${q.text}`));
            // Within a step the two ways may list violations in another order.
            if (x.events) x.events = [...x.events].sort((p, q) => JSON.stringify(p).localeCompare(JSON.stringify(q)));
            return x;
          };
          expect(sortViolations(incremental)).toEqual(sortViolations(full));
        }),
        { numRuns: Math.ceil(RUNS / 2), seed: SEED },
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${replay(same)}`);
    }
  });
});
