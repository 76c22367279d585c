// Exercise ch0.1: predict the SIGBUS of seeded scenarios; each one is run on the library's
// Machine (src/mfr) and the signal it delivered during memory_failure() is the expected answer.
import { describe, it } from "vitest";
import { Machine, MF_ACTION_REQUIRED, type MfrEvent } from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch0-predict-sigbus";
type Mod = typeof import("../../exercises/ch0-predict-sigbus/.meta/reference.js");
type Scenario = import("../../exercises/ch0-predict-sigbus/.meta/reference.js").SignalScenario;
type Prediction = import("../../exercises/ch0-predict-sigbus/.meta/reference.js").SignalPrediction;
/** The model itself: a prediction must come from the rules, not from running it. */
const FINISHED = ["Machine", "memoryFailure", "killProc", "killProcs", "collectProcs", "runScenario"];
const BACKINGS: Scenario["backing"][] = ["anon-4K", "anon-THP", "anon-THP-pinned", "shmem-4K", "hugetlb-2M-memfd", "hugetlb-1G-memfd", "hugetlb-1G-memfd-keep"];
const POLICIES = ["default", "early", "late"] as const;

/** Runs the scenario on the model; returns the first signal each process got during the error. */
function runOnModel(s: Scenario): Record<"owner" | "sharer", Prediction> {
  const m = new Machine({ memory: "4G", hugetlb: { "1G": 2, "2M": 8 }, earlyKill: s.earlyKillSysctl });
  const owner = m.spawn();
  m.prctlMceKill(owner, s.owner);
  const memfd = s.backing.startsWith("shmem") || s.backing.startsWith("hugetlb");
  const size = s.backing.includes("1G") ? "1G" : "2M";
  let addr: number;
  let sharer = -1;
  if (memfd) {
    const hugetlb = s.backing.startsWith("hugetlb") ? (size as "2M" | "1G") : undefined;
    const fd = m.memfdCreate(owner, { size, hugetlb, keepUeMapped: s.backing.endsWith("-keep") });
    addr = m.mmap(owner, { length: size, fd });
    if (s.sharer !== null) {
      sharer = m.spawn();
      m.prctlMceKill(sharer, s.sharer);
      m.mmap(sharer, { length: size, fd: m.shareFd(owner, fd, sharer) });
    }
  } else {
    addr = m.mmap(owner, { length: "2M", thp: s.backing !== "anon-4K" });
  }
  const bad = addr + 5 * 4096;
  m.write(owner, addr);
  m.write(owner, bad);
  if (s.backing === "anon-THP-pinned") m.pin(owner, addr);
  const from = m.events.length;
  if (s.error === "madvise") m.madviseHwpoison(owner, bad);
  else m.memoryFailure(m.pfnOf(owner, bad) as number, s.error === "consumed" ? MF_ACTION_REQUIRED : 0, { current: owner });
  const sig = (pid: number): Prediction => {
    const e = m.events.slice(from).find((x): x is Extract<MfrEvent, { kind: "signal" }> => x.kind === "signal" && x.pid === pid);
    return e ? { code: e.code, lsb: e.lsb } : { code: null, lsb: null };
  };
  return { owner: sig(owner), sharer: sharer < 0 ? { code: null, lsb: null } : sig(sharer) };
}

function describeScenario(s: Scenario): string {
  const err = { consumed: "consumed by the owner (MCE)", found: "found by a scrubber", madvise: "injected by the owner with MADV_HWPOISON" }[s.error];
  return `${/^[aeiou]/.test(s.backing) ? "an" : "a"} ${s.backing} page, error ${err}, vm.memory_failure_early_kill=${s.earlyKillSysctl ? 1 : 0}, owner prctl ${s.owner}` +
    (s.sharer === null ? "" : `, a sharer (prctl ${s.sharer}) maps the memfd`);
}

const shown = (p: Prediction) => (p.code === null ? "no signal" : `SIGBUS ${p.code} with si_addr_lsb ${p.lsb}`);

function check(m: Mod, s: Scenario, who: "owner" | "sharer", want: Prediction): void {
  const got = call("predictSignal", [s, who], () => m.predictSignal(s, who));
  const g: Prediction = { code: got?.code ?? null, lsb: got?.lsb ?? null };
  if (g.code !== want.code || (want.code !== null && g.lsb !== want.lsb)) {
    fail(`for ${describeScenario(s)}, the ${who} gets ${shown(want)} at once, but your predictSignal says ${shown(g)}`);
  }
}

function randomScenario(rng: import("../../src/index.js").Rng, errors: Scenario["error"][] = ["consumed", "found", "madvise"]): Scenario {
  const backing = pick(rng, BACKINGS);
  const memfd = backing.startsWith("shmem") || backing.startsWith("hugetlb");
  return {
    backing, error: pick(rng, errors), earlyKillSysctl: rng.next() < 0.5, owner: pick(rng, POLICIES),
    sharer: memfd && rng.next() < 0.7 ? pick(rng, POLICIES) : null,
  };
}

describe("ch0.1 predict the SIGBUS", () => {
  it("an error the owner consumed: BUS_MCEERR_AR to the owner, and the lsb of the memory", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    for (const backing of BACKINGS) {
      const s: Scenario = { backing, error: "consumed", earlyKillSysctl: false, owner: "default", sharer: null };
      check(m, s, "owner", runOnModel(s).owner);
    }
  });

  it("an error a scrubber found: early kill (sysctl, overridden by prctl) decides who hears of it", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    for (const earlyKillSysctl of [false, true]) {
      for (const owner of POLICIES) {
        const s: Scenario = { backing: "anon-4K", error: "found", earlyKillSysctl, owner, sharer: null };
        check(m, s, "owner", runOnModel(s).owner);
      }
    }
  });

  it("seeded scenarios: every backing, error kind, policy and a sharing process", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 40, (rng) => {
      const s = randomScenario(rng);
      const want = runOnModel(s);
      check(m, s, "owner", want.owner);
      if (s.sharer !== null) check(m, s, "sharer", want.sharer);
    });
  });
});
