// Exercise ch1.5: split budgets from the MemCycle model (src/thp/memcycle.ts). OSTEP style: the
// seed draws a machine (vCPUs, guest size, STLB, DRAM latency) and a budget; the same model
// that poses the question checks the answer.
import { describe, it } from "vitest";
import { GiB, formatSize, memcycleModel, pageSizeBytes, type MemCycleModel, type MemCycleParams } from "../../src/index.js";
import { Named, call, fail, loadExercise, pick, seeded } from "./_harness.js";
import type { Rng } from "../../src/index.js";

const ID = "ch1-split-budget";
const MODEL = new Named("model");
type Mod = typeof import("../../exercises/ch1-split-budget/.meta/reference.js");

function drawMachine(rng: Rng): { model: MemCycleModel; what: string } {
  const o: Partial<MemCycleParams> = {
    vcpus: pick(rng, [16, 40, 80, 120]),
    guestBytes: pick(rng, [128, 256, 640, 1024]) * GiB,
    stlbEntries: pick(rng, [1536, 2048, 3072]),
    dramLatencyNs: 80 + rng.nextInt(61),
  };
  return { model: memcycleModel(o), what: `a ${formatSize(o.guestBytes!)} guest on ${o.vcpus} vCPUs, ${o.stlbEntries}-entry STLB, ${o.dramLatencyNs} ns DRAM` };
}

const drop = (model: MemCycleModel, f: number): number => -model.predict(Math.min(1, Math.max(0, f))).throughputChangePercent;
const pct = (x: number, d = 2): string => `${x.toFixed(d)}%`;

describe("ch1.5 split budget", () => {
  it("dropPercent: the RFC's two points with the default model, and seeded machines", async () => {
    const m = await loadExercise<Mod>(ID);
    const model = memcycleModel();
    for (const f of [0.05, 0.25]) {
      const want = drop(model, f);
      const got = call("dropPercent", [MODEL, f], () => m.dropPercent(model, f));
      if (typeof got !== "number" || Math.abs(got - want) > 1e-9) {
        fail(`the model predicts that splitting ${pct(100 * f, 0)} of guest memory costs ${pct(want)} of throughput (the RFC measured ${f === 0.25 ? "5.06" : "1.20"}%), but your dropPercent returned ${String(got)}${typeof got === "number" && Math.abs(got + want) < 1e-9 ? " — a drop is a positive number" : ""}`);
      }
    }
    seeded(ID, 6, (rng) => {
      const { model: mm, what } = drawMachine(rng);
      const f = Math.round(rng.next() * 1000) / 1000;
      const want = drop(mm, f);
      const got = call("dropPercent", [MODEL, f], () => m.dropPercent(mm, f));
      if (typeof got !== "number" || Math.abs(got - want) > 1e-9) fail(`for ${what}, splitting ${pct(100 * f, 1)} costs ${pct(want, 3)} by the model, but your dropPercent returned ${String(got)}`);
    });
  });

  it("splitBudget: the largest split fraction within a seeded throughput budget", async () => {
    const m = await loadExercise<Mod>(ID);
    seeded(ID, 10, (rng) => {
      const { model, what } = drawMachine(rng);
      const budget = Math.round((0.3 + 11.7 * rng.next()) * 100) / 100;
      const got = call("splitBudget", [MODEL, budget], () => m.splitBudget(model, budget));
      if (typeof got !== "number" || !(got >= 0 && got <= 1)) fail(`for ${what} and a ${pct(budget)} budget a split fraction is between 0 and 1, but your splitBudget returned ${String(got)}`);
      const at = drop(model, got);
      if (at > budget + 1e-9) fail(`for ${what}: splitting ${pct(100 * got, 2)} costs ${pct(at, 3)}, over the ${pct(budget)} budget — your splitBudget is too high`);
      if (got < 0.999) {
        const next = drop(model, got + 0.001);
        if (next <= budget) fail(`for ${what}: splitting ${pct(100 * (got + 0.001), 2)} still costs only ${pct(next, 3)}, within the ${pct(budget)} budget — your splitBudget ${pct(100 * got, 2)} is more than 0.001 too low`);
      }
    });
  });

  it("poisonEventsBudget: the exact number of 2M host pages that may be split", async () => {
    const m = await loadExercise<Mod>(ID);
    seeded(ID, 10, (rng) => {
      const { model, what } = drawMachine(rng);
      const budget = Math.round((0.3 + 11.7 * rng.next()) * 100) / 100;
      const pages = Math.floor(model.params.guestBytes / pageSizeBytes(model.params.hostPageSize));
      const got = call("poisonEventsBudget", [MODEL, budget], () => m.poisonEventsBudget(model, budget));
      if (typeof got !== "number" || !Number.isInteger(got) || got < 0 || got > pages) {
        fail(`for ${what} the answer is a whole number of ${model.params.hostPageSize} pages from 0 to ${pages}, but your poisonEventsBudget returned ${String(got)}`);
      }
      const at = drop(model, got / pages);
      if (at > budget + 1e-9) fail(`for ${what}: ${got} split ${model.params.hostPageSize} pages cost ${pct(at, 4)}, over the ${pct(budget)} budget — one too many`);
      if (got < pages) {
        const next = drop(model, (got + 1) / pages);
        if (next <= budget) fail(`for ${what}: ${got + 1} split pages still cost only ${pct(next, 4)}, within the ${pct(budget)} budget — your poisonEventsBudget ${got} is too low (bisect on whole pages, not on the fraction)`);
      }
    });
  });
});
