// The kernel suite's results: every runnable scenario, one row each — the model, and each kernel
// next to it. The site's Fidelity page reads the committed results (suite-results.ts); a test
// re-runs the suite and compares. Browser-safe (types and the projection; running is src/kernel).
import type { ScenarioComparison, StepComparison } from "./compare.js";
import type { InjectionNote } from "./injection.js";

/** One kernel's cell of a row. */
export interface KernelCell {
  /** agree: no difference; known: only known differences; differ: an unexplained one; model only: nothing a kernel can run; not run: the run stopped. */
  status: "agree" | "known" | "differ" | "model only" | "not run";
  /** Where the kernel run stopped and why (an op mainline cannot perform). */
  modelOnlyFrom?: { path: string; reason: string };
  injection: InjectionNote[];
  differences: { path: string; field: string; model: string; kernel: string; known?: string }[];
  /** The scenario's checks, evaluated on what the kernel did. */
  checks: "hold" | "fail" | "none";
  checkFailures: string[];
  panic?: string;
  aborted?: string;
  setFailures: string[];
  /** Each step the kernel ran: the model's outcome (at this kernel's version) and the kernel's, in the comparison's words. */
  steps: { path: string; model: string; kernel: string }[];
}

export interface SuiteRow {
  /** The scenario file, relative to the project. */
  file: string;
  name: string;
  description?: string;
  /** The kernel functions that decide what the scenario shows. */
  decidedBy: string[];
  /** The scenario as written, on the model. */
  model: { checks: "hold" | "fail"; failures: string[] };
  /** The steps that ran on some kernel, in order, and what each does. */
  steps: { path: string; text: string }[];
  kernels: Record<string, KernelCell>;
}

export interface SuiteResults {
  /** When the suite ran (ISO date). */
  ran: string;
  kernels: { id: string; release: string; model: string; source: string; packages?: { name: string; version: string; sha256: string }[] }[];
  rows: SuiteRow[];
}

const FIELDS = ["ret", "access", "mf", "signals", "check"] as const;

/** One side of a step in a line: the fields that say something. */
export function outcomeLine(side: StepComparison["model"] | undefined): string {
  if (!side) return "—";
  const parts: string[] = [];
  for (const f of FIELDS) {
    const v = side[f];
    if (v === undefined || v === "none" || (f === "ret" && v === "ok")) continue;
    parts.push(f === "ret" ? `ret ${v}` : f === "access" ? `access ${v}` : f === "check" ? `check ${v}` : v);
  }
  if (side.kernel) parts.push(`kernel: ${side.kernel}`);
  return parts.join(" · ") || "—";
}

/** A comparison as a row cell. */
export function kernelCell(c: ScenarioComparison | undefined, injection: InjectionNote[], skipped?: string): KernelCell {
  if (!c) {
    const from = skipped?.match(/^model only from ([^:]+): (.*)$/);
    return {
      status: from ? "model only" : "not run", injection, differences: [], checks: "none", checkFailures: [], setFailures: [], steps: [],
      ...(from ? { modelOnlyFrom: { path: from[1], reason: from[2] } } : { aborted: skipped }),
    };
  }
  const ran = c.steps.filter((s) => s.kernel);
  const status: KernelCell["status"] = c.aborted ? "not run" : c.unexplained.length > 0 ? "differ" : c.differences.length > 0 ? "known" : "agree";
  const cell: KernelCell = {
    status, injection,
    differences: c.differences.map((d) => ({ path: d.path, field: d.field, model: d.model, kernel: d.kernel, ...(d.known ? { known: d.known.id } : {}) })),
    checks: c.steps.some((s) => s.op === "check" && s.kernel) ? (c.checks.kernel.length === 0 ? "hold" : "fail") : "none",
    checkFailures: c.checks.kernel, setFailures: c.setFailures,
    steps: ran.map((s) => ({ path: s.path, model: outcomeLine(s.model), kernel: outcomeLine(s.kernel) })),
  };
  if (c.modelOnlyFrom) cell.modelOnlyFrom = c.modelOnlyFrom;
  // The panic names the page frame, which differs from run to run.
  if (c.panic) cell.panic = `${c.panic.path}: ${c.panic.message.replace(/\b(page|pfn) (0x)?[0-9a-f]+\b/g, "$1 …")}`;
  if (c.aborted) cell.aborted = c.aborted;
  return cell;
}

/** The steps of a comparison that ran on the kernel, with their text (a row's `steps`). */
export function ranSteps(c: ScenarioComparison | undefined): { path: string; text: string }[] {
  return (c?.steps ?? []).filter((s) => s.kernel).map((s) => ({ path: s.path, text: s.text }));
}

/**
 * A row's steps side by side: the model's outcome (one line, or one per kernel version where they
 * differ) and each kernel's ("same" when it equals the model at its version).
 */
export function stepTable(row: SuiteRow, ids: string[]): { path: string; text: string; model: string; kernels: string[] }[] {
  return row.steps.map((st) => {
    const per = ids.map((id) => row.kernels[id]?.steps.find((x) => x.path === st.path));
    const models = [...new Set(per.flatMap((p) => (p ? [p.model] : [])))];
    const model = models.length <= 1 ? models[0] ?? "—" : ids.map((id, i) => (per[i] ? `${id}: ${per[i]!.model}` : "")).filter(Boolean).join(" | ");
    return { path: st.path, text: st.text, model, kernels: per.map((p) => (!p ? "not run" : p.kernel === p.model ? "same" : p.kernel)) };
  });
}

/**
 * The results module's text: readable in a diff (one step or difference per line) without a
 * line per field.
 */
export function resultsText(r: SuiteResults): string {
  const oneLine = new Set(["steps", "differences", "injection", "decidedBy", "checkFailures", "setFailures", "failures", "packages"]);
  const fmt = (v: unknown, key: string, indent: string): string => {
    if (Array.isArray(v)) {
      if (v.length === 0) return "[]";
      if (oneLine.has(key)) return `[\n${v.map((x) => `${indent} ${JSON.stringify(x)}`).join(",\n")}\n${indent}]`;
      return `[\n${v.map((x) => `${indent} ${fmt(x, "", `${indent} `)}`).join(",\n")}\n${indent}]`;
    }
    if (v && typeof v === "object") {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      return `{\n${entries.map(([k, x]) => `${indent} ${JSON.stringify(k)}: ${fmt(x, k, `${indent} `)}`).join(",\n")}\n${indent}}`;
    }
    return JSON.stringify(v);
  };
  return fmt(r, "", "");
}

/** What must stay the same between runs: outcomes, not dates, timings or package versions. */
export function suiteOutcomes(r: SuiteResults): unknown {
  return r.rows.map((row) => ({ file: row.file, model: row.model, steps: row.steps, kernels: row.kernels }));
}
