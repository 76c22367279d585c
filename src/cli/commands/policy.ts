// `mfr-lab policy`: Chapter 6. Scores a student's policy file over the battery, prints the built-in
// policies side by side, or lists the design space. A policy file runs in a child process with a
// time and memory limit, so a decision that loops forever gets one line and exit code 2.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Option, type Command } from "commander";
import { projectRoot } from "../../grader/manifest.js";
import { BUILTIN_POLICIES } from "../../policy/builtins.js";
import { decisionList } from "../../policy/decisions.js";
import { KERNEL_LAB_SLOTS, kernelLabSlots } from "../../policy/kernel-lab.js";
import { checkPolicyPath, loadPolicyFile } from "../../policy/load.js";
import { formatMetric, METRIC_IDS, METRICS } from "../../policy/metrics.js";
import { OBJECTIONS } from "../../policy/objections.js";
import { BATTERY_ASSUMPTIONS, BATTERY_DEFAULTS, scorePolicy, type BatteryOptions, type Scorecard } from "../../policy/scorecard.js";
import { WORKLOAD_IDS, type WorkloadId } from "../../policy/types.js";
import { killGroup } from "../../core/process.js";
import type { PageSize } from "../../core/units.js";
import { COCO_DESIGNS, type CocoDesignId } from "../../guest_memfd/designs.js";
import { choiceOption, intOption, listOption, numberOption, pageSizeOption, withFlags } from "../options.js";
import { emit, table } from "../output.js";

interface BatteryFlags {
  seed: number;
  errors: number;
  retouch: number;
  probes: number;
  signalCost: number;
  workloads: WorkloadId[];
  cvmDesign: CocoDesignId;
  cvmFolio: PageSize;
  timeout: number;
  json?: boolean;
  inProcess?: boolean;
}

const FLAGS = { seed: "--seed", errors: "--errors", retouch: "--retouch", probes: "--probes", signalCostUs: "--signal-cost", workloads: "--workloads" };

function batteryOptions(c: Command): Command {
  return c
    .option("--seed <s>", "seed of every workload's error pattern", intOption(0, 0xffffffff), BATTERY_DEFAULTS.seed)
    .option("--errors <n>", "errors per workload", intOption(0, 12), BATTERY_DEFAULTS.errors)
    .option("--retouch <n>", "accesses and DMAs to a poisoned page before the guest reacts", intOption(0, 20), BATTERY_DEFAULTS.retouch)
    .option("--probes <n>", "accesses and DMAs to healthy pages of the poisoned folio after each error", intOption(0, 16), BATTERY_DEFAULTS.probes)
    .option("--signal-cost <us>", "assumed VMM time per SIGBUS or KVM exit, µs", numberOption(0, 1e6), BATTERY_DEFAULTS.signalCostUs)
    .option("--workloads <list>", `comma-separated: ${WORKLOAD_IDS.join(", ")}`, listOption(choiceOption(WORKLOAD_IDS)), [...WORKLOAD_IDS])
    .option("--cvm-design <d>", `the confidential guest's CoCo design: ${COCO_DESIGNS.map((d) => d.id).join(", ")}`, choiceOption(COCO_DESIGNS.map((d) => d.id)), "tdx-connect")
    .option("--cvm-folio <size>", "the confidential guest's guest_memfd folio size: 4K (mainline), 2M or 1G (the RFC's)", pageSizeOption, "1G")
    .option("--timeout <s>", "time limit for a policy file, seconds", intOption(1, 3600), 30)
    .option("--json", "print one JSON object")
    .addOption(new Option("--in-process", "run the policy file in this process (used by the child)").hideHelp());
}

function battery(o: BatteryFlags): BatteryOptions {
  return { seed: o.seed, errors: o.errors, retouch: o.retouch, probes: o.probes, signalCostUs: o.signalCost, workloads: o.workloads, cvm: { design: o.cvmDesign, folioSize: o.cvmFolio } };
}

/** Re-runs this command in a child process (stdout/stderr passed through) with a time and memory limit. */
function runIsolated(argv: readonly string[], timeoutS: number, file: string): Promise<number> {
  return new Promise((resolveExit) => {
    const child = spawn(process.execPath, ["--max-old-space-size=1024", join(projectRoot(), "bin", "mfr-lab.mjs"), ...argv, "--in-process"], {
      stdio: ["ignore", "inherit", "inherit"],
      detached: true,
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutS * 1000);
    child.on("error", (e) => {
      clearTimeout(timer);
      process.stderr.write(`mfr-lab: could not start the policy runner: ${e.message}\n`);
      resolveExit(2);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        process.stderr.write(`mfr-lab: the policy in ${file} did not finish within ${timeoutS} s (does a decision loop forever? raise --timeout if not)\n`);
        resolveExit(2);
      } else if (signal || code === null) {
        process.stderr.write(`mfr-lab: the policy runner for ${file} stopped (${signal ?? "no exit code"}; out of memory?)\n`);
        resolveExit(2);
      } else resolveExit(code);
    });
  });
}

function scorecardReport(c: Scorecard): string {
  const o = c.options;
  const ws = o.workloads;
  const out: string[] = [];
  out.push(`policy: ${c.policy.name}${c.policy.summary ? ` — ${c.policy.summary}` : ""}`);
  out.push(`battery: ${ws.join(", ")}; seed ${o.seed}, ${o.errors} errors per workload, retouch ${o.retouch}, probes ${o.probes}, ${o.signalCostUs} µs per signal; confidential guest: ${o.cvm.design}, ${o.cvm.folioSize} folios`);
  out.push("");
  out.push(...table(["metric", "battery", ...ws], METRIC_IDS.map((m) => [METRICS[m].label, formatMetric(m, c.metrics[m].value), ...ws.map((w) => formatMetric(m, c.metrics[m].perWorkload[w] ?? 0))])));
  out.push("", "objections:");
  for (const v of c.objections) out.push(`  ${v.failed ? "✗" : "✓"} ${v.id} (${OBJECTIONS[v.id].who}): ${v.why}`);
  out.push("", "answers applied:");
  for (const [d, counts] of Object.entries(c.answers)) {
    const list = Object.entries(counts).map(([a, n]) => `${a} ×${n}`).join(", ");
    out.push(`  ${d}: ${list || "not asked"}`);
  }
  out.push("", `violations: ${c.violations.length === 0 ? "none" : c.violations.length}`);
  for (const v of c.violations.slice(0, 12)) out.push(`  ${v.workload}: ${v.kind}${v.decision ? ` (${v.decision})` : ""}: ${v.detail}`);
  if (c.violations.length > 12) out.push(`  … ${c.violations.length - 12} more (--json lists all)`);
  out.push("", "where the costs come from:");
  for (const m of METRIC_IDS) {
    if (m === "violations") continue;
    for (const s of c.metrics[m].sources) out.push(`  ${METRICS[m].label}, ${s.workload}: ${formatMetric(m, s.amount)}: ${s.what}`);
  }
  for (const w of c.workloads) for (const n of w.notes) out.push(`  note, ${w.id}: ${n}`);
  out.push("", ...BATTERY_ASSUMPTIONS.map((a) => `assumption: ${a}`));
  return out.join("\n");
}

function tableReport(cards: readonly Scorecard[]): string {
  const c0 = cards[0];
  const o = c0.options;
  const out = [`battery: ${o.workloads.join(", ")}; seed ${o.seed}, ${o.errors} errors per workload, retouch ${o.retouch}, probes ${o.probes}, ${o.signalCostUs} µs per signal`, ""];
  out.push(...table(["policy", ...METRIC_IDS.map((m) => METRICS[m].short)], cards.map((c) => [c.policy.name, ...METRIC_IDS.map((m) => formatMetric(m, c.metrics[m].value))])));
  out.push("", "objections failed (✗):");
  out.push(...table(["policy", ...c0.objections.map((v) => v.id)], cards.map((c) => [c.policy.name, ...c.objections.map((v) => (v.failed ? "✗" : "✓"))])));
  out.push("", ...METRIC_IDS.map((m) => `${METRICS[m].short}: ${METRICS[m].label} — ${METRICS[m].what}`));
  out.push("", ...cards.map((c) => `${c.policy.name}: ${c.policy.summary ?? ""}`));
  out.push("", ...BATTERY_ASSUMPTIONS.map((a) => `assumption: ${a}`));
  return out.join("\n");
}

export function registerPolicy(program: Command): void {
  const cmd = program.command("policy").description("Chapter 6: score a userspace MFR policy against every objection in the thread");

  batteryOptions(
    cmd
      .command("score")
      .description("score a policy file (a .ts file exporting `policy`) over the battery of workloads")
      .argument("<file>", "your policy, e.g. exercises/ch6-lose-less-memory/policy.ts"),
  ).action(async (file: string, o: BatteryFlags, c: Command) => {
    checkPolicyPath(file);
    const opts = withFlags(FLAGS, () => battery(o));
    if (!o.inProcess) {
      process.exitCode = await runIsolated(["policy", "score", ...c.args, ...rawFlags(c)], o.timeout, file);
      return;
    }
    const card = withFlags(FLAGS, () => scorePolicy(loadPolicyFile(file), opts));
    emit(!!o.json, card, () => scorecardReport(card));
  });

  batteryOptions(
    cmd
      .command("table")
      .description("the built-in policies side by side (mainline 7.3, RFC v1/v2/v3, the thread's alternatives), optionally with yours")
      .option("--with <file>", "add your policy file as the last row"),
  ).action(async (o: BatteryFlags & { with?: string }, c: Command) => {
    if (o.with) checkPolicyPath(o.with);
    if (o.with && !o.inProcess) {
      process.exitCode = await runIsolated(["policy", "table", ...rawFlags(c)], o.timeout, o.with);
      return;
    }
    const opts = withFlags(FLAGS, () => battery(o));
    const policies = o.with ? [...BUILTIN_POLICIES, loadPolicyFile(o.with)] : BUILTIN_POLICIES;
    const cards = withFlags(FLAGS, () => policies.map((p) => scorePolicy(p, opts)));
    emit(!!o.json, { options: cards[0].options, policies: cards, assumptions: BATTERY_ASSUMPTIONS }, () => tableReport(cards));
  });

  cmd
    .command("decisions")
    .description("the design space: each decision point, where it is decided, and its choices")
    .option("--json", "print one JSON object")
    .action((o: { json?: boolean }) => {
      const list = decisionList();
      emit(!!o.json, { decisions: list, kernelLab: KERNEL_LAB_SLOTS }, () =>
        list
          .flatMap((d) => [
            `${d.id}: ${d.title} (Chapter ${d.chapter})`,
            `  ${d.question}`,
            `  asked ${d.asked}`,
            ...d.choices.map((ch) => `  - ${ch.id}${ch.mainline ? " (mainline 7.3)" : ""}: ${ch.does} [${ch.source}]`),
            ...kernelLabSlots(d.id).map((k) => `  kernel lab, ${k.choice}: ${k.observable}: ${k.replayable !== true ? `model only (${k.replayable})` : k.results ? k.results.map((r) => `${r.kernel} ${r.observed}`).join("; ") : "pending"}`),
            "",
          ])
          .join("\n")
          .trimEnd(),
      );
    });
}

/** The options the user typed, as argv (for the child). */
function rawFlags(c: Command): string[] {
  const out: string[] = [];
  const o = c.opts() as Record<string, unknown>;
  for (const opt of c.options) {
    const key = opt.attributeName();
    const v = o[key];
    if (v === undefined || key === "inProcess" || c.getOptionValueSource(key) === "default") continue;
    if (opt.isBoolean()) {
      if (v) out.push(opt.long as string);
    } else out.push(opt.long as string, Array.isArray(v) ? v.join(",") : String(v));
  }
  return out;
}
