// The human report of `mfr-lab scenario FILE --kernel …`: per kernel, each step's outcome on the
// model and on the kernel, and every difference (known ones with their cause).
import type { StepComparison } from "../../fidelity/compare.js";
import type { ScenarioOnKernels } from "../../kernel/index.js";

const FIELDS = ["ret", "access", "mf", "signals", "check", "counters", "hugetlb", "kernel"] as const;

/** The fields worth showing for a step: those that say something. */
function line(side: StepComparison["model"]): string {
  const parts: string[] = [];
  for (const f of FIELDS) {
    const v = side[f];
    if (v === undefined || v === "none" || (f === "ret" && v === "ok")) continue;
    if (f === "counters" || f === "hugetlb") continue;
    parts.push(f === "mf" ? v : f === "check" ? `check ${v}` : f === "ret" ? `ret ${v}` : f === "access" ? `access ${v}` : v);
  }
  return parts.join(" · ") || "—";
}

export function formatKernelReport(r: ScenarioOnKernels): string {
  const out: string[] = [`scenario ${r.scenario}`];
  const mfail = r.model.checkFailures.length;
  out.push(`model (as written): ${mfail === 0 ? "every check holds" : `${mfail} check(s) fail`}${r.model.final.panicked ? ", the kernel panicked" : ""}`);
  for (const c of r.model.checkFailures) out.push(`  FAILED ${c}`);
  for (const k of r.kernels) {
    out.push("", `kernel ${k.kernel.id} (${k.kernel.release}), compared with the model at ${k.kernel.model}; ${k.kernel.source}`);
    if (k.lab.boots.length) out.push(`  boot ${((k.lab.boots[0].bootMs ?? 0) / 1000).toFixed(1)} s, run ${(k.lab.boots.reduce((s, b) => s + b.ms, 0) / 1000).toFixed(1)} s (${k.lab.accel})`);
    for (const n of k.injection) out.push(`  ${n.path} ${n.note}`);
    if (k.skipped) {
      out.push(`  not run on the kernel: ${k.skipped}`);
      continue;
    }
    const c = k.comparison!;
    for (const f of c.setFailures) out.push(`  !! ${f}`);
    for (const s of c.steps) {
      const mark = s.status === "agree" ? " " : s.status === "differ" ? (s.differences.every((d) => d.known) ? "~" : "≠") : "·";
      out.push(`${mark} ${s.path.padEnd(13)} ${s.text}`);
      if (s.status === "model only" || s.status === "not run") {
        out.push(`  ${"".padEnd(13)} model: ${line(s.model)}   kernel: ${s.status}`);
        continue;
      }
      const m = line(s.model);
      const kk = line(s.kernel ?? {});
      out.push(`  ${"".padEnd(13)} model: ${m}`);
      out.push(`  ${"".padEnd(13)} ${k.kernel.id.padEnd(5)}: ${kk === m ? "same" : kk}`);
      for (const d of s.differences) {
        out.push(`  ${"".padEnd(13)} ${d.known ? "~" : "≠"} ${d.field}: model ${d.model} | kernel ${d.kernel}${d.known ? `  [known, ${d.known.category}: ${d.known.cause} — ${d.known.decidedBy}]` : ""}`);
      }
    }
    if (c.modelOnlyFrom) out.push(`  model only from ${c.modelOnlyFrom.path}: ${c.modelOnlyFrom.reason}`);
    if (c.panic) out.push(`  the kernel panicked during ${c.panic.path}: ${c.panic.message}`);
    if (c.aborted) out.push(`  !! ${c.aborted}`);
    for (const f of c.checks.kernel) out.push(`  FAILED on ${k.kernel.id}: ${f}`);
    const unexplained = c.unexplained.length;
    out.push(`  ${c.differences.length} difference(s), ${unexplained} unexplained; checks on ${k.kernel.id}: ${c.checks.kernel.length === 0 ? "all hold" : `${c.checks.kernel.length} fail`}`);
  }
  out.push("", r.ok ? "result: the model and every kernel agree, and every check holds" : "result: FAILED (see ≠ and FAILED above)");
  return out.join("\n");
}
