// Exercise ch6.3: keep a confidential guest running through three errors: no vCPU exit or device
// fault on healthy memory, no VMM killed, no repeated consumption by a vCPU, no violation, under
// several CoCo designs and guest_memfd folio sizes. Scored with scorePolicy() on the cvm workload.
import { describe, it } from "vitest";
import { cocoDesign, scorePolicy, type CocoDesignId, type PageSize } from "../../src/index.js";
import { fail, loadExercise, seeded } from "./_harness.js";
import { explain, noViolations, tryDecisions } from "./_policy.js";

const ID = "ch6-confidential-guest";
type Mod = typeof import("../../exercises/ch6-confidential-guest/.meta/reference.js");
const DESIGNS: CocoDesignId[] = ["tdx-connect", "sev-snp", "no-device"];
const SIZES: PageSize[] = ["2M", "1G"];

describe("ch6.3 keep a confidential guest running through three errors", () => {
  it("gmemError answers with one of its choices", async () => {
    const m = await loadExercise<Mod>(ID);
    tryDecisions(m.policy, ["gmemError"]);
  });

  it("every design and folio size, seeded: three errors, no breakage, no repeated consumption, no violation", async () => {
    const m = await loadExercise<Mod>(ID);
    const policy = tryDecisions(m.policy, ["gmemError"]);
    seeded(ID, 2, (rng) => {
      for (const design of DESIGNS) {
        for (const folioSize of SIZES) {
          const o = { workloads: ["cvm" as const], errors: 3, seed: rng.nextInt(2 ** 31), probes: 2 + rng.nextInt(3), cvm: { design, folioSize } };
          const card = scorePolicy(policy, o);
          const where = `${cocoDesign(design).name}, ${folioSize} folios, 3 errors (battery seed ${o.seed})`;
          noViolations(card, where);
          if (card.workloads[0].vmKilled) fail(`${where}: the VMM was killed`);
          if (card.metrics.guestBreakage.value > 0) fail(`${where}: guest-visible breakage ${explain(card, "guestBreakage")}; the guest must keep every healthy page`);
          if (card.metrics.repeatedConsumption.value > 0) fail(`${where}: repeated consumption ${explain(card, "repeatedConsumption")}; no vCPU may read a poisoned page again`);
        }
      }
    });
  });
});
