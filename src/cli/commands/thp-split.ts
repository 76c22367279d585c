import type { Command } from "commander";
import { memcycleModel } from "../../thp/memcycle.js";
import { numberOption } from "../options.js";
import { emit } from "../output.js";

export function registerThpSplit(program: Command): void {
  program
    .command("thp-split")
    .description("predict the MemCycle aggregate-rate change when a fraction of guest memory is split 2M → 4K on the host")
    .requiredOption("--fraction <f>", "fraction of guest memory split, 0..1", numberOption(0, 1))
    .option("--json", "print one JSON object")
    .action((o) => {
      const model = memcycleModel();
      const p = model.predict(o.fraction);
      const out = { ...p, params: model.params, fitted: model.fitted, residuals: model.residuals(), assumptions: model.assumptions };
      emit(!!o.json, out, () =>
        [
          `split ${(100 * o.fraction).toFixed(1)}% of guest memory 2M → 4K (host side; guest still maps 2M)`,
          `predicted aggregate-rate change: ${p.throughputChangePercent.toFixed(2)}% (rate ${p.rate.toFixed(2)} words/µs)`,
          `fitted: ${model.fitted.name} = ${model.fitted.value.toPrecision(4)} (to ${model.fitted.fittedTo})`,
          ...model.residuals().map((r) => `  at ${(100 * r.fraction).toFixed(0)}%: published ${r.publishedPercent.toFixed(2)}%, model ${r.predictedPercent.toFixed(2)}%, residual ${r.residualPp.toFixed(2)} pp`),
        ].join("\n"),
      );
    });
}
