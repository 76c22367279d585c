// Exercise ch2.3: memory lost per policy, OSTEP style. The seed draws a guest, a folio size, an
// error pattern and whether iommufd pins the memory; memoryLostByPolicy() runs the Machine and
// the student's prediction from the pattern alone must match it.
import { describe, it } from "vitest";
import { errorPattern, formatSize, memoryLostByPolicy, parseSize, type Rng } from "../../src/index.js";
import { bytes, call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch2-memory-lost";
type Mod = typeof import("../../exercises/ch2-memory-lost/.meta/reference.js");

function draw(rng: Rng) {
  const folio = pick(rng, ["2M", "1G", "1G"] as const);
  const guest = folio === "1G" ? pick(rng, ["2G", "4G", "8G"]) : pick(rng, ["16M", "32M", "64M"]);
  const errors = 1 + rng.nextInt(folio === "1G" ? 24 : 40);
  const seed = rng.nextInt(1_000_000);
  const pinned = rng.next() < 0.3;
  return { folio, guest, errors, seed, pinned };
}

describe("ch2.3 memory lost per policy", () => {
  it("memoryLost: seeded error patterns, checked against memoryLostByPolicy (which runs the Machine)", async () => {
    const m = await loadExercise<Mod>(ID);
    seeded(ID, 10, (rng) => {
      const d = draw(rng);
      const r = memoryLostByPolicy({ errors: d.errors, guest: d.guest, folio: d.folio, seed: d.seed, pinned: d.pinned });
      const pattern = errorPattern({ errors: d.errors, guest: d.guest, seed: d.seed });
      const g = parseSize(d.guest);
      const f = parseSize(d.folio);
      const got = call("memoryLost", [pattern, g, f, d.pinned], () => m.memoryLost([...pattern], g, f, d.pinned));
      if (!got || typeof got !== "object" || !got.default || !got.keepUeMapped) fail(`memoryLost must return { default, keepUeMapped, hugepagesLost }, got ${JSON.stringify(got)}`);
      const what = `${d.errors} errors in a ${d.guest} guest of ${d.folio} HugeTLB pages${d.pinned ? ", pinned by iommufd" : ""} (pattern seed ${d.seed}, ${r.default.live.poisonedFolios} poisoned folios)`;
      const checks: [string, number, unknown][] = [
        ["default.live", r.default.live.unreadableBytes, got.default.live],
        ["default.afterRelease", r.default.afterRelease.unusableBytes, got.default.afterRelease],
        ["keepUeMapped.live", r.keepUeMapped.live.unreadableBytes, got.keepUeMapped.live],
        ["keepUeMapped.afterRelease", r.keepUeMapped.afterRelease.unusableBytes, got.keepUeMapped.afterRelease],
      ];
      for (const [name, want, have] of checks) {
        if (have !== want) fail(`${what}: the Machine loses ${bytes(want)} for ${name}, but your memoryLost returned ${bytes(have as number)}`);
      }
      const lost = r.keepUeMapped.afterRelease.hugetlb.lost;
      if (lost !== r.default.afterRelease.hugetlb.lost) throw new Error("model check: both policies should lose the same pool pages");
      if (got.hugepagesLost !== lost) fail(`${what}: the HugeTLB pool loses ${lost} ${d.folio} page(s) for good, but your hugepagesLost is ${String(got.hugepagesLost)}`);
    });
  });

  it("memoryLost: two errors in the same 1G folio cost 1G without the policy and 8K with it", async () => {
    const m = await loadExercise<Mod>(ID);
    const got = call("memoryLost", [[5, 77], "1G", "1G", false], () => m.memoryLost([5, 77], 2 ** 30, 2 ** 30, false));
    if (got.default?.live !== 2 ** 30) fail(`two bad pages in one 1G folio make the whole ${formatSize(2 ** 30)} unreadable without the policy, but your default.live is ${bytes(got.default?.live as number)}`);
    if (got.keepUeMapped?.live !== 8192) fail(`with MFD_MF_KEEP_UE_MAPPED only the two raw pages (8K) are lost, but your keepUeMapped.live is ${bytes(got.keepUeMapped?.live as number)}`);
  });
});
