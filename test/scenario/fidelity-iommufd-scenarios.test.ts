// Fidelity table, Chapter 3: the iommufd / VFIO example scenario files, run and checked against
// what the kernel does (or what a proposal says it would do). Each test name cites the kernel
// function or the message that decides the behaviour.
import { describe, expect, it } from "vitest";
import { runScenario, type ScenarioResult, type ScenarioSpec } from "../../src/index.js";
import { eventsAt, example, loadScenarioFile, mfOf, runExample, signalsOf } from "./helpers.js";

const load = (name: string): ScenarioSpec => loadScenarioFile(example(name));
const iommu = (r: ScenarioResult, what: string) => r.events.flatMap((e) => (e.event.kind === "iommu" && e.event.what === what ? [e.event] : []));
const step = (r: ScenarioResult, path: string) => r.steps.find((s) => s.path === path)!;
const pathOf = (spec: ScenarioSpec, pred: (s: ScenarioSpec["steps"][number]) => boolean) => `steps[${spec.steps.findIndex(pred)}]`;
const G = 2 ** 30;

describe("fidelity (iommufd / VFIO scenario files)", () => {
  it("iommufd-1g-ue-none: memory_failure() on a pinned 1G hugetlb folio → MF_MSG_HUGE / MF_FAILED, 'still referenced by 262144 users' (has_extra_refcount)", () => {
    const r = runExample("iommufd-1g-ue-none");
    expect(mfOf(r)[0]).toMatchObject({ type: "MF_MSG_HUGE", result: "MF_FAILED" });
    expect(r.events.some((e) => e.event.kind === "policy" && /still referenced by 262144 users/.test(e.event.what)), "the pins are the extra references").toBe(true);
  });

  it("iommufd-1g-ue-none: nothing calls into the IOMMU, so the device's IOPTE survives and a DMA reaches the poisoned frame (no callback into the iommu — Jason Gunthorpe, 20 Jan 2025)", () => {
    const r = runExample("iommufd-1g-ue-none");
    const hits = iommu(r, "dma-to-poison");
    expect(hits.length).toBe(1);
    const mfPfn = mfOf(r)[0].pfn;
    expect(hits[0].pfn, "the DMA reached exactly the frame memory_failure() was told about").toBe(mfPfn);
    expect(iommu(r, "revoke")).toEqual([]);
    expect(signalsOf(r, "vmm").map((s) => s.lsb), "while the CPU side lost the whole 1G").toEqual([30]);
  });

  it("iommufd-1g-ue-none: the pin is dropped only when the IOAS goes — closing the iommufd unmaps and unpins (iopt_unmap_all → iopt_unmap_iova → batch_unpin, iopt_pages_update_pinned)", () => {
    const spec = load("iommufd-1g-ue-none");
    const r = runScenario(spec);
    const close = pathOf(spec, (s) => s.op === "iommufd-close");
    const evs = eventsAt(r, close).flatMap((e) => (e.kind === "iommu" ? [e.what] : []));
    expect(evs, "IOTLB invalidated before the unpin ('unpin must follow unmap')").toEqual(["iotlb-invalidate", "unmap", "unpin"]);
    const beforeClose = runScenario({ ...spec, steps: spec.steps.slice(0, spec.steps.findIndex((s) => s.op === "iommufd-close")) });
    expect(beforeClose.checkFailures).toEqual([]);
    expect(r.events.filter((e) => e.kind === "iommu" && e.event.kind === "iommu" && e.event.what === "unpin").length, "one unpin, at close").toBe(1);
  });

  it("iommufd-1g-ue-ebusy: a DMA-pinned folio is never offlined — filemap_offline_hwpoison_folio() returns -EBUSY at release and the 1G stays leaked (Jiaqi Yan, 21 Jan 2025; folio_maybe_dma_pinned)", () => {
    const spec = load("iommufd-1g-ue-ebusy");
    const r = runScenario(spec);
    const exit = eventsAt(r, pathOf(spec, (s) => s.op === "exit"));
    expect(exit.some((e) => e.kind === "policy" && /-EBUSY/.test(e.what))).toBe(true);
    expect(exit.some((e) => e.kind === "dissolve"), "no dissolve_free_hugetlb_folio() attempt").toBe(false);
    expect(r.final.leaked).toBe(G / 4096);
    expect(r.final.hugetlb["1G"]).toEqual({ nr: 2, free: 1 });
  });

  it("iommufd-1g-ue-ebusy vs none at release: the RFC as posted tries dissolve_free_hugetlb_folio() on the pinned folio and fails with -EBUSY; the folio is freed later, poisoned, into the pool (filemap_offline_hwpoison_folio, dissolve_free_hugetlb_folio)", () => {
    const spec = load("iommufd-1g-ue-ebusy");
    const steps = spec.steps.filter((s) => s.op !== "check").map((s) => (s.op === "iommufd" ? { ...s, policy: "none" as const } : s));
    const r = runScenario({ ...spec, steps });
    const exit = eventsAt(r, `steps[${steps.findIndex((s) => s.op === "exit")}]`);
    expect(exit.filter((e) => e.kind === "dissolve").map((e) => e.kind === "dissolve" && e.ret)).toEqual([-16]);
    expect(r.final.hugetlb["1G"], "back in the pool's count, but poisoned: dequeue skips it").toEqual({ nr: 2, free: 2 });
    expect(r.final.leaked).toBe(G / 4096);
    expect(r.violations).toEqual([]);
  });

  it("iommufd-1g-ue-revoke: revoking the area first drops the pins, so memory_failure() sees no extra reference → MF_MSG_HUGE / MF_RECOVERED; DMA IO-page-faults, never reaches poison (revoke of a whole area: Jason Gunthorpe, iommufd/guest_memfd thread, Feb 2026)", () => {
    const r = runExample("iommufd-1g-ue-revoke");
    expect(mfOf(r)[0]).toMatchObject({ type: "MF_MSG_HUGE", result: "MF_RECOVERED" });
    expect(iommu(r, "revoke").length).toBe(1);
    expect(iommu(r, "dma-to-poison")).toEqual([]);
    expect(iommu(r, "io-page-fault").length, "the healthy rest of the 1G area faults too: the cost").toBe(2);
  });

  it("iommufd-1g-ue-revoke: the revoke costs one IOTLB invalidation of the whole area, and the warm entry is gone (iommu_unmap + iommu_iotlb_sync)", () => {
    const spec = load("iommufd-1g-ue-revoke");
    const r = runScenario(spec);
    const poison = eventsAt(r, pathOf(spec, (s) => s.op === "poison"));
    const order = poison.flatMap((e) => (e.kind === "iommu" ? [e.what] : e.kind === "memory_failure" ? ["memory_failure"] : []));
    expect(order.indexOf("iotlb-invalidate")).toBeLessThan(order.indexOf("memory_failure"));
    expect(order).toContain("revoke");
    expect(step(r, pathOf(spec, (s) => s.op === "map-file" && s.iova === "4G")).outcome, "the poisoned folio is not handed to a device again").toBe("-EHWPOISON");
  });

  it("iommufd-release-while-pinned: the memfd's release 'should' free the folio but 'won't' — dissolve fails with -EBUSY and the folio stays allocated, pending, until iopt_unmap_iova() unpins it (Jason Gunthorpe, 20 Jan 2025; dissolve_free_hugetlb_folio, batch_unpin)", () => {
    const spec = load("iommufd-release-while-pinned");
    const r = runScenario(spec);
    const close = eventsAt(r, pathOf(spec, (s) => s.op === "close"));
    expect(close.filter((e) => e.kind === "dissolve").map((e) => e.kind === "dissolve" && e.ret)).toEqual([-16]);
    expect(iommu(r, "dma-to-poison").length, "DMA reached the page after the memfd was gone").toBe(1);
    const unmap = eventsAt(r, pathOf(spec, (s) => s.op === "ioas-unmap"));
    expect(unmap.some((e) => e.kind === "iommu" && e.what === "unpin")).toBe(true);
    expect(unmap.some((e) => e.kind === "free"), "only the unpin frees the folio").toBe(true);
    expect(r.checkFailures).toEqual([]);
  });

  it("iommufd-release-while-pinned with VFIO's ordering (unmap first): the release finds no pin and dissolves the folio, 511 healthy pages to buddy (vfio_unmap_unpin before filemap_offline_hwpoison_folio)", () => {
    const spec = load("iommufd-release-while-pinned");
    const steps = spec.steps.filter((s) => s.op !== "check" && s.op !== "dma");
    const unmap = steps.find((s) => s.op === "ioas-unmap")!;
    const reordered = [...steps.filter((s) => s !== unmap && s.op !== "munmap" && s.op !== "close"), unmap, ...steps.filter((s) => s.op === "munmap" || s.op === "close")];
    const r = runScenario({ ...spec, steps: reordered });
    expect(r.events.filter((e) => e.event.kind === "dissolve").map((e) => e.event.kind === "dissolve" && e.event.ret)).toEqual([0]);
    expect(r.final).toMatchObject({ leaked: 0, offlined: 1 });
    expect(r.final.hugetlb["2M"]).toEqual({ nr: 3, free: 3 });
  });

  it("iommufd-thp-dma-to-poison: a pinned THP cannot be split → MF_MSG_UNSPLIT_THP / MF_FAILED; memory_failure() returns -EHWPOISON while action_result() logged -EBUSY, and the timeline says both (try_to_split_thp_page)", () => {
    const r = runExample("iommufd-thp-dma-to-poison");
    expect(r.events.some((e) => e.event.kind === "split" && !e.event.ok)).toBe(true);
    const mf = r.events.find((e) => e.kind === "memory_failure")!;
    expect(mf.text).toMatch(/action_result -EBUSY, memory_failure\(\) returns -EHWPOISON/);
    expect(step(r, "steps[8]").ret).toBe(-133);
  });

  it("iommufd-thp-dma-to-poison: IOMMU_IOAS_COPY shares the iopt_pages — pinned once, charged once; both devices reach the poison; a VA-mapped area is not covered by the revoke policy (iopt_get_pages, iopt_pages_update_pinned)", () => {
    const r = runExample("iommufd-thp-dma-to-poison");
    expect(iommu(r, "pin").length, "one pin for two IOASes").toBe(1);
    expect(new Set(iommu(r, "dma-to-poison").map((e) => e.device))).toEqual(new Set(["nic0", "gpu0"]));
    expect(iommu(r, "revoke")).toEqual([]);
    expect(r.checkFailures).toEqual([]);
  });

  it("iommufd-revoke-on-truncate: DMA reaches the kept poisoned page until the VMM truncates; the truncate revokes the area so the release can dissolve the folio (remove_inode_single_folio → filemap_offline_hwpoison_folio → dissolve_free_hugetlb_folio)", () => {
    const spec = load("iommufd-revoke-on-truncate");
    const r = runScenario(spec);
    const trunc = eventsAt(r, pathOf(spec, (s) => s.op === "truncate"));
    const order = trunc.flatMap((e) => (e.kind === "iommu" && e.what === "revoke" ? ["revoke"] : e.kind === "dissolve" ? [`dissolve ${e.ret}`] : []));
    expect(order).toEqual(["revoke", "dissolve 0"]);
    expect(trunc.some((e) => e.kind === "offline" && e.how === "take_page_off_buddy")).toBe(true);
    expect(iommu(r, "dma-to-poison").length).toBe(1);
    expect(iommu(r, "io-page-fault").length).toBe(1);
  });

  it("vfio-type1-accounting: each VFIO_IOMMU_MAP_DMA pins on its own and charges mm->locked_vm, not pinned_vm; over RLIMIT_MEMLOCK → -ENOMEM (vaddr_get_pfns, vfio_lock_acct, vfio_pin_pages_remote)", () => {
    const spec = load("vfio-type1-accounting");
    const r = runScenario(spec);
    expect(iommu(r, "pin").length, "two vfio_dma, two pins of the same pages").toBe(2);
    expect(step(r, pathOf(spec, (s) => s.op === "vfio-map" && s.iova === "2G")).outcome).toBe("-ENOMEM");
    expect(r.checkFailures).toEqual([]);
  });

  it("vfio-type1-accounting: an unmap may not bisect a vfio_dma (-EINVAL); pins go in vfio_unmap_unpin() at unmap and container close (vfio_dma_do_unmap, vfio_remove_dma)", () => {
    const spec = load("vfio-type1-accounting");
    const r = runScenario(spec);
    expect(step(r, pathOf(spec, (s) => s.op === "vfio-unmap" && s.length === "4K")).outcome).toBe("-EINVAL");
    const close = eventsAt(r, pathOf(spec, (s) => s.op === "vfio-close"));
    expect(close.filter((e) => e.kind === "iommu" && e.what === "unpin").length).toBe(1);
    expect(iommu(r, "dma-to-poison").length, "the device kept its mapping of the poisoned anonymous page").toBe(1);
  });
});
