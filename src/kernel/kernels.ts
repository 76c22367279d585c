// The kernels the lab boots: Debian's 6.12 (trixie) and 7.3 (trixie-backports), fetched on first
// use into a git-ignored cache, or any bzImage a user points at. Node only.
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { processAlive } from "../core/process.js";
import type { KernelVersion } from "../mfr/kernel-version.js";
import { compareVersions, extractDeb, PrivateApt, systemDebianSource } from "./debian.js";
import { KernelLabError } from "./errors.js";
import { LAB_MODULES, resolveLabModules } from "./modules.js";
import { hostTools } from "./tools.js";

/** The model versions a kernel can be compared with (src/mfr/kernel-version.ts). */
export type ModelKernel = KernelVersion;

/** A kernel Debian packages, by the line the course tests. */
export interface KnownKernel {
  id: ModelKernel;
  suite: string;
  /** apt-cache search pattern of the package that carries vmlinuz; group 1 of `version` is the upstream version. */
  search: string;
  version: RegExp;
  /** The packages to download for an upstream version. */
  packages(v: string): string[];
  /** Where vmlinuz and the modules are inside the extracted packages, for a release string. */
  vmlinuz(release: string): string;
  modules(release: string): string;
}

export const KNOWN_KERNELS: readonly KnownKernel[] = [
  {
    id: "6.12", suite: "trixie", search: "^linux-image-6\\.12\\.[0-9]+\\+deb[0-9]+-amd64$", version: /^linux-image-(6\.12\.\d+\+deb\d+)-amd64$/,
    packages: (v) => [`linux-image-${v}-amd64`], vmlinuz: (r) => `boot/vmlinuz-${r}`, modules: (r) => `usr/lib/modules/${r}`,
  },
  {
    id: "7.3", suite: "trixie-backports", search: "^linux-binary-7\\.3\\.[0-9]+\\+deb[0-9]+-amd64$", version: /^linux-binary-(7\.3\.\d+\+deb\d+)-amd64$/,
    packages: (v) => [`linux-binary-${v}-amd64`, `linux-modules-${v}-amd64`], vmlinuz: (r) => `usr/lib/modules/${r}/vmlinuz`, modules: (r) => `usr/lib/modules/${r}`,
  },
];

/** A bootable kernel with the lab's modules, and where it came from. */
export interface KernelImage {
  id: string;
  release: string;
  vmlinuz: string;
  /** Decompressed modules, dependencies first. */
  modules: { name: string; path: string }[];
  /** The model version its behaviour is compared with. */
  model: ModelKernel;
  /** One line: the Debian packages and versions, or the path. */
  source: string;
  packages?: { name: string; version: string; sha256: string }[];
  suite?: string;
  fetchedAt?: string;
}

/** Where fetched kernels live: $MFR_LAB_KERNEL_CACHE, else .cache/kernels in the project (git-ignored). */
export function kernelCacheDir(): string {
  return process.env.MFR_LAB_KERNEL_CACHE ? resolve(process.env.MFR_LAB_KERNEL_CACHE) : resolve(__dirname, "..", "..", ".cache", "kernels");
}

/** The release string in a bzImage's setup header (kernel_version at 0x20E), e.g. "7.3.4+deb13-amd64". */
export function bzImageRelease(file: string): string | undefined {
  const fd = openSync(file, "r");
  try {
    const h = Buffer.alloc(0x210);
    if (readSync(fd, h, 0, h.length, 0) < h.length || h.toString("latin1", 0x202, 0x206) !== "HdrS") return undefined;
    const at = h.readUInt16LE(0x20e) + 0x200;
    const s = Buffer.alloc(256);
    readSync(fd, s, 0, 256, at);
    const text = s.toString("latin1");
    return text.slice(0, text.indexOf("\u0000")).split(" ")[0] || undefined;
  } finally {
    closeSync(fd);
  }
}

/** The model version to compare a kernel release with: the newest one not newer than it. */
export function modelFor(release: string): ModelKernel {
  return compareVersions(release, "7.3") >= 0 ? "7.3" : "6.12";
}

function readCached(dir: string): KernelImage | undefined {
  const meta = join(dir, "kernel.json");
  if (!existsSync(meta)) return undefined;
  const k = JSON.parse(readFileSync(meta, "utf8")) as KernelImage & { labModules?: string[] };
  // A kernel fetched when the lab asked for other modules is fetched again.
  if ((k.labModules ?? []).join(",") !== LAB_MODULES.join(",")) return undefined;
  k.vmlinuz = join(dir, k.vmlinuz);
  k.modules = k.modules.map((m) => ({ name: m.name, path: join(dir, m.path) }));
  return existsSync(k.vmlinuz) ? k : undefined;
}

/** The cached kernel of a known line, if fetched. */
export function cachedKernel(id: ModelKernel): KernelImage | undefined {
  return readCached(join(kernelCacheDir(), id));
}

export type Progress = (what: string, done: number, total: number) => void;

/**
 * Fetches a known kernel into the cache: resolves the newest version of its line in its suite,
 * downloads and extracts the packages, keeps vmlinuz and the lab's modules (decompressed), and
 * records the package versions and checksums. Atomic: a half-done fetch leaves nothing behind.
 */
export function fetchKernel(id: ModelKernel, progress: Progress = () => {}): KernelImage {
  const cache = kernelCacheDir();
  mkdirSync(cache, { recursive: true });
  // One fetch at a time per cache (two test files, two terminals): the others wait, then find it cached.
  const release = acquireLock(join(cache, ".fetch.lock"), progress);
  try {
    return cachedKernel(id) ?? fetchUnlocked(id, progress);
  } finally {
    release();
  }
}

/** A lock folder (mkdir is atomic) holding the owner's pid; a dead owner's lock is taken over. */
function acquireLock(lock: string, progress: Progress): () => void {
  const deadline = Date.now() + 20 * 60_000;
  for (let waited = false; ; waited = true) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let owner = 0;
    try {
      owner = Number(readFileSync(join(lock, "pid"), "utf8"));
    } catch {
      /* being written */
    }
    if (owner > 0 && !processAlive(owner)) rmSync(lock, { recursive: true, force: true });
    if (Date.now() > deadline) throw new KernelLabError(`another process has been fetching kernels for 20 minutes (${lock})`, "remove that folder if no fetch is running");
    if (!waited) progress("waiting for another fetch to finish", 0, 4);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
}

function fetchUnlocked(id: ModelKernel, progress: Progress): KernelImage {
  const known = KNOWN_KERNELS.find((k) => k.id === id) as KnownKernel;
  const { busybox } = hostTools();
  // MFR_LAB_APT_ETC points at another apt configuration folder (one with sources.list.d/).
  const source = systemDebianSource(process.env.MFR_LAB_APT_ETC || "/etc/apt");
  if (!source) throw new KernelLabError(`kernel ${id} is not cached and this machine has no Debian apt source to fetch it from`, "point --kernel at a kernel image (and --modules at its modules folder)");
  const cache = kernelCacheDir();
  const stage = join(cache, `.fetch-${id}-${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  try {
    const apt = new PrivateApt(join(cache, ".apt"), source, ["trixie", "trixie-backports"]);
    progress(`package lists (${source.uri})`, 0, 4);
    apt.update();
    const names = apt.search(known.search).filter((n) => known.version.test(n));
    if (names.length === 0) throw new KernelLabError(`no ${known.search} package in ${known.suite}`, "check the mirror, or point --kernel at a kernel image");
    const upstream = names.map((n) => known.version.exec(n)![1]).sort(compareVersions).pop() as string;
    const pkgs = known.packages(upstream);
    progress(`download ${pkgs.join(", ")}`, 1, 4);
    const debs = apt.download(pkgs, join(stage, "debs"));
    const packages = pkgs.map((name, i) => ({ name, version: apt.version(name), sha256: createHash("sha256").update(readFileSync(debs[i])).digest("hex") }));
    progress("extract", 2, 4);
    for (const d of debs) extractDeb(d, join(stage, "root"));
    const release = `${upstream}-amd64`;
    const vmlinuz = join(stage, "root", known.vmlinuz(release));
    if (!existsSync(vmlinuz)) throw new KernelLabError(`${pkgs[0]} has no ${known.vmlinuz(release)}`);
    progress("modules", 3, 4);
    const out = join(stage, "out");
    mkdirSync(join(out, "modules"), { recursive: true });
    renameSync(vmlinuz, join(out, "vmlinuz"));
    const mods = resolveLabModules(join(stage, "root", known.modules(release)), busybox).map((m, i) => {
      const path = join("modules", `${String(i).padStart(2, "0")}-${m.name}.ko`);
      writeFileSync(join(out, path), m.image);
      return { name: m.name, path };
    });
    const meta = {
      id, release, vmlinuz: "vmlinuz", modules: mods, labModules: LAB_MODULES, model: id, suite: known.suite, packages,
      source: `Debian ${known.suite}: ${packages.map((p) => `${p.name} ${p.version}`).join(", ")}`, fetchedAt: new Date().toISOString(),
    };
    writeFileSync(join(out, "kernel.json"), JSON.stringify(meta, null, 2) + "\n");
    const dest = join(cache, id);
    rmSync(dest, { recursive: true, force: true });
    renameSync(out, dest);
    progress("done", 4, 4);
    return readCached(dest) as KernelImage;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * A kernel given by path: a bzImage, with its modules folder (`modules`, else the folder the
 * image sits in when it holds kernel/, else /lib/modules/RELEASE). The lab's modules are
 * decompressed into `scratch`.
 */
export function kernelFromPath(file: string, scratch: string, modules?: string): KernelImage {
  const vmlinuz = resolve(file);
  if (!existsSync(vmlinuz)) throw new KernelLabError(`--kernel ${file}: no such file`, "give 6.12, 7.3, all, or the path of a bzImage");
  const release = bzImageRelease(vmlinuz);
  if (!release) throw new KernelLabError(`--kernel ${file}: not an x86 bzImage (no setup header)`, "give the kernel image QEMU boots with -kernel");
  const guess = [modules, existsSync(join(dirname(vmlinuz), "kernel")) ? dirname(vmlinuz) : undefined, `/lib/modules/${release}`].find((d) => d && existsSync(d));
  if (modules && !existsSync(modules)) throw new KernelLabError(`--modules ${modules}: no such folder`);
  const { busybox } = hostTools();
  mkdirSync(scratch, { recursive: true });
  const mods = guess ? resolveLabModules(guess, busybox).map((m, i) => {
    const path = join(scratch, `${String(i).padStart(2, "0")}-${m.name}.ko`);
    writeFileSync(path, m.image);
    return { name: m.name, path };
  }) : [];
  return { id: basename(vmlinuz), release, vmlinuz, modules: mods, model: modelFor(release), source: `${vmlinuz}${guess ? ` with modules from ${guess}` : " (no modules folder found)"}` };
}

/** The known kernels, each cached or not. */
export function listKernels(): { known: KnownKernel; cached?: KernelImage }[] {
  return KNOWN_KERNELS.map((known) => ({ known, cached: cachedKernel(known.id) }));
}

/** Names of everything in the cache folder (for `mfr-lab kernels`). */
export function cacheEntries(): string[] {
  const dir = kernelCacheDir();
  return existsSync(dir) ? readdirSync(dir).filter((f) => !f.startsWith(".")) : [];
}
