import type { Command } from "commander";
import { simulateTlb } from "../../tlb/simulate.js";
import { choiceOption, intOption, pageSizeOption, sizeOption, numberOption } from "../options.js";
import { emit, formatSize, pct } from "../output.js";

export function registerTlb(program: Command): void {
  program
    .command("tlb")
    .description("simulate one LRU TLB of a single page size over a working set")
    .requiredOption("--entries <n>", "TLB entries", intOption(1, 1 << 20))
    .option("--ways <w>", "associativity (default: fully associative)", intOption(1, 1 << 20))
    .requiredOption("--page-size <size>", "4K, 2M or 1G", pageSizeOption)
    .requiredOption("--working-set <size>", 'working set, e.g. "64M", "4G"', sizeOption)
    .option("--pattern <p>", "uniform, sequential or zipf", choiceOption(["uniform", "sequential", "zipf"] as const), "uniform")
    .option("--zipf-s <s>", "zipf exponent", numberOption(0, 5), 1)
    .option("--accesses <n>", "accesses to simulate", intOption(1, 1 << 26), 1_000_000)
    .option("--seed <s>", "random seed", intOption(0, 0xffffffff), 1)
    .option("--json", "print one JSON object")
    .action((o) => {
      const r = simulateTlb({
        entries: o.entries, ways: o.ways ?? o.entries, pageSize: o.pageSize, workingSetBytes: o.workingSet,
        pattern: o.pattern, accesses: o.accesses, seed: o.seed, zipfS: o.zipfS,
      });
      emit(!!o.json, r, () =>
        [
          `TLB: ${r.entries} entries, ${r.ways}-way (${r.sets} sets), ${r.pageSize} pages → reach ${formatSize(r.reachBytes)}`,
          `working set ${formatSize(r.workingSetBytes)} (${r.workingSetPages} pages), ${r.pattern}, ${r.accesses} accesses, seed ${r.seed}`,
          `hits ${r.hits}, misses ${r.misses}, hit rate ${pct(r.hitRate)}`,
        ].join("\n"),
      );
    });
}
