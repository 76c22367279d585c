// Exercise ch2.4: repeated SIGBUS. The seed draws a policy, a HugeTLB size, latent bad pages and a
// sequence of reads; the Machine replays them (each bad frame marked bad in hardware only, so the
// first read consumes it) and the student's prediction must match read by read.
import { describe, it } from "vitest";
import { MF_ACTION_REQUIRED, bootGuestVm, type Rng } from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch2-repeated-sigbus";
const FINISHED = ["Machine", "bootGuestVm", "memoryFailure"];
type Mod = typeof import("../../exercises/ch2-repeated-sigbus/.meta/reference.js");
type TouchCase = Parameters<Mod["predictTouches"]>[0];
type TouchResult = ReturnType<Mod["predictTouches"]>[number];

function draw(rng: Rng): TouchCase {
  const policy = pick(rng, ["default", "keep-ue-mapped"] as const);
  const folio = pick(rng, ["2M", "2M", "1G"] as const);
  const per = folio === "1G" ? 262144 : 512;
  const nFolios = 2 + rng.nextInt(2);
  const bad = new Set<number>();
  const nBad = 1 + rng.nextInt(4);
  // Bad pages cluster in the first folios, so a folio often has more than one.
  while (bad.size < nBad) bad.add(rng.nextInt(Math.min(nFolios, 2)) * per + rng.nextInt(Math.min(per, 64)));
  const badPages = [...bad];
  const touches: number[] = [];
  const n = 10 + rng.nextInt(16);
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    if (r < 0.45) touches.push(pick(rng, badPages));
    else if (r < 0.75) touches.push(Math.floor(pick(rng, badPages) / per) * per + rng.nextInt(per));
    else touches.push(rng.nextInt(nFolios * per));
  }
  return { policy, folio, badPages, touches };
}

/** Replays the case on the Machine. */
function replay(c: TouchCase): TouchResult[] {
  const per = c.folio === "1G" ? 262144 : 512;
  const guestPages = (Math.max(...c.badPages, ...c.touches) / per + 1) | 0;
  const vm = bootGuestVm({ guest: guestPages * per * 4096, folio: c.folio, policy: c.policy });
  const { m, pid, addr } = vm;
  for (const p of c.badPages) m.mem.markBad(m.pfnOf(pid, addr + p * 4096) as number);
  return c.touches.map((t) => {
    const from = m.events.length;
    const r = m.read(pid, addr + t * 4096);
    const mce = m.events.slice(from).some((e) => e.kind === "memory_failure" && (e.flags & MF_ACTION_REQUIRED) !== 0);
    const sig = r.signals.find((s) => s.sig === "SIGBUS");
    return { lsb: sig ? sig.lsb : null, machineCheck: mce };
  });
}

const show = (r: TouchResult): string => (r.lsb === null ? "completes" : `SIGBUS lsb ${r.lsb}`) + (r.machineCheck ? " after a machine check" : "");

describe("ch2.4 repeated SIGBUS", () => {
  it("predictTouches: seeded reads replayed on the Machine, read by read", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 10, (rng) => {
      const c = draw(rng);
      const want = replay(c);
      const got = call("predictTouches", [c], () => m.predictTouches({ ...c, badPages: [...c.badPages], touches: [...c.touches] }));
      if (!Array.isArray(got) || got.length !== want.length) fail(`predictTouches must return one result per read (${want.length}), got ${Array.isArray(got) ? got.length : String(got)}`);
      for (let i = 0; i < want.length; i++) {
        const g = got[i];
        if (!g || g.lsb !== want[i].lsb || g.machineCheck !== want[i].machineCheck) {
          fail(`${c.policy} ${c.folio} memfd, bad pages [${c.badPages.join(", ")}]: read ${i + 1} of page ${c.touches[i]} (after reads [${c.touches.slice(0, i).join(", ")}]) ${show(want[i])}, but you predicted ${g ? show(g) : String(g)}`);
        }
      }
    });
  });

  it("totals: SIGBUSes and machine checks over the replayed reads", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 6, (rng) => {
      const c = draw(rng);
      const res = replay(c);
      const want = { sigbus: res.filter((r) => r.lsb !== null).length, machineChecks: res.filter((r) => r.machineCheck).length };
      const got = call("totals", [res], () => m.totals(res.map((r) => ({ ...r }))));
      if (!got || got.sigbus !== want.sigbus || got.machineChecks !== want.machineChecks) {
        fail(`${c.touches.length} reads on a ${c.policy} memfd raised ${want.sigbus} SIGBUS(es) and ${want.machineChecks} machine check(s), but your totals returned ${JSON.stringify(got)}`);
      }
    });
  });
});
