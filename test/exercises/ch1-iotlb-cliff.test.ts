// Exercise ch1.4: the IOTLB cliff, checked with the library's simulateIotlb on seeded IOTLBs:
// the student's working set must keep the hit rate ≥ threshold and one more entry's worth must not.
import { describe, it } from "vitest";
import { IOTLB_DEFAULTS, PAGE_SIZES, effectivePageSize, pageSizeBytes, simulateIotlb, type IotlbParams, type PageSize } from "../../src/index.js";
import { bytes, call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch1-iotlb-cliff";
type Mod = typeof import("../../exercises/ch1-iotlb-cliff/.meta/reference.js");
const FINISHED = ["findIotlbCliff", "iotlbCliff", "iotlbMissCost"];

function describeIotlb(p: Partial<IotlbParams>): string {
  const q = { ...IOTLB_DEFAULTS, ...p };
  const ways = p.ways ?? q.entries;
  return `a ${q.entries}-entry ${ways < q.entries ? `${ways}-way` : "fully associative"} IOTLB, guest ${q.guestPageSize} over host ${q.pageSize} pages, ${q.pattern} DMAs (seed ${q.seed})`;
}

describe("ch1.4 IOTLB cliff", () => {
  it("entryBytes: min(guest stage-1 page, host stage-2 page) for every pair", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    for (const guestPageSize of PAGE_SIZES) {
      for (const pageSize of PAGE_SIZES) {
        const want = pageSizeBytes(effectivePageSize(guestPageSize, pageSize));
        const got = call("entryBytes", [{ guestPageSize, pageSize }], () => m.entryBytes({ guestPageSize, pageSize }));
        if (got !== want) fail(`with guest ${guestPageSize} IO pages over host ${pageSize} pages one IOTLB entry covers ${bytes(want)}, but your entryBytes returned ${bytes(got)}`);
      }
    }
    const d = call("entryBytes", [{}], () => m.entryBytes({}));
    const dw = pageSizeBytes(effectivePageSize(IOTLB_DEFAULTS.guestPageSize, IOTLB_DEFAULTS.pageSize));
    if (d !== dw) fail(`with the defaults (guest ${IOTLB_DEFAULTS.guestPageSize} over host ${IOTLB_DEFAULTS.pageSize}) an entry covers ${bytes(dw)}, but your entryBytes({}) returned ${bytes(d)}`);
  });

  it("findCliff: seeded IOTLBs, ring and uniform DMA patterns", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 8, (rng) => {
      const entries = pick(rng, [16, 32, 64, 128]);
      const ways = pick(rng, [entries, entries, entries / 4]);
      const pageSize: PageSize = pick(rng, ["4K", "2M"] as PageSize[]);
      const pattern = pick(rng, ["ring", "uniform"] as const);
      const p: Partial<IotlbParams> = { entries, ways, pageSize, guestPageSize: "2M", pattern, accesses: 4000 + rng.nextInt(8000), seed: rng.nextInt(1000) };
      const threshold = pattern === "ring" ? pick(rng, [0.5, 0.9, 0.99]) : Math.round((0.5 + 0.45 * rng.next()) * 100) / 100;
      const unit = pageSizeBytes(effectivePageSize("2M", pageSize));
      const max = 64 * entries * unit;
      const what = `${describeIotlb(p)}, threshold ${(threshold * 100).toFixed(0)}% hits`;
      const got = call("findCliff", [p, threshold], () => m.findCliff(p, threshold));
      if (typeof got !== "number" || !Number.isInteger(got / unit) || got < 0 || got > max) {
        fail(`for ${what} the cliff is a whole number of ${formatEntry(unit)} entries between 0 and ${bytes(max)}, but your findCliff returned ${bytes(got)}`);
      }
      const hitAt = (ws: number): number => simulateIotlb({ ...p, workingSetBytes: ws }).hitRate;
      if (got > 0) {
        const h = hitAt(got);
        if (h < threshold) fail(`for ${what}: at your cliff ${bytes(got)} the hit rate is already ${(h * 100).toFixed(1)}%, below the threshold — the cliff is at a smaller working set`);
      } else if (hitAt(unit) >= threshold) {
        fail(`for ${what}: your findCliff returned 0, but one entry's worth (${bytes(unit)}) keeps ${(hitAt(unit) * 100).toFixed(1)}% hits`);
      }
      if (got < max) {
        const h = hitAt(got + unit);
        if (h >= threshold) fail(`for ${what}: one more entry's worth, ${bytes(got + unit)}, still keeps ${(h * 100).toFixed(1)}% hits, so the cliff is past your answer ${bytes(got)}`);
      }
    });
  });
});

function formatEntry(unit: number): string {
  return unit >= 1 << 20 ? `${unit / (1 << 20)}M` : `${unit / 1024}K`;
}
