// Host tools the kernel lab needs: QEMU, a static busybox (the guest's shell and the host's cpio
// and xz), a C compiler for the agent. Each is found once, or reported with what to install.
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { delimiter, join } from "node:path";
import { KernelLabError } from "./errors.js";

/** The first executable called `name` on PATH (or `override` when given). */
export function which(name: string, override?: string): string | undefined {
  if (override) return existsSync(override) ? override : undefined;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** True when an ELF file has a program interpreter (PT_INTERP), i.e. is dynamically linked. */
export function isDynamicElf(file: string): boolean {
  const fd = openSync(file, "r");
  try {
    const h = Buffer.alloc(64);
    readSync(fd, h, 0, 64, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2) return true; // not a 64-bit ELF: treat as unusable
    const phoff = Number(h.readBigUInt64LE(32));
    const phentsize = h.readUInt16LE(54);
    const phnum = h.readUInt16LE(56);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return true;
    return false;
  } finally {
    closeSync(fd);
  }
}

export interface HostTools {
  qemu: string;
  busybox: string;
}

/** QEMU and a static busybox, or a one-line error saying what to install. */
export function hostTools(): HostTools {
  const qemu = which("qemu-system-x86_64", process.env.MFR_LAB_QEMU);
  if (!qemu) throw new KernelLabError("QEMU is not installed (qemu-system-x86_64 not found)", "on Debian/Ubuntu: sudo apt-get install qemu-system-x86; or set MFR_LAB_QEMU=/path/to/qemu-system-x86_64");
  const busybox = which("busybox", process.env.MFR_LAB_BUSYBOX);
  if (!busybox) throw new KernelLabError("busybox is not installed", "on Debian/Ubuntu: sudo apt-get install busybox-static; or set MFR_LAB_BUSYBOX=/path/to/a/static/busybox");
  if (isDynamicElf(busybox)) throw new KernelLabError(`${busybox} is dynamically linked and cannot run in the VM's initramfs`, "install busybox-static, or set MFR_LAB_BUSYBOX to a static busybox");
  return { qemu, busybox };
}

/** Runs busybox APPLET with input; returns stdout (Buffer) or throws naming the applet. */
export function busyboxRun(busybox: string, args: string[], input?: Buffer | string, cwd?: string): Buffer {
  const r = spawnSync(busybox, args, { input, cwd, maxBuffer: 512 << 20 });
  if (r.error || r.status !== 0) {
    throw new KernelLabError(`busybox ${args[0]} failed: ${r.error?.message ?? String(r.stderr).trim().split("\n")[0]}`);
  }
  return r.stdout;
}
