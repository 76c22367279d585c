// Debian's packaged kernels, fetched without touching the system's apt configuration: a private
// sources list that reuses the mirror of the system's own Debian entry, apt run against private
// state in the cache folder, and `dpkg-deb -x` (no install, no root). Node only.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KernelLabError } from "./errors.js";

/** A Debian entry of the system's apt sources: its mirror and keyring. */
export interface AptSource {
  uri: string;
  signedBy?: string;
}

/** The system's Debian mirror, from /etc/apt/sources.list.d/*.sources (deb822) or sources.list. */
export function systemDebianSource(etc = "/etc/apt"): AptSource | undefined {
  const found: AptSource[] = [];
  const dir = join(etc, "sources.list.d");
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".sources")).map((f) => join(dir, f)) : [];
  for (const f of files) {
    for (const block of readFileSync(f, "utf8").split(/\n\s*\n/)) {
      const field = (k: string) => new RegExp(`^${k}:\\s*(.+)$`, "mi").exec(block)?.[1].trim();
      const uri = field("URIs")?.split(/\s+/)[0];
      const suites = field("Suites") ?? "";
      if (!uri || /^\s*Enabled:\s*no/im.test(block) || !/^deb\b/m.test(field("Types") ?? "deb")) continue;
      if (/security/.test(uri) || /security/.test(suites)) continue;
      found.push({ uri, signedBy: field("Signed-By") });
    }
  }
  const list = join(etc, "sources.list");
  if (existsSync(list)) {
    for (const line of readFileSync(list, "utf8").split("\n")) {
      const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)/.exec(line.trim());
      if (!m || /security/.test(m[2]) || /security/.test(m[3])) continue;
      const signedBy = /signed-by=(\S+)/.exec(m[1] ?? "")?.[1];
      found.push({ uri: m[2], signedBy });
    }
  }
  return found.find((s) => /\/debian\/?$/.test(s.uri)) ?? found[0];
}

/** apt-get/apt-cache against private state in `dir` with the given suites of the system's mirror. */
export class PrivateApt {
  readonly opts: string[];

  constructor(readonly dir: string, readonly source: AptSource, readonly suites: string[]) {
    for (const d of ["lists/partial", "cache/archives/partial"]) mkdirSync(join(dir, d), { recursive: true });
    const signed = source.signedBy ? ` [signed-by=${source.signedBy}]` : "";
    writeFileSync(join(dir, "sources.list"), suites.map((s) => `deb${signed} ${source.uri} ${s} main\n`).join(""));
    this.opts = [
      "-o", `Dir::Etc::sourcelist=${join(dir, "sources.list")}`, "-o", "Dir::Etc::sourceparts=-",
      "-o", `Dir::State::Lists=${join(dir, "lists")}`, "-o", `Dir::Cache=${join(dir, "cache")}`,
      "-o", "Dir::State::status=/dev/null", "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root",
      "-o", "Acquire::Retries=1", "-o", "Acquire::http::Timeout=20",
    ];
  }

  private run(cmd: string, args: string[], cwd: string, what: string): string {
    const r = spawnSync(cmd, [...this.opts, ...args], { cwd, encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: "C" } });
    if (r.error) throw new KernelLabError(`${cmd} could not run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`, "install Debian's apt, or point --kernel at a kernel image");
    if (r.status !== 0) {
      const err = (r.stderr || r.stdout).split("\n").filter((l) => /^(E|Err|W):/.test(l)).slice(0, 2).join(" / ") || `exit ${r.status}`;
      throw new KernelLabError(`${what} failed: ${err}`, "check the network and the system's apt mirror, or use --offline with a cached kernel");
    }
    return `${r.stdout}\n${r.stderr}`;
  }

  /** apt-get update; apt reports an unreachable mirror as a warning, so the lists are checked too. */
  update(): void {
    const out = this.run("apt-get", ["-q", "update"], this.dir, "apt-get update of the kernel package lists");
    const lists = readdirSync(join(this.dir, "lists")).filter((f) => /_Packages(\.\w+)?$/.test(f));
    const missing = this.suites.filter((s) => !lists.some((f) => f.includes(`_dists_${s}_`)));
    if (missing.length > 0) {
      const why = out.split("\n").find((l) => /^(Err|W|E):/.test(l.trim()))?.trim() ?? `no package list for ${missing.join(", ")}`;
      throw new KernelLabError(`apt-get update of the kernel package lists failed: ${why}`, `check the network and the mirror ${this.source.uri}, or use --offline with a cached kernel`);
    }
  }

  /** Package names matching a regular expression (apt-cache search --names-only). */
  search(re: string): string[] {
    return this.run("apt-cache", ["search", "--names-only", re], this.dir, "apt-cache search").split("\n").map((l) => l.split(" - ")[0].trim()).filter(Boolean);
  }

  /** The candidate version of a package. */
  version(pkg: string): string {
    const out = this.run("apt-cache", ["policy", pkg], this.dir, `apt-cache policy ${pkg}`);
    const v = /Candidate:\s*(\S+)/.exec(out)?.[1];
    if (!v || v === "(none)") throw new KernelLabError(`no candidate version of ${pkg} in ${this.suites.join(", ")}`);
    return v;
  }

  /** Downloads packages into `into`; returns the .deb paths. */
  download(pkgs: string[], into: string): string[] {
    mkdirSync(into, { recursive: true });
    this.run("apt-get", ["-q", "download", ...pkgs], into, `apt-get download ${pkgs.join(" ")}`);
    const debs = readdirSync(into).filter((f) => f.endsWith(".deb"));
    return pkgs.map((spec) => {
      const p = spec.split("=")[0];
      const f = debs.find((d) => d.startsWith(`${p.replace(/\+/g, "%2b")}_`) || d.startsWith(`${p}_`));
      if (!f) throw new KernelLabError(`apt-get download left no .deb for ${p}`);
      return join(into, f);
    });
  }
}

/** Extracts a .deb's files into `into` (dpkg-deb -x: no install, no root). */
export function extractDeb(deb: string, into: string): void {
  mkdirSync(into, { recursive: true });
  const r = spawnSync("dpkg-deb", ["-x", deb, into], { encoding: "utf8" });
  if (r.error) throw new KernelLabError("dpkg-deb is not installed", "install dpkg, or point --kernel at a kernel image");
  if (r.status !== 0) throw new KernelLabError(`dpkg-deb -x ${deb} failed: ${(r.stderr || "").trim().split("\n")[0]}`);
}

/** Compares Debian-style versions of the form 7.3.4 numerically (enough for kernel upstream versions). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+~-]/).map((x) => parseInt(x, 10));
  const pb = b.split(/[.+~-]/).map((x) => parseInt(x, 10));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (Number.isNaN(pa[i]) ? -1 : pa[i] ?? -1) - (Number.isNaN(pb[i]) ? -1 : pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}
