// Exercise ch6.4: predict which objections a policy of constant choices fails on the default
// battery, and in which workloads. Checked against the library's scorePolicy() for seeded random
// choices and every built-in policy with constant choices, on several battery seeds.
import { describe, it } from "vitest";
import {
  BUILTIN_POLICIES, CHOICES, DECISION_IDS, OBJECTIONS, WORKLOAD_IDS, choicesOf, isConstantPolicy, policyFromChoices, scorePolicy,
  type PolicyChoices, type Rng,
} from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch6-predict-objections";
type Mod = typeof import("../../exercises/ch6-predict-objections/.meta/reference.js");
type Failure = import("../../exercises/ch6-predict-objections/.meta/reference.js").Failure;
const FINISHED = ["scorePolicy", "scoreBuiltins", "judgeObjections", "scoreRows"];

function randomChoices(rng: Rng): PolicyChoices {
  return Object.fromEntries(DECISION_IDS.map((d) => [d, pick(rng, CHOICES[d] as readonly string[])])) as unknown as PolicyChoices;
}

const show = (fs: readonly Failure[]) => (fs.length ? fs.map((f) => `${f.objection} in ${f.workloads.join("+")}`).join(", ") : "none");
const choiceText = (c: PolicyChoices) => DECISION_IDS.map((d) => `${d} ${c[d]}`).join(", ");

describe("ch6.4 predict which objections a policy fails", () => {
  it("matches the scorecard for the built-in policies and seeded random choices", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    const builtins = BUILTIN_POLICIES.filter(isConstantPolicy).map((p) => ({ name: p.name, c: choicesOf(p) }));
    seeded(ID, 3, (rng) => {
      const cases = [...builtins, ...Array.from({ length: 8 }, () => ({ name: "random", c: randomChoices(rng) }))];
      for (const { name, c } of cases) {
        const seed = rng.nextInt(2 ** 31);
        const card = scorePolicy(policyFromChoices(c), { seed });
        const want: Failure[] = card.objections.filter((o) => o.failed).map((o) => ({ objection: o.id, workloads: WORKLOAD_IDS.filter((w) => o.evidence.some((e) => e.workload === w)) }));
        const got = call("predictFailures", [c], () => m.predictFailures({ ...c }));
        if (JSON.stringify(got) === JSON.stringify(want)) continue;
        // Name the first objection the prediction gets wrong, with the cost that decides it.
        const gotList = Array.isArray(got) ? (got as Failure[]) : [];
        for (const v of card.objections) {
          const p = gotList.find((f) => f && f.objection === v.id);
          const w = want.find((f) => f.objection === v.id);
          if (JSON.stringify(p?.workloads ?? null) === JSON.stringify(w?.workloads ?? null)) continue;
          const cause = v.failed ? `it fails in ${w!.workloads.join("+")}: ${v.evidence.map((e) => `${e.workload}: ${e.what}`).join("; ")}` : `it passes: ${OBJECTIONS[v.id].passes}`;
          fail(`policy ${name === "random" ? "" : `"${name}" `}(${choiceText(c)}): you predicted ${p ? `${v.id} failing in ${p.workloads.join("+")}` : `${v.id} passing`}, but ${cause}. All of yours: ${show(gotList)}; the scorecard's: ${show(want)}`);
        }
        fail(`policy (${choiceText(c)}): predicted ${show(gotList)}, the scorecard's ${show(want)} (same objections, check the order: OBJECTION_IDS, workloads in battery order)`);
      }
    });
  });
});
