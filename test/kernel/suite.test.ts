// The kernel suite for real: every scenario file on the model, Linux 6.12 and Linux 7.3 under
// QEMU (Debian's packages, fetched into the cache on first use). Every kernel run agrees with the
// model or differs only in ways the known-differences table explains, and the committed results
// the Fidelity page shows (src/fidelity/suite-results.ts) are what a fresh run gives.
// Limits come from measured runs: both kernels side by side took 35–60 s on a busy 2-core
// machine (boots of 5–25 s under TCG); the margin covers a machine several times slower.
import { describe, expect, it } from "vitest";
import { SUITE_RESULTS } from "../../src/fidelity/suite-results.js";
import { suiteOutcomes } from "../../src/fidelity/suite.js";
import { resolveKernels, scratchDir } from "../../src/kernel/index.js";
import { runKernelSuite, suiteFiles } from "../../src/kernel/suite.js";
import { loadScenarioFile } from "../../src/scenario/node.js";

describe("kernel suite on Linux 6.12 and 7.3", () => {
  it("every suite scenario names the kernel functions that decide it", () => {
    for (const f of suiteFiles()) expect(loadScenarioFile(f).decidedBy?.length ?? 0, f).toBeGreaterThan(0);
  });

  it("runs every scenario on both kernels: no unexplained difference, and the committed results match", { timeout: 900_000 }, async () => {
    const scratch = scratchDir();
    try {
      const kernels = resolveKernels({ kernel: "all" }, scratch.dir);
      const r = await runKernelSuite(kernels);
      const bad = r.rows.flatMap((row) => Object.entries(row.kernels).filter(([, c]) => c.status === "differ" || c.status === "not run").map(([id, c]) => `${row.name} on ${id}: ${c.status} ${JSON.stringify(c.differences.filter((d) => !d.known))} ${c.aborted ?? ""}`));
      expect(bad, "unexplained differences (fix the model, or explain them in src/fidelity/known-differences.ts)").toEqual([]);
      expect(r.rows.filter((row) => Object.values(row.kernels).some((c) => c.status === "agree")).length, "most scenarios run on a kernel").toBeGreaterThan(15);
      expect(suiteOutcomes(r), "src/fidelity/suite-results.ts is stale: run `npx mfr-lab kernel-suite --write`").toEqual(suiteOutcomes(SUITE_RESULTS));
      expect(SUITE_RESULTS.kernels.map((k) => k.id)).toEqual(r.kernels.map((k) => k.id));
    } finally {
      scratch.done();
    }
  });
});
