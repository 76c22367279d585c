// Fidelity table, part 2: the example scenario files, run and checked against what the kernel
// does. Each test name cites the kernel function that decides the behaviour. (Part 1 is
// test/mfr/fidelity.test.ts, which drives the Machine directly.)
import { describe, expect, it } from "vitest";
import { runScenario, type ScenarioSpec } from "../../src/index.js";
import { eventsAt, example, loadScenarioFile, mfOf, runExample, signalsOf } from "./helpers.js";

const load = (name: string): ScenarioSpec => loadScenarioFile(example(name));
const violationNames = (r: ReturnType<typeof runScenario>) => [...new Set(r.violations.map((v) => (v.event.kind === "invariant" ? v.event.name : "")))].sort();

describe("fidelity (scenario files)", () => {
  it("anon-4k-madvise: dirty anon page → MF_MSG_DIRTY_LRU / MF_RECOVERED and SIGBUS AR lsb 12 to the caller only (me_pagecache_dirty, kill_proc)", () => {
    const r = runExample("anon-4k-madvise");
    expect(mfOf(r)[0]).toMatchObject({ type: "MF_MSG_DIRTY_LRU", result: "MF_RECOVERED", ret: 0 });
    expect(signalsOf(r, "app")[0]).toMatchObject({ sig: "SIGBUS", code: "BUS_MCEERR_AR", lsb: 12 });
    expect(r.final.offlined, "only the raw 4K page is lost").toBe(1);
  });

  it("hugetlb-1g-default: the whole 1G folio is unmapped, every later access in it → SIGBUS lsb 30 (hwpoison_user_mappings, hugetlb_no_page VM_FAULT_HWPOISON_LARGE)", () => {
    const r = runExample("hugetlb-1g-default");
    const unmaps = r.events.flatMap((e) => (e.event.kind === "unmap" ? [e.event] : []));
    expect(unmaps.map((u) => u.result)).toEqual(["hwpoison-entry"]);
    const sigs = signalsOf(r, "vmm");
    expect(sigs.map((s) => s.lsb), "both the consuming access and a read 500M away report 1G").toEqual([30, 30]);
  });

  it("hugetlb-1g-default: truncating after the error does not free the folio — leaked, nr_hugepages unchanged (me_huge_page, folio_put with MF's extra ref)", () => {
    const r = runExample("hugetlb-1g-default");
    expect(r.final.hugetlb["1G"]).toEqual({ nr: 2, free: 1 });
    expect(r.final.leaked).toBe(262_144);
  });

  it("hugetlb-1g-keep-ue-mapped: the folio stays mapped, SIGBUS lsb 12, the rest of the 1G readable (hwpoison_user_mappings skips try_to_unmap for AS_MF_KEEP_UE_MAPPED, RFC v3)", () => {
    const r = runExample("hugetlb-1g-keep-ue-mapped");
    expect(eventsAt(r, "steps[0]").filter((e) => e.kind === "unmap").map((e) => e.kind === "unmap" && e.result)).toEqual(["kept-mapped"]);
    expect(signalsOf(r, "vmm").map((s) => [s.code, s.lsb])).toEqual([["BUS_MCEERR_AR", 12], ["BUS_MCEERR_AR", 12]]);
    expect(r.steps.find((s) => s.path === "steps[2]")!.outcome).toBe("ok");
  });

  it("hugetlb-1g-keep-ue-mapped: at release the folio is dissolved, 262,143 healthy pages go to buddy, the raw page is taken off (filemap_offline_hwpoison_folio, dissolve_free_hugetlb_folio)", () => {
    const spec = load("hugetlb-1g-keep-ue-mapped");
    const before = runScenario({ ...spec, steps: spec.steps.slice(0, spec.steps.findIndex((s) => s.op === "exit")) });
    const r = runScenario(spec);
    expect(r.final.free - before.final.free).toBe(262_143);
    const exit = eventsAt(r, `steps[${spec.steps.findIndex((s) => s.op === "exit")}]`);
    expect(exit.filter((e) => e.kind === "dissolve").map((e) => e.kind === "dissolve" && e.ret)).toEqual([0]);
    expect(exit.filter((e) => e.kind === "offline").map((e) => e.kind === "offline" && e.how)).toEqual(["take_page_off_buddy"]);
  });

  it("release-v1 vs release-v2: v1 collects then offlines in a batch, v2 offlines each folio as it is removed (populate_memfd_hwp_folios + offline_memfd_hwp_folios vs remove_inode_single_folio)", () => {
    const order = (name: string) => {
      const r = runExample(name);
      const exit = r.steps.find((s) => s.op === "exit")!;
      return r.events.filter((e) => e.step === exit.index && (e.kind === "policy" || e.kind === "dissolve")).map((e) => (e.event.kind === "policy" ? e.event.what.split(":")[0] : "dissolve"));
    };
    expect(order("release-v1")).toEqual(["populate_memfd_hwp_folios", "offline_memfd_hwp_folios", "filemap_offline_hwpoison_folio", "dissolve", "filemap_offline_hwpoison_folio", "dissolve"]);
    expect(order("release-v2")).toEqual(["filemap_offline_hwpoison_folio", "dissolve", "filemap_offline_hwpoison_folio", "dissolve"]);
    for (const n of ["release-v1", "release-v2"]) expect(runExample(n).final).toMatchObject({ offlined: 2, leaked: 0, violations: 0 });
  });

  it("v1-buggy-reuse: without the take-off the poisoned page returns to buddy and is allocated again; the same steps with v2 are clean (take_page_off_buddy; William Roche, 19 Sep 2025)", () => {
    const spec = load("v1-buggy-reuse");
    expect(violationNames(runScenario(spec))).toEqual(["poisoned-frame-allocated", "poisoned-frame-free"]);
    const fixed = runScenario({ ...spec, machine: { ...spec.machine, policyVariant: "v2" }, steps: spec.steps.filter((s) => s.op !== "check") });
    expect(fixed.violations).toEqual([]);
  });

  it("pinned-thp: a pinned THP cannot be split → MF_MSG_UNSPLIT_THP / MF_FAILED, -EHWPOISON, SIGBUS lsb 21 at the raw page; an injected page still reads (try_to_split_thp_page, kill_procs_now; madvise_inject_error)", () => {
    const r = runExample("pinned-thp");
    expect(r.kernel).toBe("7.3");
    expect(r.events.some((e) => e.event.kind === "split" && !e.event.ok)).toBe(true);
    expect(mfOf(r)).toHaveLength(1);
    expect(mfOf(r)[0]).toMatchObject({ type: "MF_MSG_UNSPLIT_THP", result: "MF_FAILED" });
    expect(r.steps.find((s) => s.op === "madvise")!.ret).toBe(-133);
    expect(signalsOf(r, "vmm").map((s) => s.lsb), "lsb 21 for the folio; the injected page reads without a machine check").toEqual([21]);
  });

  it("pinned-thp in mainline: the unsplit folio is freed whole, the poisoned page lands on the free lists; with the pending free_has_hwpoisoned() it would not (free_pages_prepare; Jiaqi Yan's series)", () => {
    const spec = load("pinned-thp");
    for (const kernel of ["6.12", "7.3"] as const) {
      expect(violationNames(runScenario({ ...spec, machine: { ...spec.machine, kernel } })), kernel).toEqual(["poisoned-frame-free"]);
    }
    const pending = runScenario({ ...spec, machine: { ...spec.machine, freeHasHwpoisoned: true }, steps: spec.steps.filter((s) => s.op !== "check"), expectViolations: undefined });
    expect(pending.violations).toEqual([]);
    expect(pending.final.offlined).toBe(1);
  });

  it("buddy-page: a free buddy page → MF_MSG_BUDDY / MF_RECOVERED, nobody signalled, page taken off (get_hwpoison_page, take_page_off_buddy)", () => {
    const r = runExample("buddy-page");
    const first = mfOf(r)[0];
    expect(first).toMatchObject({ type: "MF_MSG_BUDDY", result: "MF_RECOVERED", ret: 0 });
    expect(eventsAt(r, "steps[0]").some((e) => e.kind === "offline" && e.pfn === first.pfn)).toBe(true);
    expect(signalsOf(r, "app")).toEqual([]);
  });

  it("buddy-page: a free 1G pool page is dissolved and the pool shrinks; a reserved page is MF_IGNORED (dissolve_free_hugetlb_folio, __page_handle_poison; get_any_page)", () => {
    const r = runExample("buddy-page");
    expect(mfOf(r).map((e) => `${e.type}/${e.result}`)).toEqual(["MF_MSG_BUDDY/MF_RECOVERED", "MF_MSG_ALREADY_POISONED/MF_FAILED", "MF_MSG_FREE_HUGE/MF_RECOVERED", "MF_MSG_KERNEL/MF_IGNORED"]);
    expect(r.final.hugetlb["1G"]).toEqual({ nr: 1, free: 1 });
    expect(r.final.stats).toEqual({ total: 3, ignored: 1, failed: 0, delayed: 0, recovered: 2 });
    // 6.12: the reserved page fails HWPoisonHandlable() instead (get_any_page → -EIO).
    const old = runScenario(load("buddy-page"), { kernel: "6.12" });
    expect(old.kernel).toBe("6.12");
    expect(mfOf(old).map((e) => e.type)[3]).toBe("MF_MSG_GET_HWPOISON");
    expect(old.checkFailures).toEqual([]);
  });

  it("buddy-page: soft offline migrates an in-use page without a signal; unpoison is refused after a real error (soft_offline_page; unpoison_memory, hw_memory_failure)", () => {
    const r = runExample("buddy-page");
    const so = r.steps.find((s) => s.op === "soft-offline")!;
    const un = r.steps.find((s) => s.op === "unpoison")!;
    expect([so.ret, un.ret]).toEqual([0, -95]);
    expect(signalsOf(r, "app")).toEqual([]);
  });

  it("early-kill: AO to the early-kill process at once, nothing to the late one until it touches the page, then AR (task_early_kill, find_early_kill_thread)", () => {
    const r = runExample("early-kill");
    expect(signalsOf(r, "vmm").map((s) => s.code)).toEqual(["BUS_MCEERR_AO"]);
    expect(signalsOf(r, "helper").map((s) => s.code)).toEqual(["BUS_MCEERR_AR"]);
    const poison = r.steps.find((s) => s.op === "poison")!;
    expect(r.events.filter((e) => e.step === poison.index && e.kind === "signal").map((e) => e.process)).toEqual(["vmm"]);
  });

  it("early-kill with vm.memory_failure_early_kill = 1: the default-policy process is signalled AO too (task_early_kill)", () => {
    const spec = load("early-kill");
    const r = runScenario({ ...spec, machine: { ...spec.machine, earlyKill: true }, steps: spec.steps.filter((s) => s.op !== "check") });
    expect(signalsOf(r, "helper")[0]).toMatchObject({ code: "BUS_MCEERR_AO", lsb: 12 });
  });

  it("random-thp-errors: each error splits its unpinned 2M THP and costs 4K; late kill signals nobody (try_to_split_thp_page, task_early_kill)", () => {
    for (const seed of [7, 11, 12]) {
      const r = runExample("random-thp-errors", { seed });
      const pfns = mfOf(r).map((e) => e.pfn);
      const regions = new Set(pfns.map((p) => Math.floor(p / 512)));
      const splits = r.events.filter((e) => e.event.kind === "split" && e.event.ok).length;
      expect(splits, `seed ${seed}: one split per 2M region hit`).toBe(regions.size);
      expect(r.final.offlined).toBe(new Set(pfns).size);
      expect(r.final.leaked).toBe(0);
      expect(signalsOf(r, "app")).toEqual([]);
    }
  });
});
