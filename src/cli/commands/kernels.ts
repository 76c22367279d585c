// `mfr-lab kernels`: the kernels the lab can boot, where they come from, whether they are cached;
// `--fetch` downloads them. `mfr-lab kernel-suite`: every scenario on the model and the kernels,
// one row each; `--write` updates the committed results the Fidelity page shows.
import type { Command } from "commander";
import { MfrLabError } from "../../core/errors.js";
import { KERNEL_VERSIONS } from "../../mfr/kernel-version.js";
import { kernelCacheDir, listKernels, resolveKernels, scratchDir } from "../../kernel/index.js";
import { runKernelSuite, writeSuiteResults, RESULTS_FILE } from "../../kernel/suite.js";
import { buildSelftests, runSelftests } from "../../kernel/selftests.js";
import { choiceOption } from "../options.js";
import { emit, table } from "../output.js";
import { progressReporter } from "../progress.js";

export function registerKernels(program: Command): void {
  program
    .command("kernels")
    .description("list the kernels the kernel lab boots (Debian's 6.12 and 7.3), and fetch them")
    .option("--fetch <k>", `download a kernel into the cache now: ${KERNEL_VERSIONS.join(", ")} or all`, choiceOption([...KERNEL_VERSIONS, "all"] as const))
    .option("--selftests", "run the kernel's own memory-failure selftests (built from linux-source-7.3) on the cached kernels")
    .option("--json", "print one JSON object")
    .action(async (o) => {
      if (o.fetch) {
        const progress = o.json ? undefined : progressReporter(`kernel ${o.fetch}`);
        const scratch = scratchDir();
        try {
          resolveKernels({ kernel: o.fetch, progress: progress?.update }, scratch.dir);
        } finally {
          progress?.stop();
          scratch.done();
        }
      }
      if (o.selftests) {
        const build = buildSelftests((w) => (o.json ? undefined : process.stderr.write(`[mfr-lab] selftests: ${w}\n`)));
        const cached = listKernels().flatMap((k) => (k.cached ? [k.cached] : []));
        if (cached.length === 0) throw new MfrLabError("no kernel is cached", "run `mfr-lab kernels --fetch all` first");
        const results = await Promise.all(cached.map(async (k) => ({ kernel: k.id, release: k.release, tests: await runSelftests(k, build) })));
        const failed = results.some((r) => r.tests.some((t) => t.failed.length > 0 || t.passed.length === 0));
        emit(!!o.json, { source: build.source, results }, () => [
          `selftests from ${build.source}`,
          ...table(["kernel", "selftest", "passed", "failed", "skipped"], results.flatMap((r) => r.tests.map((t) => [r.kernel, t.name, t.passed.length, t.failed.length, t.skipped.length]))),
          ...results.flatMap((r) => r.tests.flatMap((t) => t.failed.map((f) => `!! ${r.kernel} ${t.name}: not ok ${f}`))),
        ].join("\n"));
        process.exitCode = failed ? 1 : 0;
        return;
      }
      const ks = listKernels().map(({ known, cached }) => ({
        id: known.id, suite: known.suite, cached: !!cached, release: cached?.release, source: cached?.source, fetchedAt: cached?.fetchedAt,
        modules: cached?.modules.map((m) => m.name),
      }));
      emit(!!o.json, { cache: kernelCacheDir(), kernels: ks }, () => [
        ...table(["kernel", "Debian suite", "cached", "release", "fetched"], ks.map((k) => [k.id, k.suite, k.cached ? "yes" : "no", k.release ?? "—", k.fetchedAt?.slice(0, 10) ?? "—"])),
        "",
        `cache: ${kernelCacheDir()} (set MFR_LAB_KERNEL_CACHE to move it)`,
        ...ks.filter((k) => k.cached).map((k) => `${k.id}: ${k.source}`),
        ...(ks.some((k) => !k.cached) ? ["fetch with `mfr-lab kernels --fetch all` (or on first use by `mfr-lab scenario FILE --kernel …`)"] : []),
      ].join("\n"));
    });

  program
    .command("kernel-suite")
    .description("run every scenario on the model and on real kernels under QEMU; one row per scenario (the Fidelity page's data)")
    .option("--kernel <k>", `${KERNEL_VERSIONS.join(", ")} or all`, choiceOption([...KERNEL_VERSIONS, "all"] as const), "all")
    .option("--offline", "use only cached kernels")
    .option("--write", "update the committed results (src/fidelity/suite-results.ts) — only when every kernel ran")
    .option("--accel <a>", "tcg (default) or kvm", choiceOption(["tcg", "kvm"] as const))
    .option("--json", "print one JSON object")
    .action(async (o) => {
      const scratch = scratchDir();
      try {
        const progress = o.json ? undefined : progressReporter("kernel");
        const kernels = resolveKernels({ kernel: o.kernel, offline: !!o.offline, progress: progress?.update }, scratch.dir);
        progress?.stop();
        const r = await runKernelSuite(kernels, { accel: o.accel, onProgress: o.json ? undefined : (w) => process.stderr.write(`[mfr-lab] ${w}\n`) });
        const ids = kernels.map((k) => k.id);
        const bad = r.rows.flatMap((row) => ids.filter((id) => row.kernels[id].status === "differ" || row.kernels[id].status === "not run").map((id) => `${row.name} on ${id}: ${row.kernels[id].status}`));
        const { labs, ...data } = r;
        emit(!!o.json, data, () => [
          ...table(["scenario", "model", ...ids], r.rows.map((row) => [row.name, row.model.checks === "hold" ? "checks hold" : "checks FAIL", ...ids.map((id) => cellText(row.kernels[id]))])),
          "",
          ...labs.map((l) => `${l.kernel.id} (${l.kernel.release}): ${l.boots.length} boot(s), boot ${((l.boots[0]?.bootMs ?? 0) / 1000).toFixed(1)} s, suite ${(l.boots.reduce((s, b) => s + b.ms, 0) / 1000).toFixed(1)} s (${l.accel})`),
          ...bad.map((b) => `!! ${b}`),
        ].join("\n"));
        if (o.write) {
          if (o.kernel !== "all") throw new MfrLabError("--write needs every kernel (--kernel all)");
          writeSuiteResults(r);
          process.stderr.write(`[mfr-lab] wrote ${RESULTS_FILE}\n`);
        }
        process.exitCode = bad.length === 0 ? 0 : 1;
      } finally {
        scratch.done();
      }
    });
}

function cellText(c: { status: string; checks: string; differences: unknown[] }): string {
  const checks = c.checks === "none" ? "" : c.checks === "hold" ? ", checks hold" : ", checks FAIL";
  return c.status === "known" ? `${c.differences.length} known diff.${checks}` : `${c.status}${checks}`;
}
