// Kernel modules the lab loads in the guest: hwpoison-inject (corrupt-pfn, unpoison-pfn), and a
// disk file system (ext4 on virtio-blk). Found in a kernel's modules folder, decompressed on the
// host, ordered so each module's `depends=` come first. Node only.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { KernelLabError } from "./errors.js";
import { busyboxRun } from "./tools.js";

/**
 * The modules the lab asks for; their dependencies come along. 6.12's ext4 asks the crypto API
 * for "crc32c" at mount (there is no modprobe in the guest), so its generic driver comes too;
 * 7.3 computes crc32c in a library and has no such module.
 */
export const LAB_MODULES = ["hwpoison_inject", "ext4", "crc32c_generic", "virtio_blk"] as const;

/** A module name as modprobe compares them ("hwpoison-inject" = "hwpoison_inject"). */
export const modName = (file: string): string => file.replace(/\.ko(\.(xz|gz|zst))?$/, "").replace(/-/g, "_");

/** Every module file under a modules folder, by name. */
export function indexModules(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.ko(\.(xz|gz|zst))?$/.test(f)) out.set(modName(f), p);
    }
  };
  walk(dir);
  return out;
}

/** The module file's ELF image, decompressed. */
export function readModule(file: string, busybox: string): Buffer {
  if (file.endsWith(".ko")) return readFileSync(file);
  if (file.endsWith(".gz")) return gunzipSync(readFileSync(file));
  if (file.endsWith(".xz")) return busyboxRun(busybox, ["xzcat", file]);
  throw new KernelLabError(`${file}: zstd-compressed modules are not supported`, "decompress the modules folder first (zstd -d), or use an xz/gzip-compressed one");
}

/** The `depends=` list of a module's .modinfo. */
export function moduleDepends(image: Buffer): string[] {
  const at = image.indexOf("\u0000depends=");
  if (at < 0) return [];
  const end = image.indexOf(0, at + 9);
  return image.toString("latin1", at + 9, end).split(",").map((s) => s.trim().replace(/-/g, "_")).filter(Boolean);
}

/**
 * The lab's modules and their dependencies, dependencies first, decompressed. A module the
 * folder lacks is left out (it may be built in; the agent reports what works).
 */
export function resolveLabModules(modulesDir: string, busybox: string, wanted: readonly string[] = LAB_MODULES): { name: string; image: Buffer }[] {
  const index = indexModules(modulesDir);
  const order: { name: string; image: Buffer }[] = [];
  const seen = new Set<string>();
  const visit = (name: string, depth: number) => {
    if (seen.has(name) || depth > 16) return;
    seen.add(name);
    const file = index.get(name);
    if (!file) return;
    const image = readModule(file, busybox);
    for (const d of moduleDepends(image)) visit(d, depth + 1);
    order.push({ name, image });
  };
  for (const w of wanted) visit(w, 0);
  return order;
}
