import type { Command } from "commander";
import { formatSize } from "../../core/units.js";
import { runScenarioFile } from "../../scenario/node.js";
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
    .action((file: string, o) => {
      const r = runScenarioFile(file, { ...(o.seed === undefined ? {} : { seed: o.seed }), ...(o.kernelVersion === undefined ? {} : { kernel: o.kernelVersion }) });
      emit(!!o.json, r, () => formatScenarioReport(r, !!o.verbose));
      // Exit 1 when a check failed or the violations are not the ones the file expects.
      process.exitCode = r.checkFailures.length === 0 && r.violationsExpected ? 0 : 1;
    });
}
