/**
 * Every number the prose shows, computed by the library when the site is built. Pages write
 * `[[lib:NAME]]` (src/md/lib-value.ts); an unknown name fails the build. test/site checks the
 * rendered page against these values, so text and code cannot drift apart.
 */
import {
  GOLDEN_COVE,
  PAGE_SIZE_SHIFT,
  TlbHierarchy,
  basePagesPer,
  effectivePageSize,
  formatSize,
  nestedWalkRefs,
  pageSizeBytes,
  parseSize,
  walkLevels,
  walkRefs1D,
  walkRefs2D,
} from "../../src/index.js";
import { fmt, pct } from "./format.js";
import { nonUniformSplit, PMD_ORDER, PUD_ORDER } from "../../src/poison/split.js";
import { MEMCYCLE_PUBLISHED, memcycleModel, simulateMemcycleCounts } from "../../src/thp/memcycle.js";
import { IOTLB_DEFAULTS, findIotlbCliff, iotlbMissCost, simulateIotlb } from "../../src/iommu/iotlb.js";
import { poisonOutcome, type PoisonOutcomeInput } from "../../src/poison/outcome.js";
import { chapter0Values } from "./lib-values-ch0.js";
import { chapter2Values } from "./lib-values-ch2.js";
import { chapter3Values } from "./lib-values-ch3.js";
import { chapter4Values } from "./lib-values-ch4.js";
import { chapter5Values } from "./lib-values-ch5.js";
import { chapter6Values } from "./lib-values-ch6.js";

/** The IO working set the chapter uses as its example: fits 64 × 2M, not 64 × 4K. */
const EXAMPLE_WS = 64 * 1024 * 1024;

export function libValues(): Record<string, string | number> {
  const v: Record<string, string | number> = {};

  // TLB reach (entries × page size) of the Golden Cove preset.
  const gc = new TlbHierarchy(GOLDEN_COVE);
  v["tlb.goldencove.stlb.entries"] = fmt(GOLDEN_COVE.stlb ? GOLDEN_COVE.stlb.geometry.entries : 0);
  v["tlb.goldencove.reach.4K"] = formatSize(gc.reachBytes("4K"));
  v["tlb.goldencove.reach.2M"] = formatSize(gc.reachBytes("2M"));
  v["tlb.goldencove.reach.1G"] = formatSize(gc.reachBytes("1G"));
  v["tlb.goldencove.reach.ratio"] = fmt(gc.reachBytes("2M") / gc.reachBytes("4K"));

  // The RFC's guest: 640 GB, mapped with 2M pages.
  const guest = parseSize("640G");
  v["guest.size"] = formatSize(guest);
  v["guest.translations.2M"] = fmt(guest / pageSizeBytes("2M"));
  v["guest.translations.4K.split25"] = fmt((0.25 * guest) / pageSizeBytes("4K"));
  v["guest.reach.coverage.2M"] = pct((100 * gc.reachBytes("2M")) / guest, 2).replace(/^\+/, "");

  // Page walks.
  v["walk.levels.4K"] = walkLevels("4K");
  v["walk.levels.2M"] = walkLevels("2M");
  v["walk.levels.1G"] = walkLevels("1G");
  v["walk.1d.4K"] = walkRefs1D(walkLevels("4K"));
  v["walk.1d.2M"] = walkRefs1D(walkLevels("2M"));
  v["walk.2d.4x4"] = walkRefs2D(4, 4);
  v["walk.2d.5x5"] = walkRefs2D(5, 5);
  v["walk.2d.ratio.4x4"] = fmt(walkRefs2D(4, 4) / walkRefs1D(4), 0);
  for (const g of ["4K", "2M", "1G"] as const) {
    for (const h of ["4K", "2M", "1G"] as const) {
      v[`walk.nested.${g}.${h}`] = nestedWalkRefs(g, h);
      v[`walk.effective.${g}.${h}`] = effectivePageSize(g, h);
    }
  }

  // Poison radius and folio sizes.
  v["shift.4K"] = PAGE_SIZE_SHIFT["4K"];
  v["shift.2M"] = PAGE_SIZE_SHIFT["2M"];
  v["shift.1G"] = PAGE_SIZE_SHIFT["1G"];
  v["pages.2M"] = fmt(basePagesPer("2M"));
  v["pages.1G"] = fmt(basePagesPer("1G"));
  v["pages.1G.in2M"] = fmt(pageSizeBytes("1G") / pageSizeBytes("2M"));

  // One poisoned 4K page in a folio, by backing (src/poison/outcome.ts).
  const scenarios: Record<string, PoisonOutcomeInput> = {
    "hugetlb1G": { backing: "hugetlb", folioSize: "1G" },
    "hugetlb1G.anon": { backing: "hugetlb", folioSize: "1G", mapping: "anon" },
    "hugetlb1G.keep": { backing: "hugetlb", folioSize: "1G", keepUeMapped: true },
    "hugetlb1G.keep.pinned": { backing: "hugetlb", folioSize: "1G", keepUeMapped: true, pinned: true },
    "thp2M": { backing: "thp", folioSize: "2M" },
    "thp2M.pinned": { backing: "thp", folioSize: "2M", pinned: true },
  };
  for (const [k, input] of Object.entries(scenarios)) {
    const o = poisonOutcome(input);
    v[`poison.${k}.lsb`] = o.siAddrLsb;
    v[`poison.${k}.signalled`] = formatSize(o.signalledBytes);
    v[`poison.${k}.lost`] = formatSize(o.bytesLostImmediately);
    v[`poison.${k}.unusable`] = formatSize(o.bytesUnusable);
    v[`poison.${k}.fate`] = o.folioFate;
    v[`poison.${k}.result`] = o.result ?? "not specified";
    v[`poison.${k}.mftype`] = o.mfType;
    v[`poison.${k}.entriesAfter`] = fmt(o.tlbEntriesAfter);
  }

  // Uniform vs non-uniform split of a folio with one poisoned page (src/poison/split.ts).
  for (const [k, order] of [["2M", PMD_ORDER], ["1G", PUD_ORDER]] as const) {
    const s = nonUniformSplit(order, 0);
    v[`split.${k}.folios.uniform`] = fmt(s.folioCount.uniform);
    v[`split.${k}.folios.nonuniform`] = fmt(s.folioCount.nonUniform);
    v[`split.${k}.entries.uniform`] = fmt(s.tlbEntries.uniform);
    v[`split.${k}.entries.nonuniform`] = fmt(s.tlbEntries.nonUniform);
    v[`split.${k}.largest`] = formatSize(Math.max(...s.pieces.filter((p) => !p.poisoned).map((p) => p.bytes)));
    v[`split.${k}.healthy`] = formatSize(s.healthyBytes);
  }

  // IOTLB: the defaults of the simulator, the miss cost, and one workload on each side of the cliff.
  const entries = IOTLB_DEFAULTS.entries;
  v["iotlb.entries"] = entries;
  v["iotlb.hittime"] = `${fmt(iotlbMissCost({ pageSize: "2M" }).hitTimeNs, 0)} ns`;
  v["iotlb.link"] = `${fmt(IOTLB_DEFAULTS.linkGbps)} Gbps`;
  for (const ps of ["2M", "4K"] as const) {
    const c = iotlbMissCost({ pageSize: ps });
    v[`iotlb.${ps}.walkrefs`] = c.walkRefs;
    v[`iotlb.${ps}.misspenalty`] = `${fmt(c.missPenaltyNs)} ns`;
    v[`iotlb.${ps}.reach`] = formatSize(entries * pageSizeBytes(ps));
    const cliff = findIotlbCliff({ pageSize: ps });
    v[`iotlb.${ps}.cliff`] = formatSize(cliff.workingSetBytes);
    const example = simulateIotlb({ pageSize: ps, workingSetBytes: EXAMPLE_WS });
    v[`iotlb.${ps}.example.throughput`] = `${fmt(100 * example.relativeThroughput)} %`;
    v[`iotlb.${ps}.example.hitrate`] = `${fmt(100 * example.hitRate, 1)} %`;
    v[`iotlb.${ps}.example.entries`] = fmt(example.entriesNeeded);
  }
  v["iotlb.example.ws"] = formatSize(EXAMPLE_WS);

  // MemCycle: the published points and the model fitted to them.
  const pub = MEMCYCLE_PUBLISHED;
  v["memcycle.published.baseline"] = fmt(pub.baselineRate, 2);
  pub.points.forEach((p) => {
    const k = Math.round(p.fraction * 100);
    v[`memcycle.published.${k}.fraction`] = `${k} %`;
    v[`memcycle.published.${k}.rate`] = fmt(p.rate, 2);
    v[`memcycle.published.${k}.change`] = pct(p.changePercent);
  });
  const model = memcycleModel();
  v["memcycle.fitted.name"] = model.fitted.name;
  v["memcycle.fitted.value"] = fmtSig(model.fitted.value);
  v["memcycle.fitted.to"] = model.fitted.fittedTo;
  for (const r of model.residuals()) {
    const k = Math.round(r.fraction * 100);
    v[`memcycle.predicted.${k}`] = pct(r.predictedPercent);
    v[`memcycle.residual.${k}`] = `${fmt(r.residualPp, 2)} pp`;
  }
  const b25 = model.predict(0.25).breakdown;
  v["memcycle.walkrefs.split"] = b25.walkRefsSplit;
  v["memcycle.walkrefs.huge"] = b25.walkRefsHuge;
  v["memcycle.exposedrefs"] = fmt(b25.exposedDramRefsPerSplitWalk, 2);
  v["memcycle.slice"] = formatSize(b25.sliceBytesPerVcpu);
  v["memcycle.pagetime"] = `${fmt(b25.pageTimeNs, 1)} ns`;
  v["memcycle.extra.splitpage"] = `${fmt(b25.extraNsPerSplitPage, 1)} ns`;
  v["memcycle.dram"] = `${fmt(model.params.dramLatencyNs)} ns`;
  v["memcycle.vcpus"] = model.params.vcpus;
  v["memcycle.ptesperline"] = model.params.ptesPerLine;
  v["memcycle.stream.exposedrefs"] = fmt(model.streamingEstimate.exposedDramRefsPerSplitWalk, 3);
  v["memcycle.stream.change25"] = pct(model.streamingEstimate.changePercentAt25);
  // Engine cross-check of the analytic miss rule (one vCPU, scaled-down slice, seeded split).
  const counts = simulateMemcycleCounts(0.25, { seed: 1 });
  v["memcycle.engine.slice"] = formatSize(counts.sliceBytes);
  v["memcycle.engine.fraction"] = `${fmt(100 * counts.actualFraction, 1)} %`;
  v["memcycle.engine.split"] = fmt(counts.walksPer1000Split, 1);
  v["memcycle.engine.huge"] = fmt(counts.walksPer1000Huge, 2);
  v["memcycle.engine.analytic.split"] = fmt(counts.analyticPer1000Split, 1);
  v["memcycle.engine.analytic.huge"] = fmt(counts.analyticPer1000Huge, 2);
  v["memcycle.engine.perpage"] = counts.perPage;
  for (const f of [0.5, 1]) {
    const p = model.predict(f);
    v[`memcycle.predicted.${Math.round(f * 100)}`] = pct(p.throughputChangePercent);
  }
  Object.assign(v, chapter2Values());
  Object.assign(v, chapter0Values());
  Object.assign(v, chapter3Values());
  Object.assign(v, chapter4Values());
  Object.assign(v, chapter5Values());
  Object.assign(v, chapter6Values());
  return v;
}

/** Four significant digits, without a trailing exponent for ordinary magnitudes. */
function fmtSig(x: number): string {
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e6) return fmt(x, Math.max(0, 3 - Math.floor(Math.log10(a))));
  return x.toPrecision(4);
}
