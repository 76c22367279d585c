// The Chapter 3 chart series (src/iommufd/vm-life.ts) and their Plot builders (src/viz/pinning.ts).
import { describe, expect, it } from "vitest";
import { dmaOutcomeChart, dmaOutcomeRows, heldBackChart, heldBackOverVmLife, ParameterError, pinLifetimeChart, pinVsMemfdLifetime, type PinPolicy } from "../../src/index.js";
import { plotSvg, render, toHtml } from "../../src/viz/node.js";

const G = 2 ** 30;
const POLICIES: PinPolicy[] = ["none", "ebusy", "revoke"];

describe("heldBackOverVmLife", () => {
  it("none/ebusy hold each poisoned pinned folio back until teardown and leak it; revoke holds nothing back (Jason 20 Jan 2025 vs Jiaqi 21 Jan 2025 vs Jason Feb 2026)", () => {
    const s = Object.fromEntries(POLICIES.map((p) => [p, heldBackOverVmLife({ policy: p, errors: 2, seed: 3 })]));
    for (const p of POLICIES) expect(s[p].violations, `${p}: the model's invariants hold`).toEqual([]);
    const peak = (p: string) => Math.max(...s[p].points.map((x) => x.heldBackBytes));
    expect([peak("none"), peak("ebusy"), peak("revoke")]).toEqual([2 * G, 2 * G, 0]);
    const firstError = s.none.errors[0].day;
    expect(s.none.points.find((x) => x.t === firstError - 1)!.heldBackBytes, "nothing held back before the first error").toBe(0);
    expect(s.none.points.find((x) => x.t === firstError)!.heldBackBytes).toBe(G);
    const end = (p: string) => s[p].points[s[p].points.length - 1];
    expect([end("none").pinnedBytes, end("revoke").pinnedBytes], "teardown unpins everything").toEqual([0, 0]);
    expect(end("revoke").dmaToPoison).toBe(0);
    expect(end("none").dmaToPoison).toBeGreaterThan(0);
    expect(end("revoke").ioPageFaults).toBeGreaterThan(0);
  });

  it("punching the poisoned folio makes it pending while pinned (should become free, won't)", () => {
    const r = heldBackOverVmLife({ policy: "none", errors: 1, seed: 5, punchPoisoned: true });
    const day = r.errors[0].day;
    expect(r.points.find((x) => x.t === day)!.pendingBytes).toBe(G);
    expect(r.violations).toEqual([]);
  });

  it("is reproducible from the seed and rejects bad parameters", () => {
    expect(heldBackOverVmLife({ policy: "none", seed: 9 }).errors).toEqual(heldBackOverVmLife({ policy: "none", seed: 9 }).errors);
    expect(() => heldBackOverVmLife({ policy: "drop" as PinPolicy })).toThrow(ParameterError);
    expect(() => heldBackOverVmLife({ policy: "none", guest: "3M" })).toThrow(/guest/);
    expect(() => heldBackOverVmLife({ policy: "none", days: 3, errors: 5 })).toThrow(/errors/);
  });
});

describe("pinVsMemfdLifetime", () => {
  it("the pin outlives the memfd: allocated until the iommufd closes, then a poisoned free pool folio (policy none); revoke ends the pin at the error", () => {
    const none = pinVsMemfdLifetime({ policy: "none" });
    const bar = (l: typeof none, lane: string) => l.bars.filter((b) => b.lane === lane).map((b) => [b.from, b.to]);
    const closeStep = none.steps.indexOf("iommufd closed (VM teardown)");
    const memfdGone = none.steps.indexOf("VMM munmap + close(memfd)");
    expect(bar(none, "memfd fd open")).toEqual([[0, memfdGone]]);
    expect(bar(none, "folio allocated")).toEqual([[0, closeStep]]);
    expect(bar(none, "poisoned folio in the free pool")[0][0]).toBe(closeStep);
    const revoke = pinVsMemfdLifetime({ policy: "revoke" });
    expect(bar(revoke, "pinned by iommufd")).toEqual([[1, 2]]);
    expect(none.violations.concat(revoke.violations)).toEqual([]);
  });
});

describe("Chapter 3 charts", () => {
  const series = POLICIES.map((policy) => heldBackOverVmLife({ policy, seed: 2, punchPoisoned: true }));
  it("heldBackChart: one facet per policy, an aria description with the peaks and what is left after teardown", () => {
    const el = render(heldBackChart, series);
    expect(plotSvg(el).getAttribute("aria-description")).toMatch(/none: peak held back 2G.*leaked 2G.*revoke: peak held back 0/);
    expect(toHtml(el)).toMatch(/teardown/);
  });
  it("dmaOutcomeChart: stacked outcomes per policy; pinLifetimeChart: a lane per state", () => {
    const d = plotSvg(render(dmaOutcomeChart, dmaOutcomeRows(series))).getAttribute("aria-description")!;
    expect(d).toMatch(/revoke: ok \d+, poison 0, offlined 0, io-page-fault [1-9]/);
    const l = plotSvg(render(pinLifetimeChart, pinVsMemfdLifetime())).getAttribute("aria-description")!;
    expect(l).toMatch(/pinned by iommufd: steps 1–4/);
  });
  it("reject empty data and a missing document", () => {
    expect(() => render(heldBackChart, [])).toThrow(ParameterError);
    expect(() => render(dmaOutcomeChart, [])).toThrow(ParameterError);
    expect(() => heldBackChart(series)).toThrow(/no DOM/);
  });
});
