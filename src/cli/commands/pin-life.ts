import type { Command } from "commander";
import type { PinPolicy } from "../../iommufd/iommufd.js";
import { VM_LIFE_ASSUMPTIONS, dmaOutcomeRows, heldBackOverVmLife, type VmLifeSeries } from "../../iommufd/vm-life.js";
import { ParameterError } from "../../core/errors.js";
import { parseSize } from "../../core/units.js";
import { KERNEL_VERSION_FLAG, KERNEL_VERSION_HELP, checkFlag, choiceOption, intOption, kernelVersionOption, listOption, sizeTextOption, withFlags } from "../options.js";
import { DEFAULT_KERNEL_VERSION } from "../../mfr/kernel-version.js";
import { limitWork, WORK_BUDGETS } from "../limits.js";
import { emit, formatSize, table } from "../output.js";

const POLICIES: readonly PinPolicy[] = ["none", "ebusy", "revoke"];


const FLAGS = { errors: "--errors", guest: "--guest", days: "--days", dmaPerDay: "--dma-per-day", seed: "--seed", pageSize: "--page-size", policy: "--policy", map: "--map" };

export function registerPinLife(program: Command): void {
  program
    .command("pin-life")
    .description("Chapter 3: memory held back and device DMA outcomes over a VM's life, per iommufd pin policy")
    .option("--policy <list>", "comma-separated pin policies: none, ebusy, revoke", listOption(choiceOption(POLICIES)), [...POLICIES])
    .option("--errors <n>", "uncorrected errors during the VM's life", intOption(0, 10_000), 3)
    .option("--guest <size>", "guest RAM, a HugeTLB memfd (1 to 64 folios)", sizeTextOption(2 ** 21, 2 ** 36), "8G")
    .option("--page-size <size>", "HugeTLB page size of guest RAM: 2M or 1G", choiceOption(["2M", "1G"] as const), "1G")
    .option("--days <n>", "days the VM runs; errors fall on days 1 … days-1", intOption(2, 10_000), 30)
    .option("--dma-per-day <n>", "random device DMAs a day", intOption(0, 10_000), 8)
    .option("--map <kind>", "how guest RAM reaches iommufd: file (IOMMU_IOAS_MAP_FILE; default on 7.3) or va (IOMMU_IOAS_MAP; default on 6.12)", choiceOption(["file", "va"] as const))
    .option("--no-keep-ue-mapped", "guest memfd without MFD_MF_KEEP_UE_MAPPED")
    .option("--no-punch-poisoned", "the VMM keeps poisoned folios instead of punching them out of the memfd")
    .option("--no-revoke-on-poison", "with revoke: revoke only on truncate / punch hole, not on memory_failure()")
    .option("--teardown <t>", "close-first (iommufd closed, then exit) or exit", choiceOption(["close-first", "exit"] as const), "close-first")
    .option("--seed <s>", "random seed (error days and pages, DMA targets)", intOption(0, 0xffffffff), 1)
    .option(KERNEL_VERSION_FLAG, KERNEL_VERSION_HELP, kernelVersionOption, DEFAULT_KERNEL_VERSION)
    .option("--json", "print one JSON object")
    .action((o) => {
      const policies: PinPolicy[] = o.policy;
      if (!policies.length) throw new ParameterError("--policy", "no policy given", `use ${POLICIES.join(", ")}`);
      const pages = parseSize(o.guest as string) / parseSize(o.pageSize as string);
      checkFlag("--guest", Number.isInteger(pages) && pages >= 1 && pages <= 64 ? null : `${o.guest} is not 1 to 64 ${o.pageSize} pages`, `use a multiple of ${o.pageSize} up to ${o.pageSize === "1G" ? "64G" : "128M"}, or change --page-size`);
      checkFlag("--errors", o.errors <= o.days - 1 ? null : `${o.errors} errors do not fit in ${o.days} days (one error a day, on days 1 to ${o.days - 1})`, "lower --errors or raise --days");
      // Every day: --dma-per-day random DMAs and one to each page poisoned so far, per policy.
      limitWork({
        command: "pin-life",
        parts: [{
          what: "device DMAs", amount: policies.length * o.days * (o.dmaPerDay + o.errors), budget: WORK_BUDGETS.pinLifeDmas,
          how: `${policies.length} ${policies.length === 1 ? "policy" : "policies"} × ${o.days} days × (${o.dmaPerDay} DMAs a day + one to each of up to ${o.errors} poisoned pages)`,
        }],
        lower: "lower --days, --dma-per-day or --errors, or give fewer --policy values",
      });
      const series: VmLifeSeries[] = withFlags(FLAGS, () =>
        policies.map((policy) =>
          heldBackOverVmLife({
            policy, errors: o.errors, seed: o.seed, guest: o.guest, pageSize: o.pageSize, keepUeMapped: o.keepUeMapped, map: o.map,
            revokeOnPoison: o.revokeOnPoison, punchPoisoned: o.punchPoisoned, days: o.days, dmaPerDay: o.dmaPerDay, teardown: o.teardown, kernel: o.kernelVersion,
          }),
        ),
      );
      const dma = dmaOutcomeRows(series);
      const out = { series, dma, assumptions: VM_LIFE_ASSUMPTIONS };
      const opts = series[0].options;
      emit(!!o.json, out, () => {
        const peak = (s: VmLifeSeries, k: "heldBackBytes" | "pendingBytes") => Math.max(0, ...s.points.filter((p) => p.phase === "running").map((p) => p[k]));
        const count = (policy: PinPolicy, outcome: string) => dma.find((d) => d.policy === policy && d.outcome === outcome)?.count ?? 0;
        return [
          `guest ${opts.guest} in ${opts.pageSize} HugeTLB folios (keep-ue-mapped ${opts.keepUeMapped}), map ${opts.map}, ${opts.days} days, ${opts.dmaPerDay} DMAs/day, ${opts.errors} errors (seed ${opts.seed}), punch poisoned ${opts.punchPoisoned}, teardown ${opts.teardown}, kernel ${opts.kernel}`,
          `errors: ${series[0].errors.map((e) => `day ${e.day} at guest+0x${e.offset.toString(16)}`).join(", ") || "none"}`,
          ...table(
            ["policy", "held back (peak)", "pending (peak)", "leaked after", "offlined", "DMAs", "to poison", "to offlined", "IO faults", "revokes", "violations"],
            series.map((s) => {
              const last = s.points[s.points.length - 1];
              return [s.policy, formatSize(peak(s, "heldBackBytes")), formatSize(peak(s, "pendingBytes")), formatSize(last.leakedBytes), formatSize(last.offlinedBytes), last.dmas, count(s.policy, "poison"), count(s.policy, "offlined"), count(s.policy, "io-page-fault"), last.revokes, s.violations.length];
            }),
          ),
          ...VM_LIFE_ASSUMPTIONS.map((a) => `assumption: ${a}`),
        ].join("\n");
      });
    });
}
