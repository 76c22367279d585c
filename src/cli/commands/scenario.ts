import type { Command } from "commander";
import { MfrLabError } from "../../core/errors.js";
import { formatSize } from "../../core/units.js";
import { loadScenarioFile } from "../../scenario/node.js";
import { runScenario } from "../../scenario/run.js";
import { resolveKernels, scenarioOnKernels, scratchDir } from "../../kernel/index.js";
import { basename } from "node:path";
import { formatKernelReport } from "./kernel-report.js";
import { choiceOption } from "../options.js";
import { progressReporter } from "../progress.js";
import type { ScenarioResult, TimelineEntry } from "../../scenario/types.js";
import { KERNEL_VERSION_FLAG, KERNEL_VERSION_HELP, intOption, kernelVersionOption } from "../options.js";
import { emit } from "../output.js";

const n = (x: number): string => x.toLocaleString("en-US");
const pages = (x: number): string => `${n(x)} (${formatSize(x * 4096)})`;

/** alloc/free events of one step folded into one line, unless --verbose. */
function allocatorLine(evs: TimelineEntry[]): string | null {
  const by = new Map<string, number>();
  for (const e of evs) {
    if (e.event.kind !== "alloc" && e.event.kind !== "free") continue;
    const k = `${e.event.kind === "alloc" ? "allocated" : "freed"} ${e.event.what}, order ${e.event.order}`;
    by.set(k, (by.get(k) ?? 0) + 1);
  }
  if (by.size === 0) return null;
  return `allocator: ${[...by].map(([k, c]) => `${k} ×${n(c)}`).join("; ")}`;
}

export function formatScenarioReport(r: ScenarioResult, verbose: boolean): string {
  const out: string[] = [];
  out.push(`scenario ${r.scenario}${r.description ? ` — ${r.description}` : ""} (seed ${r.seed}, kernel ${r.kernel})`);
  const byStep = new Map<number, TimelineEntry[]>();
  for (const e of r.events) {
    const a = byStep.get(e.step);
    if (a) a.push(e);
    else byStep.set(e.step, [e]);
  }
  out.push("", "timeline:");
  for (const s of r.steps) {
    out.push(`  ${s.path.padEnd(13)} ${s.text} → ${s.outcome}${s.note ? `   # ${s.note}` : ""}`);
    const evs = byStep.get(s.index) ?? [];
    for (const e of evs) {
      if (!verbose && (e.kind === "alloc" || e.kind === "free")) continue;
      out.push(`  ${"".padEnd(13)}   ${e.kind === "invariant" ? "!! " : ""}${e.text}`);
    }
    const alloc = verbose ? null : allocatorLine(evs);
    if (alloc) out.push(`  ${"".padEnd(13)}   ${alloc}`);
  }
  const f = r.final;
  out.push("", "final state (4K pages):");
  out.push(`  free ${pages(f.free)}, in use ${pages(f.inUse)}, hugetlb free ${pages(f.hugetlbFree)}`);
  out.push(`  poisoned ${n(f.poisoned)}, offlined ${n(f.offlined)}, leaked ${pages(f.leaked)}, reserved ${pages(f.reserved)}`);
  out.push(`  hugetlb 2M: nr ${f.hugetlb["2M"].nr}, free ${f.hugetlb["2M"].free}; 1G: nr ${f.hugetlb["1G"].nr}, free ${f.hugetlb["1G"].free}`);
  const st = f.stats;
  out.push(`  memory_failure: total ${st.total}, recovered ${st.recovered}, delayed ${st.delayed}, failed ${st.failed}, ignored ${st.ignored}; num_poisoned_pages ${n(f.numPoisonedPages)}`);
  const procs = Object.entries(f.processes).map(([name, p]) => `${name} (pid ${p.pid}) ${p.alive ? "alive" : "gone"}, ${p.signals} signal${p.signals === 1 ? "" : "s"}`);
  if (procs.length) out.push(`  processes: ${procs.join("; ")}`);
  if (f.panicked) out.push("  the kernel panicked (see the last step); later steps did not run");
  const checks = r.steps.filter((s) => s.check);
  const failed = checks.filter((s) => !s.check!.ok).length;
  out.push("");
  out.push(`checks: ${checks.length - failed} of ${checks.length} passed`);
  for (const c of r.checkFailures) out.push(`  FAILED ${c}`);
  if (r.violations.length === 0) out.push(`violations: none${r.violationsExpected ? "" : " (the scenario expected some)"}`);
  else {
    out.push(`violations: ${r.violations.length}${r.violationsExpected ? " (expected: this scenario shows a bug on purpose)" : ""}`);
    for (const v of r.violations) out.push(`  ${v.path}: ${v.text}`);
  }
  return out.join("\n");
}

export function registerScenario(program: Command): void {
  program
    .command("scenario")
    .description("run a scenario file (YAML or JSON, see scenarios/README.md) and print its event timeline")
    .argument("<file>", "scenario file, e.g. scenarios/hugetlb-1g-keep-ue-mapped.yaml")
    .option("--seed <s>", "seed for random offsets/pages (overrides the file's seed)", intOption(0, 0xffffffff))
    .option(KERNEL_VERSION_FLAG, `${KERNEL_VERSION_HELP}; overrides machine.kernel`, kernelVersionOption)
    .option("--verbose", "list every allocator event instead of one line per step")
    .option("--json", "print one JSON object {scenario, steps, events, violations, final, …}")
    .option("--kernel <k>", "also run it on a real kernel under QEMU: 6.12, 7.3, all, or the path of a bzImage (fetched on first use)")
    .option("--modules <dir>", "with --kernel PATH: the kernel's modules folder (default: next to the image, or /lib/modules/RELEASE)")
    .option("--offline", "with --kernel: use only cached kernels, never download")
    .option("--accel <a>", "with --kernel: tcg (default, works everywhere) or kvm", choiceOption(["tcg", "kvm"] as const))
    .option("--vm-timeout <s>", "with --kernel: stop a VM that reports nothing for this many seconds (default 240)", intOption(5, 3600))
    .action(async (file: string, o) => {
      if (o.kernel === undefined) {
        if (o.modules || o.offline || o.accel || o.vmTimeout) throw new MfrLabError("--modules, --offline, --accel and --vm-timeout need --kernel");
        const spec = loadScenarioFile(file);
        const r = runScenario(spec, { source: basename(file), ...(o.seed === undefined ? {} : { seed: o.seed }), ...(o.kernelVersion === undefined ? {} : { kernel: o.kernelVersion }) });
        emit(!!o.json, r, () => formatScenarioReport(r, !!o.verbose));
        // Exit 1 when a check failed, the violations are not the ones the file expects, or the
        // kernel panicked where the file did not expect it.
        process.exitCode = r.checkFailures.length === 0 && r.violationsExpected && (!r.final.panicked || !!spec.expectPanic) ? 0 : 1;
        return;
      }
      // With real kernels each is compared with the model at its own version.
      if (o.kernelVersion !== undefined) throw new MfrLabError("--kernel-version is for the model alone: with --kernel the model follows each kernel's version");
      const spec = loadScenarioFile(file);
      const scratch = scratchDir();
      try {
        const progress = o.json ? undefined : progressReporter("kernel");
        const kernels = resolveKernels({ kernel: o.kernel, offline: !!o.offline, modules: o.modules, progress: progress?.update }, scratch.dir);
        progress?.stop();
        const r = await scenarioOnKernels(spec, kernels, { seed: o.seed, source: basename(file), accel: o.accel, hangMs: o.vmTimeout === undefined ? undefined : o.vmTimeout * 1000, onProgress: o.json ? undefined : (w) => process.stderr.write(`[mfr-lab] running ${w}\n`) });
        emit(!!o.json, r, () => formatKernelReport(r));
        process.exitCode = r.ok ? 0 : 1;
      } finally {
        scratch.done();
      }
    });
}
