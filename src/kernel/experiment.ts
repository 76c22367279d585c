// "The same experiment on a real kernel", for the notebooks: scenario files run on the cached
// kernels when QEMU is there (one boot per kernel for all of them), else the committed
// kernel-suite result with its provenance. Never downloads (a notebook cell should not fetch
// 250 MB): `npx mfr-lab kernels --fetch all` does. Node only.
import { isAbsolute, join } from "node:path";
import { stepTable, type SuiteRow } from "../fidelity/suite.js";
import { SUITE_RESULTS } from "../fidelity/suite-results.js";
import { cachedKernel, KNOWN_KERNELS, type KernelImage } from "./kernels.js";
import { ROOT, runKernelSuite } from "./suite.js";
import { hostTools } from "./tools.js";

export interface KernelExperiments {
  /** true: run now on this machine; false: the committed suite result. */
  live: boolean;
  /** Why it is not live (no QEMU, no cached kernel). */
  why?: string;
  /** Which kernels, from which packages, when. */
  provenance: string;
  kernels: string[];
  rows: SuiteRow[];
}

/** Runs scenario files (names under scenarios/, or paths) on the cached kernels, or shows the committed results. */
export async function sameExperimentsOnKernel(names: string[]): Promise<KernelExperiments> {
  // A bare name is a file of scenarios/; a relative path is the project's (a notebook's cwd is notebooks/).
  const files = names.map((n) => (isAbsolute(n) ? n : /\.(ya?ml|json)$/.test(n) ? join(ROOT, n) : join(ROOT, "scenarios", `${n}.yaml`)));
  let why: string | undefined;
  let kernels: KernelImage[] = [];
  try {
    hostTools();
    kernels = KNOWN_KERNELS.map((k) => cachedKernel(k.id)).filter((k): k is KernelImage => !!k);
    if (kernels.length === 0) why = "no kernel is cached (npx mfr-lab kernels --fetch all)";
  } catch (e) {
    why = (e as Error).message;
  }
  if (!why) {
    const r = await runKernelSuite(kernels, {}, files);
    return { live: true, provenance: `run now: ${r.kernels.map((k) => `${k.id} = ${k.source}`).join("; ")}`, kernels: r.kernels.map((k) => k.id), rows: r.rows };
  }
  const wanted = new Set(files.map((f) => f.replace(`${ROOT}/`, "")));
  return {
    live: false, why, kernels: SUITE_RESULTS.kernels.map((k) => k.id),
    provenance: `the committed kernel-suite run of ${SUITE_RESULTS.ran}: ${SUITE_RESULTS.kernels.map((k) => `${k.id} = ${k.source}`).join("; ")}`,
    rows: SUITE_RESULTS.rows.filter((r) => wanted.has(r.file)),
  };
}

/** The experiments as a plain-text report (a notebook prints it): each step on the model and each kernel. */
export function experimentText(e: KernelExperiments): string {
  const out = [e.live ? e.provenance : `${e.provenance} (not run now: ${e.why})`];
  for (const row of e.rows) {
    out.push("", `${row.name} — ${row.description ?? ""}`);
    if (row.steps.length === 0) {
      out.push(`  ${e.kernels.map((k) => `${k}: ${row.kernels[k]?.status ?? "not run"}`).join(", ")}`);
      continue;
    }
    for (const s of stepTable(row, e.kernels)) {
      out.push(`  ${s.path} ${s.text}`, `      model: ${s.model}`);
      e.kernels.forEach((k, i) => out.push(`      ${k.padEnd(5)}: ${s.kernels[i]}`));
    }
    out.push(`  ${e.kernels.map((k) => `${k}: ${row.kernels[k].status}${row.kernels[k].checks === "none" ? "" : `, checks ${row.kernels[k].checks}`}`).join("; ")}`);
  }
  return out.join("\n");
}
