import type { Command } from "commander";
import type { PolicyVariant } from "../../mfr/machine.js";
import { MEMORY_LOST_ASSUMPTIONS, memoryLostByPolicy, type PolicyLoss } from "../../mfr/policy/memory-lost.js";
import { parseSize } from "../../core/units.js";
import { KERNEL_VERSION_FLAG, KERNEL_VERSION_HELP, checkFlag, choiceOption, intOption, kernelVersionOption, sizeTextOption, withFlags } from "../options.js";
import { DEFAULT_KERNEL_VERSION } from "../../mfr/kernel-version.js";
import { limitWork, WORK_BUDGETS } from "../limits.js";
import { emit, formatSize, table } from "../output.js";


export function registerMemoryLost(program: Command): void {
  program
    .command("memory-lost")
    .description("Chapter 2: memory lost to uncorrected errors on a HugeTLB memfd guest, default vs MFD_MF_KEEP_UE_MAPPED")
    .option("--errors <n>", "uncorrected errors, each on a distinct 4K page", intOption(0, 100_000), 8)
    .option("--guest <size>", "guest memory, one HugeTLB memfd", sizeTextOption(2 ** 21, 2 ** 43), "64G")
    .option("--folio <size>", "HugeTLB page size of the memfd: 2M or 1G", choiceOption(["2M", "1G"] as const), "1G")
    .option("--policy-variant <v>", "release path of the policy: v1, v1-buggy or v2", choiceOption(["v1", "v1-buggy", "v2"] as const), "v2" as PolicyVariant)
    .option("--pinned", "iommufd/VFIO pins every folio for the VM's life (dropped at exit, after release)", false)
    .option("--seed <s>", "random seed of the error pattern", intOption(0, 0xffffffff), 1)
    .option(KERNEL_VERSION_FLAG, KERNEL_VERSION_HELP, kernelVersionOption, DEFAULT_KERNEL_VERSION)
    .option("--json", "print one JSON object")
    .action((o) => {
      // The flags one at a time, before the model: --guest first, since --errors is bounded by its pages.
      const folio = parseSize(o.folio as string);
      const pages = parseSize(o.guest as string) / folio;
      checkFlag("--guest", Number.isInteger(pages) ? null : `${o.guest} is not a whole number of ${o.folio} pages`, `use a multiple of ${o.folio}, e.g. "8G"`);
      checkFlag("--errors", o.errors <= 4096 * pages ? null : `${o.errors} distinct 4K pages do not fit in a ${o.guest} guest`, "lower --errors or raise --guest");
      // Both policies run the whole guest: its folios and its errors, twice.
      limitWork({
        command: "memory-lost",
        parts: [
          { what: `${o.folio} folios`, amount: 2 * pages, budget: WORK_BUDGETS.memoryLostFolios, how: `2 policies × ${o.guest} in ${o.folio} folios` },
          { what: "errors", amount: 2 * o.errors, budget: WORK_BUDGETS.memoryLostErrors, how: `2 policies × ${o.errors}` },
        ],
        lower: o.folio === "2M" ? "lower --guest or --errors, or use --folio 1G" : "lower --guest or --errors",
      });
      const r = withFlags({ errors: "--errors", guest: "--guest", folio: "--folio" }, () =>
        memoryLostByPolicy({ errors: o.errors, guest: o.guest, folio: o.folio, seed: o.seed, policyVariant: o.policyVariant, pinned: o.pinned, kernel: o.kernelVersion }),
      );
      const out = { ...r, policyVariant: o.policyVariant as PolicyVariant, pinned: !!o.pinned, assumptions: MEMORY_LOST_ASSUMPTIONS };
      const row = (name: string, p: PolicyLoss) => [
        name,
        `${formatSize(p.live.unreadableBytes)} (lsb ${p.live.lsbs.join(",") || "-"})`,
        formatSize(p.afterRelease.unusableBytes),
        `${p.afterRelease.hugetlb.nr} / ${p.afterRelease.hugetlb.free}`,
        p.afterRelease.violations.length,
      ];
      emit(!!o.json, out, () =>
        [
          `guest ${formatSize(r.guestBytes)} in ${r.folio} HugeTLB folios, ${r.errors} error${r.errors === 1 ? "" : "s"} (seed ${r.seed}) on ${r.default.live.poisonedFolios} folio${r.default.live.poisonedFolios === 1 ? "" : "s"}, release path ${o.policyVariant}${o.pinned ? ", pinned by iommufd" : ""}, kernel ${r.kernel}`,
          ...table(["policy", "unreadable while live", "unusable after release", "pool nr / free", "violations"], [row("default", r.default), row("keep-ue-mapped", r.keepUeMapped)]),
          `${r.folio} pages the pool can no longer hand out: default ${r.default.afterRelease.hugetlb.lost}, keep-ue-mapped ${r.keepUeMapped.afterRelease.hugetlb.lost}`,
          ...MEMORY_LOST_ASSUMPTIONS.map((a) => `assumption: ${a}`),
        ].join("\n"),
      );
    });
}
