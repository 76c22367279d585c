// Exercise ch4.3: predict what the VMM sees. Each seeded VM (folio size, policy, hwpoison scope,
// memslot base, poisoned GFNs) is built with the library's GuestMemfdVm (src/guest_memfd/vm.ts),
// poisoned, and given one access: a private GFN (vcpuAccess) or a shared HVA (sharedAccess).
import { describe, it } from "vitest";
import { GMEM_POLICIES, GuestMemfdVm, basePagesPer, type PageSize, type Rng } from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch4-predict-exit";
type Mod = typeof import("../../exercises/ch4-predict-exit/.meta/reference.js");
type Scenario = import("../../exercises/ch4-predict-exit/.meta/reference.js").ExitScenario;
type Seen = import("../../exercises/ch4-predict-exit/.meta/reference.js").Seen;
const FINISHED = ["GuestMemfdVm", "kvmGmemErrorFolio", "gmemPolicyOutcome"];
const hex = (n: number) => "0x" + n.toString(16);
/** The example VM: 4G of private memory. */
const MEMORY_PAGES = 4 * 262_144;

function runOnModel(s: Scenario): Seen {
  const vm = new GuestMemfdVm({ memory: MEMORY_PAGES * 4096, folioSize: s.folioSize, baseGfn: s.baseGfn, policy: s.policy, hwpoisonScope: s.hwpoisonScope, sharedHva: s.sharedHva });
  for (const g of s.poisoned) vm.poison(g);
  if (!s.access.private) {
    const r = vm.sharedAccess(s.access.hva);
    return { kind: "SIGBUS", code: r.code, addr: r.addr, lsb: r.lsb };
  }
  const r = vm.vcpuAccess(s.access.gfn);
  if (r.result === "ok") return { kind: "none" };
  if (r.result === "poison-consumed") return { kind: "poison-consumed" };
  const f = r.memoryFault!;
  return { kind: "KVM_EXIT_MEMORY_FAULT", exitReason: r.exitReason!, gpa: f.gpa, size: f.size, flags: f.flags, errno: "EHWPOISON" };
}

function show(x: unknown): string {
  if (!x || typeof x !== "object") return String(x);
  const o = x as Record<string, unknown>;
  const num = (k: string) => (typeof o[k] === "number" ? hex(o[k] as number) : String(o[k]));
  if (o.kind === "KVM_EXIT_MEMORY_FAULT") return `KVM_EXIT_MEMORY_FAULT (exit_reason ${String(o.exitReason)}, gpa ${num("gpa")}, size ${String(o.size)}, flags ${num("flags")}, errno ${String(o.errno)})`;
  if (o.kind === "SIGBUS") return `SIGBUS ${String(o.code)} at ${num("addr")}, si_addr_lsb ${String(o.lsb)}`;
  if (o.kind === "none") return "nothing (the access completes)";
  if (o.kind === "poison-consumed") return "the poison consumed again";
  return JSON.stringify(x);
}

function describeScenario(s: Scenario): string {
  const what = s.access.private ? `the vCPU touches private GFN ${hex(s.access.gfn)}` : `the vCPU touches shared memory at HVA ${hex(s.access.hva)}`;
  return `${s.folioSize} folios, memslot at GFN ${hex(s.baseGfn)}, policy ${s.policy}, hwpoisonScope "${s.hwpoisonScope}", poisoned GFNs ${s.poisoned.map(hex).join(", ")}; ${what}`;
}

function check(m: Mod, s: Scenario): void {
  const want = runOnModel(s);
  const got = call("predictExit", [describeScenario(s)], () => m.predictExit(structuredClone(s)));
  if (show(got) !== show(want)) fail(`${describeScenario(s)}: the VMM sees ${show(want)}, but your predictExit says ${show(got)}`);
}

function scenario(rng: Rng): Scenario {
  const folioSize = pick(rng, ["4K", "2M", "1G"] as PageSize[]);
  const nr = basePagesPer(folioSize);
  const baseGfn = rng.nextInt(64) * 262_144;
  const sharedHva = (0x7f00_0000_0000 / 4096 + rng.nextInt(1 << 20) * 512) * 4096;
  const poisoned: number[] = [];
  const n = 1 + rng.nextInt(3);
  while (poisoned.length < n) {
    const g = baseGfn + rng.nextInt(MEMORY_PAGES);
    if (!poisoned.includes(g)) poisoned.push(g);
  }
  const p = pick(rng, poisoned);
  const where = rng.next();
  let access: Scenario["access"];
  if (where < 0.15) {
    access = { private: false, hva: sharedHva + (p - baseGfn) * 4096 + rng.nextInt(4096) };
  } else if (where < 0.45) {
    access = { private: true, gfn: p };
  } else if (where < 0.8) {
    // A healthy GFN in the same folio (for 4K folios, the next page).
    const first = baseGfn + Math.floor((p - baseGfn) / nr) * nr;
    let g = nr > 1 ? first + rng.nextInt(nr) : p + 1;
    if (g === p) g = first + ((p - first + 1) % Math.max(nr, 2));
    access = { private: true, gfn: Math.min(g, baseGfn + MEMORY_PAGES - 1) };
  } else {
    access = { private: true, gfn: baseGfn + rng.nextInt(MEMORY_PAGES) };
  }
  return { baseGfn, folioSize, policy: pick(rng, GMEM_POLICIES), hwpoisonScope: rng.next() < 0.6 ? "folio" : "page", poisoned, sharedHva, access };
}

describe("ch4.3 predict the exit", () => {
  it("the chapter's example: 1G folios, an error at GFN 0x40005, the vCPU comes back", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    const base: Scenario = { baseGfn: 0, folioSize: "1G", policy: "zap-folio", hwpoisonScope: "folio", poisoned: [0x40005], sharedHva: 0x7f00_0000_0000, access: { private: true, gfn: 0x40005 } };
    check(m, base);
    check(m, { ...base, access: { private: true, gfn: 0x40007 } });
    check(m, { ...base, access: { private: true, gfn: 0x10 } });
    check(m, { ...base, hwpoisonScope: "page", access: { private: true, gfn: 0x40007 } });
    check(m, { ...base, policy: "keep-mapped" });
    check(m, { ...base, policy: "split-then-zap" });
    check(m, { ...base, access: { private: false, hva: 0x7f00_0000_0000 + 0x40005 * 4096 + 0x123 } });
  });

  it("seeded VMs and accesses: the exit or signal, with every field, matches the model", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 80, (rng) => check(m, scenario(rng)));
  });
});
