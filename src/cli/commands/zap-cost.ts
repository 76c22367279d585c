import type { Command } from "commander";
import type { PageSize } from "../../core/units.js";
import { CPU_PRESETS } from "../../tlb/presets.js";
import { zapCost, type ZapCost } from "../../vfio/zap-cost.js";
import { choiceOption, intOption, pageSizeOption, sizeOption, withFlags } from "../options.js";
import { emit, formatSize, pct, table } from "../output.js";

const CPUS = Object.keys(CPU_PRESETS);

export function registerZapCost(program: Command): void {
  program
    .command("zap-cost")
    .description("Chapter 5: why memory_failure_pfn() does not unmap: a huge pfnmap kept vs broken into 4K PTEs")
    .option("--region <size>", "the device memory region mapped as a huge pfnmap", sizeOption(4096, 2 ** 50), 16 * 2 ** 30)
    .option("--guest-page <size>", "the guest's own page size for the region: 4K, 2M or 1G", pageSizeOption, "2M" as PageSize)
    .option("--kept-page <size>", "leaf size of the kept huge pfnmap: 4K, 2M or 1G", pageSizeOption, "1G" as PageSize)
    .option("--paging-levels <n>", "guest and stage-2 page-table levels: 4 or 5", intOption(4, 5), 4)
    .option("--cpu <name>", `CPU TLB preset: ${CPUS.join(", ")}`, choiceOption(CPUS), "golden-cove")
    .option("--json", "print one JSON object")
    .action((o) => {
      const r = withFlags({ regionBytes: "--region", guestPage: "--guest-page", keptPage: "--kept-page" }, () =>
        zapCost(o.region, { cpu: CPU_PRESETS[o.cpu], guestPage: o.guestPage, keptPage: o.keptPage, pagingLevels: o.pagingLevels }),
      );
      const out = { cpu: o.cpu as string, guestPage: o.guestPage as PageSize, pagingLevels: o.pagingLevels as 4 | 5, ...r };
      const row = (name: string, c: ZapCost) => [name, c.pageSize, c.entries, c.effectivePageSize, pct(c.stlbReachFraction, 3), c.walkRefs2D];
      emit(!!o.json, out, () =>
        [
          `region ${formatSize(o.region)}, guest pages ${o.guestPage}, ${o.pagingLevels}-level tables, CPU ${CPU_PRESETS[o.cpu].name}`,
          ...table(["mapping", "host leaf", "stage-2 leaves", "TLB entry size", "STLB reach", "2D walk refs"], [row("kept", r.kept), row("zapped", r.zapped)]),
          `zapping only the ${r.kept.pageSize} leaf holding the poisoned PFN: ${r.zappedOneLeaf.entries} leaves (+${r.zappedOneLeaf.addedEntries})`,
          ...r.assumptions.map((a) => `assumption: ${a}`),
        ].join("\n"),
      );
    });
}
