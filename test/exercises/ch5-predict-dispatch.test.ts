// Exercise ch5.3: predict memory_failure_pfn()'s dispatch. Each seeded machine (an nvgrace-gpu
// device, its registration, processes mapping slices of usemem and resmem, a poisoned physical
// address) is built with the library's NvgraceGpuDevice and run through memoryFailurePfn()
// (src/vfio/); its return value and signals are the expected answer.
import { describe, it } from "vitest";
import {
  EBUSY, NvgraceGpuDevice, PfnSpaceTree, RESMEM_REGION_INDEX, USEMEM_REGION_INDEX, formatSize, memoryFailurePfn, type PfnVma, type Rng,
} from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch5-predict-dispatch";
type Mod = typeof import("../../exercises/ch5-predict-dispatch/.meta/reference.js");
type Scenario = import("../../exercises/ch5-predict-dispatch/.meta/reference.js").DispatchScenario;
type Signal = import("../../exercises/ch5-predict-dispatch/.meta/reference.js").Signal;
/** The model itself: a prediction must come from the rules, not from running it. */
const FINISHED = ["memoryFailurePfn", "NvgraceGpuDevice", "PfnSpaceTree", "dispatchRows"];
const G = 2 ** 30;
const M2 = 2 ** 21;
const hex = (n: number) => "0x" + n.toString(16);
const size = (n: number) => (n === 0 ? "0" : formatSize(n));

/** Runs the scenario on the model. */
function runOnModel(s: Scenario): { ret: number; signals: Signal[] } {
  const tree = new PfnSpaceTree();
  const gpu = new NvgraceGpuDevice("gpu0", {
    usemem: { index: USEMEM_REGION_INDEX, ...s.usemem },
    ...(s.resmem ? { resmem: { index: RESMEM_REGION_INDEX, ...s.resmem } } : {}),
  });
  if (s.open && gpu.open(tree) !== 0) throw new Error("the model refused to open the device");
  const vmas: PfnVma[] = s.mappings.map((m) => gpu.mmap(m.pid, m.region === "usemem" ? USEMEM_REGION_INDEX : RESMEM_REGION_INDEX, m.offset, m.length, m.addr));
  const pids: number[] = [];
  for (const m of s.mappings) if (!pids.includes(m.pid)) pids.push(m.pid);
  const r = memoryFailurePfn(
    { tree, vmas, pids, ramFrames: s.ramBytes / 4096, pgoffFromPfn: s.pgoffFromPfn, earlyKill: s.earlyKill },
    Math.floor(s.phys / 4096),
    s.current === null ? {} : { current: s.current },
  );
  return {
    ret: r.ret,
    signals: [...r.kills.map((k): Signal => ({ pid: k.pid, kind: k.code, addr: k.addr })), ...r.sigkills.map((pid): Signal => ({ pid, kind: "SIGKILL", addr: null }))],
  };
}

function scenario(rng: Rng): Scenario {
  // usemem either just above PFN 4 << 28 (where the pre-fix bug finds VMAs) or far from it.
  const base = rng.next() < 0.7 ? 4 * 2 ** 40 + rng.nextInt(9) * G : (32 + rng.nextInt(32)) * 2 ** 40;
  const usemem = { memphys: base, memlength: (1 + rng.nextInt(16)) * G };
  const resmem = rng.next() < 0.7 ? { memphys: base + usemem.memlength + (1 + rng.nextInt(4)) * G, memlength: (1 + rng.nextInt(2)) * G } : null;
  const pids = [100, 200, 300, 400].slice(0, 2 + rng.nextInt(3));
  const mappings: Scenario["mappings"] = [];
  for (const pid of pids) {
    const n = 1 + (rng.next() < 0.3 ? 1 : 0);
    for (let i = 0; i < n; i++) {
      const region = resmem && rng.next() < 0.25 ? "resmem" : "usemem";
      const len = (region === "usemem" ? usemem : resmem!).memlength / M2;
      const from = rng.nextInt(len);
      const chunks = 1 + rng.nextInt(len - from);
      mappings.push({ pid, region, offset: from * M2, length: chunks * M2, addr: (1 + mappings.length) * 2 ** 40 });
    }
  }
  const earlyKill = pids.filter(() => rng.next() < 0.5);
  const roll = rng.next();
  const current = roll < 0.6 ? pick(rng, pids) : null;
  let phys: number;
  const where = rng.next();
  if (where < 0.7) {
    const m = pick(rng, mappings);
    const r = m.region === "usemem" ? usemem : resmem!;
    phys = r.memphys + m.offset + rng.nextInt(m.length / 4096) * 4096 + rng.nextInt(4096);
  } else if (where < 0.85) {
    phys = usemem.memphys + rng.nextInt(usemem.memlength / 4096) * 4096 + rng.nextInt(4096);
  } else {
    phys = usemem.memphys + usemem.memlength + rng.nextInt(G); // just past usemem: resmem or a gap
  }
  return { ramBytes: 64 * G, usemem, resmem, open: rng.next() < 0.9, mappings, earlyKill, phys, current, pgoffFromPfn: rng.next() < 0.3 };
}

function describeScenario(s: Scenario): string {
  const maps = s.mappings.map((m) => `pid ${m.pid} maps ${m.region} [${size(m.offset)}, +${size(m.length)}) at ${hex(m.addr)}`).join("; ");
  return `usemem ${formatSize(s.usemem.memlength)} at ${hex(s.usemem.memphys)}${s.resmem ? `, resmem ${formatSize(s.resmem.memlength)} at ${hex(s.resmem.memphys)}` : ", no resmem"}, device ${s.open ? "open" : "closed"}; ${maps}; ` +
    `early kill: ${s.earlyKill.length ? s.earlyKill.map((p) => `pid ${p}`).join(", ") : "nobody"}; poison at ${hex(s.phys)} (PFN ${hex(Math.floor(s.phys / 4096))}), ` +
    `${s.current === null ? "found by firmware (no current task)" : `consumed by pid ${s.current}`}${s.pgoffFromPfn ? ", kernel before the pgoff fix" : ""}`;
}

const showSig = (x: Signal) => `pid ${x.pid} ${x.kind}${x.addr === null || x.addr === undefined ? "" : ` at ${hex(x.addr)}`}`;
function norm(list: unknown): string {
  if (!Array.isArray(list)) return `not a list (${String(list)})`;
  const xs = (list as Signal[]).map(showSig).sort();
  return xs.length ? xs.join("; ") : "no signal";
}
const showRet = (r: unknown) => (r === -EBUSY ? "-EBUSY" : String(r));

function check(m: Mod, s: Scenario): void {
  const want = runOnModel(s);
  const got = call("predictDispatch", [s], () => m.predictDispatch(structuredClone(s)));
  if (!got || typeof got !== "object") fail(`predictDispatch must return { ret, signals }, got ${String(got)}`);
  if (got.ret !== want.ret) fail(`for ${describeScenario(s)}: memory_failure() returns ${showRet(want.ret)}, but your predictDispatch says ${showRet(got.ret)}`);
  if (norm(got.signals) !== norm(want.signals)) fail(`for ${describeScenario(s)}: the signals are ${norm(want.signals)}, but your predictDispatch says ${norm(got.signals)}`);
}

describe("ch5.3 predict the dispatch", () => {
  it("the chapter's example: the VMM consumed the error, an early-kill helper maps the upper half", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    const base: Scenario = {
      ramBytes: 64 * G, usemem: { memphys: 4 * 2 ** 40 + 2 * G, memlength: 16 * G }, resmem: { memphys: 4 * 2 ** 40 + 32 * G, memlength: G }, open: true,
      mappings: [
        { pid: 100, region: "usemem", offset: 0, length: 16 * G, addr: 0x7f00_0000_0000 },
        { pid: 200, region: "usemem", offset: 8 * G, length: 8 * G, addr: 0x7e00_0000_0000 },
        { pid: 300, region: "resmem", offset: 0, length: G, addr: 0x7d00_0000_0000 },
      ],
      earlyKill: [200, 300], phys: 4 * 2 ** 40 + 2 * G + 10 * G + 5 * 4096, current: 100, pgoffFromPfn: false,
    };
    check(m, base);
    check(m, { ...base, current: null });
    check(m, { ...base, pgoffFromPfn: true });
    check(m, { ...base, open: false });
  });

  it("seeded machines: return value and every signal match the model", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 60, (rng) => check(m, scenario(rng)));
  });
});
