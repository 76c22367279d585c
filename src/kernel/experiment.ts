// "The same experiment on a real kernel", for the notebooks: a scenario file run on the cached
// kernels when QEMU is there, else the committed kernel-suite result with its provenance. Never
// downloads (a notebook cell should not fetch 250 MB): `npx mfr-lab kernels --fetch all` does.
// Node only.
import { relative } from "node:path";
import { outcomeLine } from "../fidelity/suite.js";
import { SUITE_RESULTS } from "../fidelity/suite-results.js";
import { loadScenarioFile } from "../scenario/node.js";
import { scenarioOnKernels } from "./index.js";
import { cachedKernel, KNOWN_KERNELS, type KernelImage } from "./kernels.js";
import { ROOT } from "./suite.js";
import { hostTools } from "./tools.js";

export interface KernelExperiment {
  scenario: string;
  /** true: run now on this machine; false: the committed suite result. */
  live: boolean;
  /** Why it is not live (no QEMU, no cached kernel). */
  why?: string;
  /** Which kernels, from which packages, when. */
  provenance: string;
  kernels: string[];
  /** Each step: the model's outcome and each kernel's ("same" when equal). */
  rows: { step: string; model: string; kernels: string[] }[];
  /** One line: agreement, differences, checks. */
  summary: string;
}

/** Runs `file` (a path, or a name under scenarios/) on the cached kernels, or shows the committed result. */
export async function sameExperimentOnKernel(file: string): Promise<KernelExperiment> {
  const path = /[/.]/.test(file) ? file : `${ROOT}/scenarios/${file}.yaml`;
  const spec = loadScenarioFile(path);
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
    const r = await scenarioOnKernels(spec, kernels);
    const first = r.kernels.find((k) => k.comparison)?.comparison;
    const rows = (first?.steps ?? []).filter((s) => s.kernel).map((s) => {
      const model = outcomeLine(s.model);
      return {
        step: `${s.path} ${s.text}`, model,
        kernels: r.kernels.map((k) => {
          const ks = k.comparison?.steps.find((x) => x.path === s.path);
          const line = ks?.kernel ? outcomeLine(ks.kernel) : "not run";
          return line === model ? "same" : line;
        }),
      };
    });
    const diffs = r.kernels.reduce((n, k) => n + (k.comparison?.differences.length ?? 0), 0);
    return {
      scenario: spec.name, live: true, kernels: r.kernels.map((k) => k.kernel.id),
      provenance: `run now: ${r.kernels.map((k) => `${k.kernel.id} = ${k.kernel.source}`).join("; ")}`,
      rows, summary: `${r.ok ? "agree" : "see below"}: ${diffs} difference(s); ${r.kernels.map((k) => k.skipped ? `${k.kernel.id} not run (${k.skipped})` : `checks on ${k.kernel.id} ${k.comparison!.checks.kernel.length === 0 ? "hold" : "fail"}`).join(", ")}`,
    };
  }
  const row = SUITE_RESULTS.rows.find((x) => x.name === spec.name || x.file === relative(ROOT, path));
  const ids = SUITE_RESULTS.kernels.map((k) => k.id);
  const base = ids.map((id) => row?.kernels[id]).find((c) => c && c.steps.length);
  return {
    scenario: spec.name, live: false, why, kernels: ids,
    provenance: `the committed kernel-suite run of ${SUITE_RESULTS.ran}: ${SUITE_RESULTS.kernels.map((k) => `${k.id} = ${k.source}`).join("; ")}`,
    rows: (base?.steps ?? []).map((s) => ({
      step: `${s.path} ${s.text}`, model: s.model,
      kernels: ids.map((id) => {
        const ks = row?.kernels[id]?.steps.find((x) => x.path === s.path);
        return !ks ? "not run" : ks.kernel === s.model ? "same" : ks.kernel;
      }),
    })),
    summary: row ? ids.map((id) => `${id}: ${row.kernels[id].status}`).join(", ") : "this scenario is not in the committed suite",
  };
}

/** The experiment as a plain-text report (a notebook prints it). */
export function experimentText(e: KernelExperiment): string {
  const out = [`${e.scenario} — ${e.live ? "" : `committed result (${e.why}); `}${e.provenance}`];
  for (const r of e.rows) {
    out.push(`  ${r.step}`, `      model: ${r.model}`);
    e.kernels.forEach((k, i) => out.push(`      ${k.padEnd(5)}: ${r.kernels[i]}`));
  }
  out.push(`  ${e.summary}`);
  return out.join("\n");
}
