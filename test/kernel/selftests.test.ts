// The kernel's own memory-failure selftests (tools/testing/selftests/mm/memory-failure.c and
// hugetlb-read-hwpoison.c from linux-source-7.3) run in the lab's VM on both kernels: a check of
// the harness (disk file system, debugfs, pagemap, kpageflags) that the course's translated
// scenarios (scenarios/selftests/) stand on. Measured: about 45 s for the source, the build and
// both boots on a busy 2-core machine; the limit leaves room for a slower one.
import { describe, expect, it } from "vitest";
import { cachedKernel, resolveKernels, scratchDir } from "../../src/kernel/index.js";
import { buildSelftests, parseTap, runSelftests } from "../../src/kernel/selftests.js";

describe("the kernel's own selftests in the lab's VM", () => {
  it("reads TAP verdicts", () => {
    const r = parseTap("t", 0, "TAP version 13\n1..3\nok 1 a.b\nnot ok 2 a.c\nok 3 a.d # SKIP no disk\n# Totals: pass:1 fail:1\n");
    expect(r).toMatchObject({ passed: ["a.b"], failed: ["a.c"], skipped: ["a.d"] });
  });

  it("memory-failure.c (6 cases) and hugetlb-read-hwpoison.c (12) pass on 6.12 and 7.3", { timeout: 900_000 }, async () => {
    const s = scratchDir();
    try {
      resolveKernels({ kernel: "all" }, s.dir);
    } finally {
      s.done();
    }
    const build = buildSelftests();
    for (const id of ["6.12", "7.3"] as const) {
      const results = await runSelftests(cachedKernel(id)!, build);
      const by = new Map(results.map((r) => [r.name, r]));
      expect(by.get("memory-failure")!.failed, `${id}: ${by.get("memory-failure")!.output.slice(-2000)}`).toEqual([]);
      expect(by.get("memory-failure")!.passed.length, id).toBe(6);
      expect(by.get("memory-failure")!.skipped, `${id}: nothing skipped (clean and dirty page cache need the disk)`).toEqual([]);
      expect(by.get("hugetlb-read-hwpoison")!.failed, id).toEqual([]);
      expect(by.get("hugetlb-read-hwpoison")!.passed.length, id).toBe(12);
    }
  });
});
