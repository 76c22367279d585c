// Exercise ch6.2: a policy under which no DMA reaches poison or offlined memory on the whole
// battery, no pinned folio leaks on the device's VM (the pinned-memory objection passes), and the
// model reports no violation. Scored with the library's scorePolicy() on seeded batteries.
import { describe, it } from "vitest";
import { scorePolicy } from "../../src/index.js";
import { fail, loadExercise, seeded } from "./_harness.js";
import { explain, noViolations, tryDecisions } from "./_policy.js";

const ID = "ch6-no-dma-to-poison";
type Mod = typeof import("../../exercises/ch6-no-dma-to-poison/.meta/reference.js");

describe("ch6.2 no DMA to poison, no pinned folio leaked", () => {
  it("every decision answers with one of its choices", async () => {
    const m = await loadExercise<Mod>(ID);
    tryDecisions(m.policy);
  });

  it("on seeded batteries: no DMA reaches poison or offlined memory, only raw pages are lost after the device's VM, no violation", async () => {
    const m = await loadExercise<Mod>(ID);
    const policy = tryDecisions(m.policy);
    seeded(ID, 3, (rng) => {
      const o = { errors: 1 + rng.nextInt(5), seed: rng.nextInt(2 ** 31) };
      const card = scorePolicy(policy, o);
      const where = `the battery with ${o.errors} error(s) per workload, seed ${o.seed}`;
      noViolations(card, where);
      if (card.metrics.dmaToPoison.value > 0) fail(`${where}: ${explain(card, "dmaToPoison")} device DMA(s) reached poison or offlined memory; none may`);
      const leak = card.objections.find((v) => v.id === "pinned-memory");
      if (leak?.failed) {
        fail(`${where}: after the VM with the device is torn down it loses ${card.metrics.memoryLostAfter.perWorkload.dma} bytes, more than its raw poisoned pages: ${leak.evidence.map((e) => e.what).join("; ")}`);
      }
    });
  });
});
