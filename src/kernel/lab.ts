// The kernel lab: scenarios compiled for the agent, run in as few VM boots as possible (a panic
// ends a boot; the rest go on in the next), each scenario's report replayed in the model's terms.
// Node only.
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bootHugepages1G, compileScenario, programText, worthRunning, type CompiledScenario } from "../fidelity/program.js";
import { replayScenario, type AgentLine, type KernelScenarioRun } from "../fidelity/replay.js";
import type { ScenarioResult, ScenarioSpec } from "../scenario/types.js";
import { buildAgent } from "./agent.js";
import { KernelLabError } from "./errors.js";
import { buildInitramfs, guestModules } from "./initramfs.js";
import type { KernelImage } from "./kernels.js";
import { hostTools } from "./tools.js";
import { runVm, type VmRun } from "./vm.js";

export interface LabScenario {
  spec: ScenarioSpec;
  /** The model's run of the same scenario (at the kernel's model version). */
  model: ScenarioResult;
  /** Unique in the batch, no white space. */
  id: string;
}

export interface LabOptions {
  /** Kill a guest whose report is silent this long. Default 240 s (zeroing a 1G page under TCG on a busy machine takes tens of seconds). */
  hangMs?: number;
  /** Cap on one boot. Default 20 min. */
  totalMs?: number;
  /** Per worker command inside the guest. Default 200 s. */
  commandMs?: number;
  accel?: "tcg" | "kvm";
  /** Progress: a scenario started or finished in the guest. */
  onProgress?: (what: string) => void;
}

export interface BootRecord {
  ms: number;
  bootMs?: number;
  scenarios: string[];
  /** How the boot ended when it did not end normally. */
  ended?: string;
}

export interface LabRun {
  kernel: KernelImage;
  /** What the agent found at boot: the kernel release, whether hwpoison-inject and the node counters work. */
  hello?: Extract<AgentLine, { t: "hello" }>;
  modules: { name: string; ret: number }[];
  runs: KernelScenarioRun[];
  /** Scenarios not run on the kernel, and why (nothing a kernel can do, or nothing to compare). */
  skipped: { id: string; name: string; reason: string }[];
  boots: BootRecord[];
  accel: "tcg" | "kvm";
}

/**
 * Memory for a boot: the 1G pool above 4G (QEMU's pc machine keeps about 3G below the 4G hole,
 * where the kernel and the initramfs leave no free aligned gigabyte) plus 3G for the rest.
 */
function memoryFor(hugepages1G: number): number {
  return 3072 + 1024 * hugepages1G;
}

/** Runs scenarios on one kernel. Throws a KernelLabError when the kernel does not boot at all. */
export async function runOnKernel(kernel: KernelImage, scenarios: LabScenario[], o: LabOptions = {}): Promise<LabRun> {
  const { qemu, busybox } = hostTools();
  const agent = buildAgent();
  const compiled = scenarios.map((s) => ({ s, c: compileScenario(s.spec, s.model, s.id) }));
  const out: LabRun = { kernel, modules: [], runs: [], skipped: [], boots: [], accel: o.accel ?? "tcg" };
  const todo: { s: LabScenario; c: CompiledScenario }[] = [];
  for (const x of compiled) {
    if (worthRunning(x.c)) todo.push(x);
    else out.skipped.push({ id: x.c.id, name: x.c.name, reason: x.c.stopped ? `model only from ${x.c.stopped.path}: ${x.c.stopped.reason}` : "no step whose outcome a kernel shows" });
  }
  // Scenarios that use 1G pages first (the boot reserved their pages); those that turn recovery
  // off last (they panic the kernel).
  const rank = (x: { s: LabScenario; c: CompiledScenario }) => (x.s.spec.machine.memoryFailureRecovery === false ? 2 : x.c.hugetlb["1G"] > 0 ? 0 : 1);
  todo.sort((a, b) => rank(a) - rank(b));
  const dir = mkdtempSync(join(tmpdir(), "mfr-lab-vm-"));
  try {
    while (todo.length > 0) {
      const batch = todo.splice(0);
      const hugepages1G = bootHugepages1G(batch.map((x) => x.c));
      const disk = batch.some((x) => x.c.disk) ? join(dir, "disk.img") : undefined;
      if (disk) {
        // A sparse 64M raw disk: blocks are allocated only where the guest writes.
        writeFileSync(disk, Buffer.alloc(0));
        truncateSync(disk, 64 << 20);
      }
      // MFR_LAB_GUEST_PRELUDE: agent lines run before anything else (the lab's own tests use it to
      // make a guest hang, e.g. "SH sleep 600").
      const prelude = process.env.MFR_LAB_GUEST_PRELUDE ? `${process.env.MFR_LAB_GUEST_PRELUDE}\n` : "";
      const program = prelude + programText(batch.map((x) => x.c), {
        modules: guestModules(kernel).map((m) => ({ path: m.guest })), commandTimeoutMs: o.commandMs ?? 200_000, disk: !!disk,
      });
      const initrd = buildInitramfs({ dir, busybox, agent, kernel, program });
      // MFR_LAB_DEBUG_DIR keeps each boot's program, report and console for a look.
      const debug = process.env.MFR_LAB_DEBUG_DIR;
      const vm = await runVm({
        qemu, kernel, initrd, dir, disk, memoryMb: memoryFor(hugepages1G), hugepages1G,
        hangMs: o.hangMs ?? 240_000, totalMs: o.totalMs ?? 1_200_000, accel: o.accel ?? "tcg",
        onLine: (l) => {
          if (l.t === "scen") o.onProgress?.(`${kernel.id}: ${l.id}`);
        },
      });
      if (debug) {
        const stem = join(debug, `${kernel.id}-boot${out.boots.length}`);
        writeFileSync(`${stem}.prog.txt`, program);
        writeFileSync(`${stem}.report.jsonl`, vm.lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
        writeFileSync(`${stem}.console.txt`, vm.consoleTail.join("\n") + "\n");
      }
      if (vm.killed === "interrupted") throw new KernelLabError("interrupted: the VM was stopped");
      const hello = vm.lines.find((l): l is Extract<AgentLine, { t: "hello" }> => l.t === "hello");
      if (!hello) throw bootFailure(kernel, vm);
      out.hello ??= hello;
      if (out.modules.length === 0) {
        for (const l of vm.lines) if (l.t === "module") out.modules.push({ name: l.path.replace(/^.*\/\d+-|\.ko$/g, ""), ret: l.ret });
      }
      const panic = vm.panic;
      const boot: BootRecord = { ms: vm.ms, bootMs: vm.bootMs, scenarios: [] };
      if (vm.killed) boot.ended = vm.killed === "hang" ? `killed: no report for ${Math.round((o.hangMs ?? 240_000) / 1000)} s` : "killed: the boot took too long";
      else if (panic) boot.ended = `kernel panic: ${panic}`;
      // Split the report by scenario; the one in progress when the guest stopped takes the panic.
      let cur: { x: (typeof batch)[number]; lines: AgentLine[] } | undefined;
      const finished = new Set<string>();
      const flush = (ended: boolean) => {
        if (!cur) return;
        const run = replayScenario(cur.x.s.spec, cur.x.c, cur.lines, ended ? undefined : panic);
        if (!ended && !run.panic && !run.aborted) run.aborted = boot.ended ?? "the VM stopped";
        if (!ended && vm.killed && run.aborted) run.aborted += ` (${boot.ended}); console: ${vm.consoleTail.slice(-3).join(" | ")}`;
        out.runs.push(run);
        finished.add(cur.x.c.id);
        boot.scenarios.push(cur.x.c.id);
        cur = undefined;
      };
      for (const l of vm.lines) {
        if (l.t === "scen") {
          flush(true);
          const x = batch.find((b) => b.c.id === l.id);
          cur = x ? { x, lines: [] } : undefined;
        } else if (l.t === "end") {
          cur?.lines.push(l);
          flush(true);
        } else cur?.lines.push(l);
      }
      flush(false);
      out.boots.push(boot);
      // What did not start goes to the next boot; a guest that hung is not retried.
      if (vm.killed) {
        for (const x of batch) if (!finished.has(x.c.id)) out.skipped.push({ id: x.c.id, name: x.c.name, reason: `not run: ${boot.ended}` });
        break;
      }
      for (const x of batch) if (!finished.has(x.c.id)) todo.push(x);
      if (finished.size === 0) break;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

function bootFailure(kernel: KernelImage, vm: VmRun): KernelLabError {
  const why = vm.killed === "hang" ? "did not start the lab's agent in time (hang)" : vm.killed === "timeout" ? "ran too long" : `stopped (QEMU exit ${vm.exitCode})`;
  const tail = vm.consoleTail.slice(-6).join(" | ") || "no console output";
  return new KernelLabError(`kernel ${kernel.id} (${kernel.release}) ${why} before the agent ran; console: ${tail}`, "check the image boots under QEMU (-kernel), or try another --kernel");
}
