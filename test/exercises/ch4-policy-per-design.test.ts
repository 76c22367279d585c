// Exercise ch4.4: a policy per CoCo design. For every design in COCO_DESIGNS, policy, folio size and
// DMA target, a VM is built with the library's GuestMemfdVm (src/guest_memfd/vm.ts), one page is
// poisoned at a seeded position, and a device DMA is run (dma()); safePolicies() is checked against
// the same runs.
import { describe, it } from "vitest";
import { COCO_DESIGNS, GMEM_POLICIES, GuestMemfdVm, basePagesPer, type CocoDesign, type GmemPolicy, type PageSize, type Rng } from "../../src/index.js";
import { call, fail, loadExercise, seeded } from "./_harness.js";

const ID = "ch4-policy-per-design";
type Mod = typeof import("../../exercises/ch4-policy-per-design/.meta/reference.js");
type Target = import("../../exercises/ch4-policy-per-design/.meta/reference.js").DmaTarget;
const FINISHED = ["GuestMemfdVm", "gmemPolicyOutcome", "gmemOutcomeRows"];
const SIZES: PageSize[] = ["4K", "2M", "1G"];
const targetsFor = (size: PageSize): Target[] => (size === "4K" ? ["poisoned", "other-folio"] : ["poisoned", "same-folio", "other-folio"]);
const TARGET_WORDS: Record<Target, string> = { poisoned: "the poisoned page", "same-folio": "a healthy page of the poisoned folio", "other-folio": "a page of another folio" };

/** One error in the second of four folios, then one DMA to the target. */
function runOnModel(design: CocoDesign, policy: GmemPolicy, size: PageSize, target: Target, rng: Rng): string {
  const nr = basePagesPer(size);
  const vm = new GuestMemfdVm({ memory: 4 * nr * 4096, folioSize: size, policy, design: design.id });
  const off = rng.nextInt(nr);
  const poisoned = nr + off;
  vm.poison(poisoned);
  const gfn = target === "poisoned" ? poisoned : target === "same-folio" ? nr + ((off + 1 + rng.nextInt(nr - 1)) % nr) : pickOther(rng, nr);
  return vm.dma(gfn).result;
}
const pickOther = (rng: Rng, nr: number) => (rng.next() < 0.5 ? rng.nextInt(nr) : 2 * nr + rng.nextInt(2 * nr));

/** What the model says is safe: no poison consumed, every healthy target reachable. */
function safeOnModel(design: CocoDesign, size: PageSize, rng: Rng): GmemPolicy[] {
  return GMEM_POLICIES.filter((p) =>
    targetsFor(size).every((t) => {
      const r = runOnModel(design, p, size, t, rng);
      return t === "poisoned" ? r !== "poison-consumed" : r === "ok" || r === "no-device";
    }),
  );
}

const list = (ps: unknown) => (Array.isArray(ps) ? (ps.length ? ps.join(", ") : "none") : String(ps));

describe("ch4.4 a policy per CoCo design", () => {
  it("every design × policy × folio size × target: the DMA result matches the model", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 3, (rng) => {
      for (const d of COCO_DESIGNS) {
        for (const policy of GMEM_POLICIES) {
          for (const size of SIZES) {
            for (const target of targetsFor(size)) {
              const want = runOnModel(d, policy, size, target, rng);
              const got = call("dmaAfterError", [d.id, policy, size, target], () => m.dmaAfterError(structuredClone(d), policy, size, target));
              if (got !== want) {
                fail(`${d.name} (device DMA through ${d.hasDevice ? (d.iommuSharesStage2 ? "the CPU's stage-2" : "its own IOMMU tables") : "nothing: no device"}), policy ${policy}, ${size} folios: a DMA to ${TARGET_WORDS[target]} right after the error gives ${want}, but your dmaAfterError says ${String(got)}`);
              }
            }
          }
        }
      }
    });
  });

  it("safePolicies: which policies keep the device off the poison and on every healthy page, per design", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 2, (rng) => {
      for (const d of COCO_DESIGNS) {
        for (const size of SIZES) {
          const want = safeOnModel(d, size, rng);
          const got = call("safePolicies", [d.id, size], () => m.safePolicies(structuredClone(d), size));
          if (list(got) !== list(want)) fail(`${d.name}, ${size} folios: the safe policies are ${list(want)}, but your safePolicies says ${list(got)}`);
        }
      }
    });
  });
});
