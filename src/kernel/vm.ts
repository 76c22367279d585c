// One QEMU boot: the kernel and initramfs, no network device, the console on the first serial
// port (kept for diagnostics), the agent's report on the second (read line by line). Bounded:
// a guest that says nothing for `hangMs`, or runs past `totalMs`, is killed with its whole
// process group; so is QEMU when this process is interrupted. Node only.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { findPanic } from "../fidelity/kmsg.js";
import type { AgentLine } from "../fidelity/replay.js";
import type { KernelImage } from "./kernels.js";

export interface VmOptions {
  qemu: string;
  kernel: KernelImage;
  initrd: string;
  /** Folder for the console log (removed by the caller). */
  dir: string;
  /** A raw disk image for /dev/vda, if the batch needs a disk file system. */
  disk?: string;
  memoryMb: number;
  /** 1G HugeTLB pages reserved at boot (runtime allocation of 1G pages is unreliable). */
  hugepages1G: number;
  /** Kill the guest when its report is silent this long (ms). */
  hangMs: number;
  /** Kill the guest after this long in all (ms). */
  totalMs: number;
  /** "tcg" (default, works everywhere) or "kvm" (faster where KVM works). */
  accel: "tcg" | "kvm";
  /** Called with each report line as it arrives. */
  onLine?: (l: AgentLine) => void;
}

export interface VmRun {
  lines: AgentLine[];
  /** The console's last lines (kernel messages), for a guest that failed. */
  consoleTail: string[];
  exitCode: number | null;
  /** Set when the lab killed the guest. */
  killed?: "hang" | "timeout" | "interrupted";
  ms: number;
  /** When the agent said hello (the kernel had booted), in ms since start. */
  bootMs?: number;
  /** Report lines that were not JSON (should not happen; kept for the error message). */
  garbage: string[];
  /** The kernel's panic message, if it panicked (from the whole console, not only its tail). */
  panic?: string;
}

/** The kernel command line: serial console, reboot (QEMU exits) on panic, the HugeTLB pools. */
export function kernelCmdline(o: Pick<VmOptions, "hugepages1G">): string {
  return [
    "console=ttyS0", "panic=-1", "loglevel=4", "mitigations=off",
    `hugepagesz=1G hugepages=${o.hugepages1G}`, "hugepagesz=2M hugepages=0", "transparent_hugepage=madvise",
  ].join(" ");
}

export function qemuArgs(o: VmOptions): string[] {
  const args = [
    ...(o.accel === "kvm" ? ["-enable-kvm", "-cpu", "host"] : ["-accel", "tcg", "-cpu", "max"]),
    "-m", String(o.memoryMb), "-smp", "1", "-nic", "none", "-display", "none", "-no-reboot", "-nodefaults",
    "-kernel", o.kernel.vmlinuz, "-initrd", o.initrd, "-append", kernelCmdline(o),
    "-serial", `file:${join(o.dir, "console.log")}`, "-serial", "stdio",
  ];
  if (o.disk) args.push("-drive", `file=${o.disk},format=raw,if=virtio,cache=unsafe`);
  return args;
}

/** Boots once and collects the agent's report. Never throws for what the guest does. */
export function runVm(o: VmOptions): Promise<VmRun> {
  const t0 = Date.now();
  return new Promise((resolveRun) => {
    const child = spawn(o.qemu, qemuArgs(o), { stdio: ["ignore", "pipe", "pipe"], detached: true });
    const lines: AgentLine[] = [];
    const garbage: string[] = [];
    let stderr = "";
    let buf = "";
    let last = Date.now();
    let killed: VmRun["killed"];
    let bootMs: number | undefined;
    const kill = (why: VmRun["killed"]) => {
      if (killed) return;
      killed = why;
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    };
    const onSignal = () => kill("interrupted");
    const onExit = () => kill("interrupted");
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    process.once("exit", onExit);
    const timer = setInterval(() => {
      if (Date.now() - last > o.hangMs) kill("hang");
      else if (Date.now() - t0 > o.totalMs) kill("timeout");
    }, 250);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d: string) => {
      last = Date.now();
      buf += d.replace(/\r/g, "");
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const text = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!text) continue;
        try {
          const l = JSON.parse(text) as AgentLine;
          if (l.t === "hello" && bootMs === undefined) bootMs = Date.now() - t0;
          lines.push(l);
          o.onLine?.(l);
        } catch {
          garbage.push(text);
        }
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", (e) => {
      stderr += e.message;
    });
    child.on("close", (code) => {
      clearInterval(timer);
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
      process.removeListener("exit", onExit);
      const file = join(o.dir, "console.log");
      const consoleText = existsSync(file) ? readFileSync(file, "latin1") : "";
      const all = [...consoleText.replace(/\r/g, "").split("\n"), ...stderr.split("\n")].map((l) => l.replace(/\u001b\[[0-9;?]*[a-zA-Z]/g, "").trimEnd()).filter(Boolean);
      if (killed === "interrupted") process.exitCode = 130;
      resolveRun({ lines, consoleTail: all.slice(-40), exitCode: code, killed, ms: Date.now() - t0, bootMs, garbage, panic: findPanic(all) });
    });
  });
}
