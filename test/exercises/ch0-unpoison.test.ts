// Exercise ch0.4: unpoison_memory()'s refusals. Seeded page states are built on the library's
// Machine (poisoned by MADV_HWPOISON or by a "hardware" memory_failure(), pinned, truncated,
// released…); the model's unpoison() and the reason it logs are the expected answer.
import { describe, it } from "vitest";
import { Machine, PG_hugetlb, PG_hugetlb_raw_hwp_unreliable, PG_hwpoison, type MfrEvent, type Rng } from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch0-unpoison";
type Mod = typeof import("../../exercises/ch0-unpoison/.meta/reference.js");
type View = import("../../exercises/ch0-unpoison/.meta/reference.js").UnpoisonView;
type Reason = import("../../exercises/ch0-unpoison/.meta/reference.js").UnpoisonReason;
const FINISHED = ["unpoisonMemory", "Machine"];

/** The reason the model logged ("unpoison N: …"), in the exercise's words. */
const REASONS: [RegExp, Reason][] = [
  [/disabled after HW memory failure/, "hw-memory-failure"],
  [/already unpoisoned/, "not-poisoned"],
  [/someone grabs/, "referenced"],
  [/reserved page/, "reserved"],
  [/someone maps/, "mapped"],
  [/non-NULL mapping/, "has-mapping"],
  [/raw error list unreliable/, "raw-list-unreliable"],
  [/software-unpoisoned/, "ok"],
];

type Kind = "anonymous page" | "shmem page" | "2M HugeTLB memfd page" | "2M HugeTLB page, raw list allocation fails" | "free page" | "kernel page" | "pfn past the end of memory";
const KINDS: Kind[] = ["anonymous page", "anonymous page", "shmem page", "2M HugeTLB memfd page", "2M HugeTLB page, raw list allocation fails", "free page", "kernel page", "pfn past the end of memory"];

interface Case { kind: Kind; poison: "MADV_HWPOISON" | "a hardware error" | "nothing"; pin: boolean; truncate: boolean; exit: boolean; hwElsewhere: boolean }

function randomCase(rng: Rng): Case {
  const kind = pick(rng, KINDS);
  const user = !["free page", "kernel page", "pfn past the end of memory"].includes(kind);
  const r = rng.next();
  return {
    kind, poison: user ? (r < 0.6 ? "MADV_HWPOISON" : r < 0.8 ? "a hardware error" : "nothing") : r < 0.5 ? "a hardware error" : "nothing",
    pin: user && rng.next() < 0.25, truncate: kind !== "anonymous page" && user && rng.next() < 0.5, exit: rng.next() < 0.6, hwElsewhere: rng.next() < 0.1,
  };
}

function describeCase(c: Case): string {
  const steps = [`poisoned by ${c.poison}`];
  if (c.pin) steps.unshift("pinned");
  if (c.hwElsewhere) steps.push("a hardware error on another page");
  if (c.truncate) steps.push("the memfd truncated to 0");
  if (c.exit) steps.push("the process exited");
  return `a ${c.kind} (${steps.join(", ")})`;
}

/** Builds the case on the model; returns the view unpoison_memory() has, and what the model's unpoison said. */
function runOnModel(c: Case): { view: View; ret: number; reason: Reason } {
  const m = new Machine({ memory: "64M", hugetlb: { "2M": 4 }, rawHwpAllocFails: c.kind.includes("raw list") });
  const pid = m.spawn();
  let pfn: number;
  let addr = -1;
  let fd = -1;
  if (c.kind === "anonymous page") {
    addr = m.mmap(pid, { length: "1M" });
  } else if (c.kind.includes("memfd") || c.kind.includes("HugeTLB") || c.kind === "shmem page") {
    fd = m.memfdCreate(pid, { size: "2M", hugetlb: c.kind.includes("HugeTLB") ? "2M" : undefined });
    addr = m.mmap(pid, { length: "2M", fd });
  }
  if (addr >= 0) {
    m.write(pid, addr);
    pfn = m.pfnOf(pid, addr) as number; // the head page for HugeTLB, as unpoison_memory() wants
    if (c.pin) m.pin(pid, addr);
    if (c.poison === "MADV_HWPOISON") m.madviseHwpoison(pid, addr);
  } else {
    pfn = c.kind === "free page" ? m.mem.nrFrames - 100 : c.kind === "kernel page" ? 7 : m.mem.nrFrames + 5;
  }
  if (c.poison === "a hardware error") m.memoryFailure(pfn, 0);
  if (c.hwElsewhere) m.memoryFailure(m.mem.nrFrames - 300, 0);
  if (c.truncate && fd >= 0) m.truncate(pid, fd, 0);
  if (c.exit) m.exit(pid);

  const valid = Number.isInteger(pfn) && pfn >= 0 && pfn < m.mem.nrFrames;
  const f = valid ? m.mem.pageFolio(pfn) : undefined;
  const huge = !!f && (f.flags & PG_hugetlb) !== 0;
  const view: View = {
    pfnValid: valid,
    hwMemoryFailure: m.hwMemoryFailure,
    hwpoison: huge ? f!.pfn === pfn && (f!.flags & PG_hwpoison) !== 0 : m.mem.hwpoison.has(pfn),
    refcount: f ? f.ref : 0,
    reserved: valid && m.mem.isReserved(pfn),
    mapped: !!f && f.mapcount > 0,
    hasMapping: !!f && f.mapping !== null,
    hugetlbRawListUnreliable: huge && ((f!.flags & PG_hugetlb_raw_hwp_unreliable) !== 0 || !f!.rawHwp || f!.rawHwp.size === 0),
  };
  const from = m.events.length;
  const ret = m.unpoison(pfn);
  const text = m.events.slice(from).filter((e): e is Extract<MfrEvent, { kind: "policy" }> => e.kind === "policy").map((e) => e.what).join("; ");
  const found = REASONS.find(([re]) => re.test(text));
  const reason: Reason | undefined = found ? found[1] : !valid ? "invalid-pfn" : undefined;
  if (!reason) throw new Error(`test set-up: the model's unpoison of ${describeCase(c)} returned ${ret} with no known reason ("${text}")`);
  return { view, ret, reason };
}

function check(m: Mod, c: Case): void {
  const want = runOnModel(c);
  const got = call("unpoisonVerdict", [want.view], () => m.unpoisonVerdict({ ...want.view }));
  if (!got || got.ret !== want.ret || got.reason !== want.reason) {
    fail(`unpoison_memory() of ${describeCase(c)} returns ${want.ret} (${want.reason}); the page looked like ${JSON.stringify(want.view)}, but your unpoisonVerdict returned ${JSON.stringify(got)}`);
  }
}

describe("ch0.4 unpoison_memory()", () => {
  it("an injected error on a released page is unpoisoned; a hardware error anywhere forbids it", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    const base: Case = { kind: "anonymous page", poison: "MADV_HWPOISON", pin: false, truncate: false, exit: true, hwElsewhere: false };
    check(m, base);
    check(m, { ...base, poison: "a hardware error" });
    check(m, { ...base, hwElsewhere: true });
    check(m, { ...base, poison: "nothing" });
    check(m, { ...base, kind: "pfn past the end of memory", poison: "nothing" });
  });

  it("still referenced or with an unreliable raw error list: refused", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    check(m, { kind: "shmem page", poison: "MADV_HWPOISON", pin: false, truncate: false, exit: false, hwElsewhere: false });
    check(m, { kind: "2M HugeTLB memfd page", poison: "MADV_HWPOISON", pin: false, truncate: false, exit: false, hwElsewhere: false });
    check(m, { kind: "2M HugeTLB page, raw list allocation fails", poison: "MADV_HWPOISON", pin: false, truncate: true, exit: true, hwElsewhere: false });
  });

  it("seeded page states: the first check that refuses gives the answer", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 40, (rng) => check(m, randomCase(rng)));
  });
});
