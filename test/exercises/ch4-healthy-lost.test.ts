// Exercise ch4.2: healthy GFNs lost. Each seeded confidential VM (private memory size, folio size,
// policy, hwpoison scope, a few errors, often several in one folio) is built with the library's
// GuestMemfdVm (src/guest_memfd/vm.ts); its metrics after poison() are the expected answer.
import { describe, it } from "vitest";
import { GMEM_POLICIES, GuestMemfdVm, basePagesPer, formatSize, type PageSize, type Rng } from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch4-healthy-lost";
type Mod = typeof import("../../exercises/ch4-healthy-lost/.meta/reference.js");
type Scenario = import("../../exercises/ch4-healthy-lost/.meta/reference.js").LossScenario;
const FINISHED = ["GuestMemfdVm", "gmemPolicyOutcome", "gmemZapRows", "gmemOutcomeRows"];
const hex = (n: number) => "0x" + n.toString(16);
const fmt = (n: number) => n.toLocaleString("en-US");

function runOnModel(s: Scenario) {
  const vm = new GuestMemfdVm({ memory: s.memory, folioSize: s.folioSize, policy: s.policy, hwpoisonScope: s.hwpoisonScope });
  for (const g of s.errorGfns) vm.poison(g);
  return vm.metrics();
}

function describeScenario(s: Scenario): string {
  return `${s.memory} of private memory in ${s.folioSize} folios, policy ${s.policy}, hwpoisonScope "${s.hwpoisonScope}", errors at GFNs ${s.errorGfns.map(hex).join(", ")}`;
}

function check(m: Mod, s: Scenario): void {
  const want = runOnModel(s);
  const got = call("lossAfterErrors", [describeScenario(s)], () => m.lossAfterErrors(structuredClone(s)));
  if (!got || typeof got !== "object") fail(`lossAfterErrors must return { zappedGfns, healthyGfnsLost, stage2Leaves }, got ${String(got)}`);
  const what = describeScenario(s);
  if (got.zappedGfns !== want.zappedGfns) fail(`for ${what}: ${fmt(want.zappedGfns)} GFNs are zapped from stage-2, but your lossAfterErrors says ${String(got.zappedGfns)}`);
  if (got.healthyGfnsLost !== want.healthyGfnsLost) fail(`for ${what}: the guest loses ${fmt(want.healthyGfnsLost)} healthy GFNs, but your lossAfterErrors says ${String(got.healthyGfnsLost)}`);
  if (got.stage2Leaves !== want.stage2Leaves) fail(`for ${what}: stage-2 maps private memory with ${fmt(want.stage2Leaves)} leaf entries, but your lossAfterErrors says ${String(got.stage2Leaves)}`);
}

function scenario(rng: Rng): Scenario {
  const folioSize = pick(rng, ["4K", "2M", "1G"] as PageSize[]);
  const nr = basePagesPer(folioSize);
  const gig = 1 + rng.nextInt(16);
  const memory = formatSize(gig * 2 ** 30);
  const pages = gig * 262_144;
  const errorGfns: number[] = [];
  const n = 1 + rng.nextInt(8);
  while (errorGfns.length < n) {
    // Half the time near an earlier error: several poisoned pages in one folio or one 2M piece.
    const g = errorGfns.length && rng.next() < 0.5
      ? Math.min(pages - 1, Math.floor(pick(rng, errorGfns) / nr) * nr + rng.nextInt(Math.min(nr, 1024)))
      : rng.nextInt(pages);
    if (!errorGfns.includes(g)) errorGfns.push(g);
  }
  return { memory, folioSize, policy: pick(rng, GMEM_POLICIES), hwpoisonScope: rng.next() < 0.7 ? "folio" : "page", errorGfns };
}

describe("ch4.2 healthy GFNs lost", () => {
  it("the chapter's example: one error at GFN 0x40005 in 16G of 1G folios, each policy", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    for (const policy of GMEM_POLICIES) {
      check(m, { memory: "16G", folioSize: "1G", policy, hwpoisonScope: "folio", errorGfns: [0x40005] });
      check(m, { memory: "16G", folioSize: "2M", policy, hwpoisonScope: "folio", errorGfns: [0x40005, 0x40006, 0x40405] });
    }
    check(m, { memory: "16G", folioSize: "1G", policy: "zap-folio", hwpoisonScope: "page", errorGfns: [0x40005] });
  });

  it("seeded VMs: GFNs zapped, healthy GFNs lost and stage-2 leaves match the model", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 60, (rng) => check(m, scenario(rng)));
  });
});
