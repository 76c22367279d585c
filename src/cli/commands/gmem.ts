import type { Command } from "commander";
import type { PageSize } from "../../core/units.js";
import { COCO_DESIGNS, cocoDesign, type CocoDesignId } from "../../guest_memfd/designs.js";
import { GMEM_ASSUMPTIONS } from "../../guest_memfd/outcome.js";
import { gmemOutcomeRows } from "../../guest_memfd/series.js";
import { GMEM_POLICIES, type GmemPolicy, type HwpoisonScope } from "../../guest_memfd/vm.js";
import { choiceOption, intOption, listOption, numberOption, pageSizeOption, sizeTextOption, withFlags } from "../options.js";
import { limitWork, WORK_BUDGETS } from "../limits.js";
import { emit, pct, table } from "../output.js";

const DESIGNS: readonly CocoDesignId[] = COCO_DESIGNS.map((d) => d.id);
const FLAGS = {
  memory: "--memory", "memory (pages)": "--memory", folioSize: "--folio-size", errors: "--errors", accesses: "--accesses", dmas: "--dmas",
  retouch: "--retouch", seed: "--seed", policy: "--policy", design: "--design", "policies/designs": "--policy/--design",
};

export function registerGmem(program: Command): void {
  program
    .command("gmem")
    .description("Chapter 4: what a memory error in guest_memfd costs a confidential VM, per policy × CoCo design")
    .option("--memory <size>", "private memory: one guest_memfd bound at GFN 0", sizeTextOption(4096, 2 ** 44), "16G")
    .option("--folio-size <size>", "guest_memfd folio size: 4K (mainline), 2M or 1G (the 1G RFC)", pageSizeOption, "1G" as PageSize)
    .option("--errors <n>", "memory errors, on distinct uniformly drawn GFNs", intOption(0, 100_000), 4)
    .option("--accesses <n>", "vCPU accesses after the errors", intOption(0, 10_000_000), 10_000)
    .option("--dmas <n>", "device DMAs after the errors", intOption(0, 10_000_000), 10_000)
    .option("--retouch <p>", "share of accesses and DMAs aimed at a poisoned GFN, 0..1", numberOption(0, 1), 0)
    .option("--hwpoison-scope <s>", "after an error, refuse the whole folio or only the page", choiceOption(["folio", "page"] as const), "folio" as HwpoisonScope)
    .option("--policy <list>", `comma-separated policies: ${GMEM_POLICIES.join(", ")}`, listOption(choiceOption(GMEM_POLICIES)), [...GMEM_POLICIES])
    .option("--design <list>", `comma-separated CoCo designs: ${DESIGNS.join(", ")}`, listOption(choiceOption(DESIGNS)), [...DESIGNS])
    .option("--seed <s>", "random seed (error GFNs, access and DMA targets)", intOption(0, 0xffffffff), 1)
    .option("--json", "print one JSON object")
    .action((o) => {
      const base = { memory: o.memory as string, folioSize: o.folioSize as PageSize, errors: o.errors as number, accesses: o.accesses as number, dmas: o.dmas as number, retouch: o.retouch as number, hwpoisonScope: o.hwpoisonScope as HwpoisonScope, seed: o.seed as number };
      const policies = o.policy as GmemPolicy[];
      const designs = o.design as CocoDesignId[];
      const runs = policies.length * designs.length;
      limitWork({
        command: "gmem",
        parts: [
          { what: "vCPU accesses and DMAs", amount: runs * (base.accesses + base.dmas), budget: WORK_BUDGETS.gmemAccesses, how: `${runs} policy × design runs × (${base.accesses} + ${base.dmas})` },
          { what: "errors", amount: runs * base.errors, budget: WORK_BUDGETS.gmemErrors, how: `${runs} runs × ${base.errors}` },
        ],
        lower: "lower --accesses, --dmas or --errors, or give fewer --policy / --design values",
      });
      const rows = withFlags(FLAGS, () => gmemOutcomeRows(base, policies, designs));
      const out = { ...base, policies, designs, rows, assumptions: GMEM_ASSUMPTIONS };
      emit(!!o.json, out, () =>
        [
          `${base.memory} of private memory in ${base.folioSize} guest_memfd folios, ${base.errors} errors, ${base.accesses} vCPU accesses, ${base.dmas} DMAs, retouch ${base.retouch}, hwpoison scope ${base.hwpoisonScope}, seed ${base.seed}`,
          ...table(
            ["design / policy", "healthy GFNs lost (share)", "exits", "DMA faults", "consumptions", "stage-2 leaves"],
            rows.map((r) => [`${r.design} / ${r.policy}`, `${r.healthyGfnsLost} (${pct(r.healthyFractionLost, 3)})`, r.exits, r.dmaFaults, r.consumptions, r.stage2Leaves]),
          ),
          ...designs.map((d) => {
            const c = cocoDesign(d);
            return `design ${d}: ${c.name}; device DMA ${!c.hasDevice ? "none" : c.iommuSharesStage2 ? "shares the CPU's stage-2" : "uses its own IOMMU tables"} (${!c.hasDevice ? "by definition" : c.verified ? "stated in the thread" : "assumption"})`;
          }),
          ...GMEM_ASSUMPTIONS.map((a) => `assumption: ${a}`),
        ].join("\n"),
      );
    });
}
