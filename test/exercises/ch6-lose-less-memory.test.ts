// Exercise ch6.1: a policy that loses less memory than mainline 7.3 on the battery's VM on 1G
// HugeTLB, while running and after teardown, with no violation. Scored with the library's
// scorePolicy() next to MAINLINE, on seeded batteries.
import { describe, it } from "vitest";
import { MAINLINE, scorePolicy } from "../../src/index.js";
import { fail, loadExercise, seeded } from "./_harness.js";
import { explain, noViolations, tryDecisions } from "./_policy.js";

const ID = "ch6-lose-less-memory";
type Mod = typeof import("../../exercises/ch6-lose-less-memory/.meta/reference.js");

describe("ch6.1 lose less memory than mainline on 1G HugeTLB", () => {
  it("every decision answers with one of its choices", async () => {
    const m = await loadExercise<Mod>(ID);
    tryDecisions(m.policy);
  });

  it("on seeded batteries: less memory lost than mainline while running and after teardown, no violation", async () => {
    const m = await loadExercise<Mod>(ID);
    const policy = tryDecisions(m.policy);
    seeded(ID, 4, (rng) => {
      const o = { workloads: ["vm-1g" as const], errors: 1 + rng.nextInt(5), seed: rng.nextInt(2 ** 31) };
      const mine = scorePolicy(policy, o);
      const main = scorePolicy(MAINLINE, o);
      const where = `VM on 1G HugeTLB, ${o.errors} error(s), battery seed ${o.seed}`;
      noViolations(mine, where);
      for (const metric of ["memoryLostRunning", "memoryLostAfter"] as const) {
        if (mine.metrics[metric].value >= main.metrics[metric].value) {
          fail(`${where}: your policy's ${metric === "memoryLostRunning" ? "memory lost while running" : "memory lost after teardown"} is ${explain(mine, metric)}, mainline's ${explain(main, metric)}: it must be less`);
        }
      }
    });
  });
});
