import type { Command } from "commander";
import type { PageSize } from "../../core/units.js";
import { iotlbCliff } from "../../iommu/iotlb.js";
import { TiB } from "../../core/units.js";
import { checkFlag, choiceOption, intOption, listOption, pageSizeOption, sizeOption, withFlags } from "../options.js";
import { limitWork, WORK_BUDGETS } from "../limits.js";
import { emit, formatSize, pct, table } from "../output.js";
import { progress } from "../progress.js";

/** Working sets from `from` to `to`, `steps` points spaced evenly on a log scale. */
function logSweep(from: number, to: number, steps: number): number[] {
  if (steps === 1) return [from];
  const out: number[] = [];
  for (let i = 0; i < steps; i++) out.push(Math.round(Math.exp(Math.log(from) + ((Math.log(to) - Math.log(from)) * i) / (steps - 1)) / 4096) * 4096);
  return out;
}

export function registerIotlb(program: Command): void {
  program
    .command("iotlb")
    .description("the IOTLB cliff: relative IO throughput against IO working set, for 2M- vs 4K-backed buffers")
    .option("--entries <n>", "IOTLB entries", intOption(1, 1 << 16), 64)
    .option("--ways <w>", "associativity (default: fully associative)", intOption(1, 1 << 16))
    .option("--page-size <sizes>", "comma-separated page sizes, e.g. 4K,2M", listOption(pageSizeOption), ["4K", "2M"] as PageSize[])
    .option("--working-set <size>", "one IO working set (instead of a sweep)", sizeOption(4096, TiB))
    .option("--from <size>", "sweep start", sizeOption(4096, TiB), 64 * 1024)
    .option("--to <size>", "sweep end", sizeOption(4096, TiB), 1024 * 1024 * 1024)
    .option("--steps <n>", "points in the sweep", intOption(1, 200), 25)
    .option("--pattern <p>", "uniform or ring", choiceOption(["uniform", "ring"] as const), "uniform")
    .option("--accesses <n>", "DMA accesses per point", intOption(1000, 1 << 24), 200_000)
    .option("--seed <s>", "random seed", intOption(0, 0xffffffff), 1)
    .option("--json", "print one JSON object")
    .action((o) => {
      const ways: number = o.ways ?? o.entries;
      checkFlag("--ways", o.entries % ways === 0 ? null : `${ways} does not divide --entries ${o.entries} into whole sets`, "use a divisor of --entries, e.g. 4 or 8");
      if (o.workingSet === undefined) checkFlag("--to", o.to >= o.from ? null : `${formatSize(o.to)} is below --from ${formatSize(o.from)}`, "a sweep goes up from --from to --to");
      const sets: number[] = o.workingSet !== undefined ? [o.workingSet] : logSweep(o.from, o.to, o.steps);
      limitWork({
        command: "iotlb",
        parts: [{
          what: "DMA accesses", amount: sets.length * o.pageSize.length * o.accesses, budget: WORK_BUDGETS.iotlbAccesses,
          how: `${sets.length} working sets × ${o.pageSize.length} page sizes × ${o.accesses}`,
        }],
        lower: o.workingSet !== undefined ? "lower --accesses" : "lower --steps or --accesses, or give fewer --page-size values",
      });
      const flags = { workingSetBytes: o.workingSet !== undefined ? "--working-set" : "--from", accesses: "--accesses", entries: "--entries", ways: "--ways" };
      const bar = progress(sets.length, "iotlb sweep", !o.json);
      const points = sets.flatMap((ws) => {
        const r = withFlags(flags, () => iotlbCliff({ entries: o.entries, ways, workingSets: [ws], pageSizes: o.pageSize, pattern: o.pattern, accesses: o.accesses, seed: o.seed }));
        bar.tick();
        return r;
      });
      bar.stop();
      const out = { entries: o.entries, ways: o.ways ?? o.entries, pattern: o.pattern, accesses: o.accesses, seed: o.seed, points };
      emit(!!o.json, out, () =>
        [
          `IOTLB ${o.entries} entries, ${o.pattern} DMA, ${o.accesses} accesses/point, seed ${o.seed}`,
          ...table(["working set", "page", "hit rate", "relative throughput"], points.map((p) => [formatSize(p.workingSetBytes), p.pageSize, pct(p.hitRate, 1), p.relativeThroughput.toFixed(3)])),
        ].join("\n"),
      );
    });
}
