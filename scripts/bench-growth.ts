// Figures for `npm run bench` about how work scales (issue 11), each measured in the run:
// - invariant checks after every step: µs per poison step against steps × machine size, with
//   the incremental checks and with a whole-machine walk after every step (the old way);
// - gmem: CPU seconds against --errors (it grew faster than linearly);
// - grading: every reference solution, one exercise at a time vs as many as there are cores;
// - the CLI's work limits: each model at its budget (src/cli/limits.ts) takes a few seconds.
import { performance } from "node:perf_hooks";
import { gmemOutcomeRows } from "../src/guest_memfd/index.js";
import { heldBackOverVmLife } from "../src/iommufd/vm-life.js";
import { iotlbCliff } from "../src/iommu/iotlb.js";
import { Machine } from "../src/mfr/index.js";
import { fullCheckEveryStep } from "../src/mfr/invariants.js";
import { memoryLostByPolicy } from "../src/mfr/policy/memory-lost.js";
import { Rng } from "../src/core/rng.js";
import { simulateTlb } from "../src/tlb/simulate.js";
import { WORK_BUDGETS } from "../src/cli/limits.js";
import { grade } from "../src/grader/run.js";

/** CPU seconds (this process) and wall seconds of `fn`. */
function timed<T>(fn: () => T): { cpu: number; wall: number; value: T } {
  const c = process.cpuUsage();
  const t = performance.now();
  const value = fn();
  const u = process.cpuUsage(c);
  return { cpu: (u.user + u.system) / 1e6, wall: (performance.now() - t) / 1000, value };
}

/**
 * An error storm on a HugeTLB memfd that MFD_MF_KEEP_UE_MAPPED keeps mapped (the bench's
 * scenario workload), driven on the Machine directly so the checking mode can be chosen.
 */
function storm(memory: string, steps: number, full: boolean): { cpu: number; violations: number } {
  const gib = Number(memory.replace("G", ""));
  const pool = Math.floor(gib * 0.75);
  const m = new Machine({ memory, hugetlb: { "1G": pool }, recordEvents: false });
  if (full) fullCheckEveryStep(m);
  const pid = m.spawn();
  const size = `${Math.min(pool, 64)}G`;
  const fd = m.memfdCreate(pid, { size, hugetlb: "1G", keepUeMapped: true });
  const addr = m.mmap(pid, { length: size, fd });
  m.populate(pid, addr, size);
  const rng = new Rng(640);
  const pages = (Math.min(pool, 64) * 2 ** 30) / 4096;
  const t = timed(() => {
    for (let i = 0; i < steps; i++) {
      const pfn = m.pfnOf(pid, addr + rng.nextInt(pages) * 4096);
      if (pfn !== null) m.memoryFailure(pfn, 0);
    }
  });
  return { cpu: t.cpu, violations: m.violations.length };
}

export interface GrowthRow {
  machine: string;
  steps: number;
  usPerStepIncremental: number;
  usPerStepFull: number | null;
}

/** µs per poison step, incremental vs whole-machine checks, over steps × machine size. */
export function invariantGrowth(quick: boolean, log: (s: string) => void): { rows: GrowthRow[]; violations: number } {
  const sizes = quick ? ["16G", "64G"] : ["64G", "640G"];
  const stepsList = quick ? [100, 400] : [1000, 4000];
  const rows: GrowthRow[] = [];
  let violations = 0;
  for (const machine of sizes) {
    for (const steps of stepsList) {
      const inc = storm(machine, steps, false);
      // The whole-machine walk grows with the bad frames: its longest case is kept short.
      const full = steps <= stepsList[0] || !quick ? storm(machine, steps, true) : null;
      violations += inc.violations + (full?.violations ?? 0);
      rows.push({ machine, steps, usPerStepIncremental: (inc.cpu / steps) * 1e6, usPerStepFull: full ? (full.cpu / steps) * 1e6 : null });
      log(`invariants ${machine.padStart(5)} machine, ${String(steps).padStart(5)} poison steps: ${((inc.cpu / steps) * 1e6).toFixed(0).padStart(6)} µs/step incremental${full ? `, ${((full.cpu / steps) * 1e6).toFixed(0).padStart(7)} µs/step walking the whole machine` : ""}`);
    }
  }
  return { rows, violations };
}

/** gmem's CPU time against --errors (default 16G / 1G folios, 15 policy × design runs). */
export function gmemGrowth(quick: boolean, log: (s: string) => void): { errors: number; cpuSeconds: number; usPerError: number }[] {
  const list = quick ? [250, 500, 1000] : [2500, 5000, 10000, 20000];
  return list.map((errors) => {
    const t = timed(() => gmemOutcomeRows({ memory: "16G", folioSize: "1G", errors, accesses: 10_000, dmas: 10_000, retouch: 0, hwpoisonScope: "folio", seed: 1 }));
    log(`gmem --errors ${String(errors).padStart(6)}: ${t.cpu.toFixed(2)} s CPU, ${((t.cpu / errors) * 1e6).toFixed(0)} µs per error (15 runs)`);
    return { errors, cpuSeconds: t.cpu, usPerError: (t.cpu / errors) * 1e6 };
  });
}

/** Each model command's library call with flags at its work budget: seconds of CPU. */
export function cliLimits(quick: boolean, log: (s: string) => void): Record<string, { cpuSeconds: number; wallSeconds: number }> {
  const k = quick ? 0.02 : 1;
  const B = WORK_BUDGETS;
  const cases: [string, () => unknown][] = [
    ["tlb (20M accesses)", () => simulateTlb({ entries: 64, ways: 64, pageSize: "4K", workingSetBytes: 2 ** 30, pattern: "uniform", accesses: Math.round(B.tlbAccesses * k), seed: 1 })],
    ["iotlb (2 page sizes × 10M accesses)", () => iotlbCliff({ entries: 64, workingSets: [2 ** 30], pageSizes: ["4K", "2M"], accesses: Math.min(1 << 24, Math.round((B.iotlbAccesses / 2) * k)), seed: 1 })],
    ["memory-lost (2 policies × 73,728 2M folios)", () => memoryLostByPolicy({ errors: 8, guest: `${Math.max(2, Math.round(144 * k))}G`, folio: "2M", seed: 1 })],
    ["memory-lost (2 policies × 4,000 errors)", () => memoryLostByPolicy({ errors: Math.round((B.memoryLostErrors / 2) * k), guest: "64G", folio: "1G", seed: 1 })],
    ["pin-life (3 policies × 1,000 days × 666 DMAs)", () => { for (const policy of ["none", "ebusy", "revoke"] as const) heldBackOverVmLife({ policy, days: Math.max(2, Math.round(1000 * k)), dmaPerDay: 650, errors: 16, guest: "8G", pageSize: "1G", seed: 1 }); }],
    ["gmem (15 runs × 2.7M accesses and DMAs)", () => gmemOutcomeRows({ memory: "16G", folioSize: "1G", errors: 4, accesses: Math.round((B.gmemAccesses / 30) * k), dmas: Math.round((B.gmemAccesses / 30) * k), retouch: 0, hwpoisonScope: "folio", seed: 1 })],
  ];
  const out: Record<string, { cpuSeconds: number; wallSeconds: number }> = {};
  for (const [name, fn] of cases) {
    const t = timed(fn);
    out[name] = { cpuSeconds: t.cpu, wallSeconds: t.wall };
    log(`cli limit  ${name.padEnd(46)} ${t.cpu.toFixed(2)} s CPU, ${t.wall.toFixed(2)} s wall`);
  }
  return out;
}

/** Every reference solution graded one exercise at a time, then as many at once as there are cores. */
export async function gradingSpeed(quick: boolean, log: (s: string) => void): Promise<{ exercises: number; serialSeconds: number; parallelSeconds: number; workers: number; speedup: number; allPassed: boolean }> {
  const only = quick ? ["ch0-page-state", "ch1-nested-walk", "ch3-folio-fate"] : undefined;
  // Interleaved, best of two each (one each with --quick): a busy moment hurts both alike.
  let serial: Awaited<ReturnType<typeof grade>> | undefined;
  let parallel: Awaited<ReturnType<typeof grade>> | undefined;
  let allPassed = true;
  for (let i = 0; i < (quick ? 1 : 2); i++) {
    const s = await grade({ target: "reference", workers: 1, only });
    const p = await grade({ target: "reference", only });
    allPassed &&= s.passed === s.total && p.passed === p.total;
    if (!serial || s.wallMs < serial.wallMs) serial = s;
    if (!parallel || p.wallMs < parallel.wallMs) parallel = p;
  }
  const r = {
    exercises: parallel!.total,
    serialSeconds: serial!.wallMs / 1000,
    parallelSeconds: parallel!.wallMs / 1000,
    workers: parallel!.workers,
    speedup: serial!.wallMs / parallel!.wallMs,
    allPassed,
  };
  log(`grading  ${r.exercises} references: ${r.serialSeconds.toFixed(1)} s one at a time, ${r.parallelSeconds.toFixed(1)} s ${r.workers} at a time: speed-up ${r.speedup.toFixed(2)}× (all passed: ${r.allPassed})`);
  return r;
}
