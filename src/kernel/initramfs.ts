// The VM's initramfs: busybox, the agent, the lab's modules and the program, packed with busybox
// cpio (newc) and gzip. The guest mounts proc, sys, dev and debugfs, runs the agent with the
// report on the second serial port, and powers off. Node only.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { KernelImage } from "./kernels.js";
import { busyboxRun } from "./tools.js";

export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /mnt
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mount -t debugfs debugfs /sys/kernel/debug
/bin/busybox ln -s /bin/busybox /bin/sh
/bin/mfr-agent /prog.txt /dev/ttyS1
/bin/busybox sync
/bin/busybox poweroff -f
`;

/** Guest paths of the kernel's lab modules, in load order. */
export function guestModules(k: KernelImage): { name: string; guest: string }[] {
  return k.modules.map((m, i) => ({ name: m.name, guest: `/modules/${String(i).padStart(2, "0")}-${m.name}.ko` }));
}

/** Writes dir/initrd.gz and returns its path; the staging folder is removed. */
export function buildInitramfs(o: { dir: string; busybox: string; agent: string; kernel: KernelImage; program: string; extra?: { from: string; to: string }[] }): string {
  const root = join(o.dir, "root");
  rmSync(root, { recursive: true, force: true });
  for (const d of ["bin", "modules", "proc", "sys", "dev", "tmp", "mnt"]) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, "init"), INIT_SCRIPT, { mode: 0o755 });
  copyFileSync(o.busybox, join(root, "bin", "busybox"));
  copyFileSync(o.agent, join(root, "bin", "mfr-agent"));
  const files = ["init", "prog.txt", "bin", "bin/busybox", "bin/mfr-agent", "modules", "proc", "sys", "dev", "tmp", "mnt"];
  guestModules(o.kernel).forEach((g, i) => {
    copyFileSync(o.kernel.modules[i].path, join(root, g.guest));
    files.push(g.guest.slice(1));
  });
  for (const x of o.extra ?? []) {
    mkdirSync(join(root, x.to, ".."), { recursive: true });
    copyFileSync(x.from, join(root, x.to));
    const parts = x.to.split("/");
    for (let i = 1; i < parts.length; i++) if (!files.includes(parts.slice(0, i).join("/"))) files.push(parts.slice(0, i).join("/"));
    files.push(x.to);
  }
  writeFileSync(join(root, "prog.txt"), o.program);
  const cpio = busyboxRun(o.busybox, ["cpio", "-o", "-H", "newc"], files.join("\n") + "\n", root);
  const out = join(o.dir, "initrd.gz");
  writeFileSync(out, gzipSync(cpio, { level: 1 }));
  rmSync(root, { recursive: true, force: true });
  return out;
}
