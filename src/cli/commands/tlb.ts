import type { Command } from "commander";
import { simulateTlb } from "../../tlb/simulate.js";
import { checkFlag, choiceOption, intOption, pageSizeOption, sizeOption, numberOption, withFlags } from "../options.js";
import { pageSizeBytes } from "../../core/units.js";
import { limitWork, WORK_BUDGETS } from "../limits.js";
import { emit, formatSize, pct } from "../output.js";

export function registerTlb(program: Command): void {
  program
    .command("tlb")
    .description("simulate one LRU TLB of a single page size over a working set")
    .requiredOption("--entries <n>", "TLB entries", intOption(1, 1 << 20))
    .option("--ways <w>", "associativity (default: fully associative)", intOption(1, 1 << 20))
    .requiredOption("--page-size <size>", "4K, 2M or 1G", pageSizeOption)
    .requiredOption("--working-set <size>", 'working set, e.g. "64M", "4G"', sizeOption(4096, 2 ** 41))
    .option("--pattern <p>", "uniform, sequential or zipf", choiceOption(["uniform", "sequential", "zipf"] as const), "uniform")
    .option("--zipf-s <s>", "zipf exponent", numberOption(0, 5), 1)
    .option("--accesses <n>", "accesses to simulate", intOption(1, 1 << 26), 1_000_000)
    .option("--seed <s>", "random seed", intOption(0, 0xffffffff), 1)
    .option("--json", "print one JSON object")
    .action((o) => {
      const ways: number = o.ways ?? o.entries;
      checkFlag("--ways", o.entries % ways === 0 ? null : `${ways} does not divide --entries ${o.entries} into whole sets`, "use a divisor of --entries, e.g. 4 or 8");
      limitWork({
        command: "tlb",
        parts: [
          { what: "accesses", amount: o.accesses, budget: WORK_BUDGETS.tlbAccesses },
          { what: "zipf pages", amount: o.pattern === "zipf" ? Math.ceil(o.workingSet / pageSizeBytes(o.pageSize)) : 0, budget: WORK_BUDGETS.tlbZipfPages, how: `--working-set ${formatSize(o.workingSet)} in ${o.pageSize} pages` },
        ],
        lower: o.pattern === "zipf" ? "lower --accesses or --working-set, or use a larger --page-size" : "lower --accesses",
      });
      const r = withFlags({ "working set": "--working-set", pages: "--working-set", accesses: "--accesses", "zipf s": "--zipf-s" }, () =>
        simulateTlb({
          entries: o.entries, ways, pageSize: o.pageSize, workingSetBytes: o.workingSet,
          pattern: o.pattern, accesses: o.accesses, seed: o.seed, zipfS: o.zipfS,
        }),
      );
      emit(!!o.json, r, () =>
        [
          `TLB: ${r.entries} entries, ${r.ways}-way (${r.sets} sets), ${r.pageSize} pages → reach ${formatSize(r.reachBytes)}`,
          `working set ${formatSize(r.workingSetBytes)} (${r.workingSetPages} pages), ${r.pattern}, ${r.accesses} accesses, seed ${r.seed}`,
          `hits ${r.hits}, misses ${r.misses}, hit rate ${pct(r.hitRate)}`,
        ].join("\n"),
      );
    });
}
