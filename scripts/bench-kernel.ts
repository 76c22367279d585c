// The kernel lab's speed, for `npm run bench`: boot time of each kernel to the agent's hello, and
// the whole kernel suite's time per kernel (one kernel at a time, so each figure is its own).
// Goal: ≤ 30 s per kernel for the suite on the 2-core machine, downloads aside.
import { resolveKernels, runOnKernel, scratchDir, type KernelImage } from "../src/kernel/index.js";
import { suiteFiles } from "../src/kernel/suite.js";
import { kernelInjection } from "../src/fidelity/injection.js";
import { scenarioId } from "../src/fidelity/program.js";
import { loadScenarioFile } from "../src/scenario/node.js";
import { runScenario } from "../src/scenario/run.js";

export const KERNEL_SUITE_GOAL_SECONDS = 30;

export interface KernelBench {
  id: string;
  release: string;
  /** QEMU start to the agent's hello, seconds (a boot with no scenario). */
  bootSeconds: number;
  /** The same empty boot, start to power-off. */
  emptyRunSeconds: number;
  /** Every suite scenario in one boot, start to power-off (absent with --quick). */
  suiteSeconds?: number;
  scenariosRun?: number;
  goalMet?: boolean;
}

export async function benchKernels(quick: boolean, log: (s: string) => void): Promise<KernelBench[]> {
  const scratch = scratchDir();
  try {
    const kernels: KernelImage[] = resolveKernels({ kernel: quick ? "7.3" : "all" }, scratch.dir);
    const out: KernelBench[] = [];
    for (const k of kernels) {
      const empty = await runOnKernel(k, [{ spec: { name: "empty", machine: { memory: "64M" }, steps: [{ op: "check" }] }, model: runScenario({ name: "empty", machine: { memory: "64M" }, steps: [{ op: "check" }] }), id: "empty" }]);
      const b: KernelBench = { id: k.id, release: k.release, bootSeconds: (empty.boots[0]?.bootMs ?? NaN) / 1000, emptyRunSeconds: (empty.boots[0]?.ms ?? NaN) / 1000 };
      if (!quick) {
        const scenarios = suiteFiles().map((f) => {
          const { spec } = kernelInjection(loadScenarioFile(f), k.model);
          return { spec, model: runScenario(spec), id: scenarioId(spec.name) };
        });
        const suite = await runOnKernel(k, scenarios);
        b.suiteSeconds = suite.boots.reduce((s, x) => s + x.ms, 0) / 1000;
        b.scenariosRun = suite.runs.length;
        b.goalMet = b.suiteSeconds <= KERNEL_SUITE_GOAL_SECONDS;
      }
      log(`kernel ${k.id} (${k.release}): boot ${b.bootSeconds.toFixed(1)} s, empty run ${b.emptyRunSeconds.toFixed(1)} s${b.suiteSeconds === undefined ? "" : `, suite (${b.scenariosRun} scenarios, one boot) ${b.suiteSeconds.toFixed(1)} s — goal ≤ ${KERNEL_SUITE_GOAL_SECONDS} s: ${b.goalMet ? "met" : "NOT met"}`}`);
      out.push(b);
    }
    return out;
  } finally {
    scratch.done();
  }
}
