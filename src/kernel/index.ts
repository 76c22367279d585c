// The kernel lab's entry points (Node only): pick kernels, run scenarios on them next to the
// model, and say where they differ.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareScenario, type ScenarioComparison } from "../fidelity/compare.js";
import { kernelInjection, type InjectionNote } from "../fidelity/injection.js";
import { scenarioId } from "../fidelity/program.js";
import type { KernelScenarioRun } from "../fidelity/replay.js";
import { runScenario } from "../scenario/run.js";
import type { ScenarioResult, ScenarioSpec } from "../scenario/types.js";
import { KernelLabError } from "./errors.js";
import { cachedKernel, fetchKernel, KNOWN_KERNELS, kernelFromPath, type KernelImage, type ModelKernel, type Progress } from "./kernels.js";
import { runOnKernel, type LabOptions, type LabRun } from "./lab.js";

export { KernelLabError } from "./errors.js";
export { cachedKernel, fetchKernel, kernelCacheDir, KNOWN_KERNELS, listKernels, type KernelImage, type ModelKernel } from "./kernels.js";
export { runOnKernel, type LabRun, type LabScenario } from "./lab.js";

export interface KernelChoice {
  /** "6.12", "7.3", "all", or the path of a bzImage. */
  kernel: string;
  /** Use only cached kernels (no download). */
  offline?: boolean;
  /** The modules folder of a kernel given by path. */
  modules?: string;
  progress?: Progress;
}

/** The kernels a --kernel argument names, fetched on first use unless offline. `scratch` holds a path kernel's modules. */
export function resolveKernels(c: KernelChoice, scratch: string): KernelImage[] {
  const ids: ModelKernel[] = c.kernel === "all" ? KNOWN_KERNELS.map((k) => k.id) : KNOWN_KERNELS.some((k) => k.id === c.kernel) ? [c.kernel as ModelKernel] : [];
  if (ids.length === 0) {
    if (!/[/.]/.test(c.kernel) || /^\d+(\.\d+)*$/.test(c.kernel)) {
      throw new KernelLabError(`--kernel ${c.kernel}: not a kernel the lab knows`, `use ${KNOWN_KERNELS.map((k) => k.id).join(", ")}, all, or the path of a bzImage`);
    }
    return [kernelFromPath(c.kernel, join(scratch, "modules"), c.modules)];
  }
  return ids.map((id) => {
    const k = cachedKernel(id);
    if (k) return k;
    if (c.offline) throw new KernelLabError(`kernel ${id} is not cached and --offline forbids fetching it`, `run \`mfr-lab kernels --fetch ${id}\` once with the network, or drop --offline`);
    return fetchKernel(id, c.progress);
  });
}

/** One kernel's run of a scenario, next to the model's run of the same (injection-translated) scenario. */
export interface KernelScenarioReport {
  kernel: Pick<KernelImage, "id" | "release" | "source" | "model">;
  /** How hardware errors of the scenario were injected on this kernel. */
  injection: InjectionNote[];
  /** The model's run of the scenario as the kernel ran it, at the kernel's model version. */
  model: ScenarioResult;
  run?: KernelScenarioRun;
  comparison?: ScenarioComparison;
  /** Why the scenario did not run on this kernel at all. */
  skipped?: string;
  lab: Pick<LabRun, "hello" | "modules" | "boots" | "accel">;
}

export interface ScenarioOnKernels {
  scenario: string;
  /** The scenario as written, on the model (its checks are the scenario's own verdict). */
  model: ScenarioResult;
  kernels: KernelScenarioReport[];
  /** The model's checks hold, every kernel's checks hold, and model and kernels agree (or differ only in known ways). */
  ok: boolean;
}

/** Runs a scenario on the model and on each kernel, and compares them. */
export async function scenarioOnKernels(spec: ScenarioSpec, kernels: KernelImage[], o: LabOptions & { seed?: number; source?: string } = {}): Promise<ScenarioOnKernels> {
  const opts = { seed: o.seed, source: o.source };
  const model = runScenario(spec, opts);
  // Each kernel boots its own VM; they run side by side.
  const reports = await Promise.all(kernels.map(async (k): Promise<KernelScenarioReport> => {
    const { spec: ks, notes } = kernelInjection(spec, k.model);
    const km = runScenario(ks, opts);
    const lab = await runOnKernel(k, [{ spec: ks, model: km, id: scenarioId(spec.name) }], o);
    const run = lab.runs[0];
    const info = { id: k.id, release: k.release, model: k.model };
    const r: KernelScenarioReport = {
      kernel: { id: k.id, release: k.release, source: k.source, model: k.model }, injection: notes, model: km,
      lab: { hello: lab.hello, modules: lab.modules, boots: lab.boots, accel: lab.accel },
    };
    if (run) {
      r.run = run;
      r.comparison = compareScenario(km, run, info);
    } else r.skipped = lab.skipped[0]?.reason ?? "not run";
    return r;
  }));
  const modelOk = model.checkFailures.length === 0 && model.violationsExpected && (!model.final.panicked || spec.expectPanic === true);
  return { scenario: spec.name, model, kernels: reports, ok: modelOk && reports.every((r) => r.skipped !== undefined || r.comparison?.ok === true) };
}

/** A scratch folder for one command, removed by `done`. */
export function scratchDir(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "mfr-lab-kernel-"));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}
