// The kernel's own tests of memory-failure handling, run in the lab's VM as a check of the
// harness: tools/testing/selftests/mm/memory-failure.c (added after 6.12) and
// hugetlb-read-hwpoison.c, built statically from linux-source-7.3 (the exact source of the 7.3
// kernel the lab boots) and run on every kernel. The course's scenarios translate the same tests
// (scenarios/selftests/); both must pass. Node only.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DISK_SETUP } from "../fidelity/program.js";
import type { AgentLine } from "../fidelity/replay.js";
import { buildAgent } from "./agent.js";
import { extractDeb, PrivateApt, systemDebianSource } from "./debian.js";
import { KernelLabError } from "./errors.js";
import { buildInitramfs, guestModules } from "./initramfs.js";
import { cachedKernel, kernelCacheDir, type KernelImage } from "./kernels.js";
import { hostTools } from "./tools.js";
import { runVm } from "./vm.js";

/** The selftests the lab runs, and the sources each needs from the tree. */
export const SELFTESTS = [
  { name: "memory-failure", sources: ["memory-failure.c", "vm_util.c"] },
  { name: "hugetlb-read-hwpoison", sources: ["hugetlb-read-hwpoison.c"] },
] as const;

const SOURCE_GLOBS = [
  "*/tools/testing/selftests/mm/memory-failure.c", "*/tools/testing/selftests/mm/vm_util.c", "*/tools/testing/selftests/mm/vm_util.h",
  "*/tools/testing/selftests/mm/hugetlb-read-hwpoison.c", "*/tools/testing/selftests/kselftest*.h", "*/tools/include/*", "*/tools/arch/x86/include/*",
];

export interface SelftestBuild {
  /** linux-source package and version the binaries were built from. */
  source: string;
  binaries: { name: string; path: string }[];
}

/**
 * The selftest binaries, built once from linux-source-7.3 (at the version of the cached 7.3
 * kernel) into the kernel cache. Downloads the source package (about 170 MB) the first time.
 */
export function buildSelftests(progress: (what: string) => void = () => {}): SelftestBuild {
  const k = cachedKernel("7.3");
  if (!k?.packages?.length) throw new KernelLabError("the 7.3 kernel is not cached", "run `mfr-lab kernels --fetch 7.3` first");
  const version = k.packages[0].version;
  const dir = join(kernelCacheDir(), `selftests-${version.replace(/[^\w.+-]/g, "_")}`);
  const meta = join(dir, "build.json");
  if (existsSync(meta)) return JSON.parse(readFileSync(meta, "utf8")) as SelftestBuild;
  const source = systemDebianSource(process.env.MFR_LAB_APT_ETC || "/etc/apt");
  if (!source) throw new KernelLabError("no Debian apt source to fetch linux-source-7.3 from");
  const stage = mkdtempSync(join(tmpdir(), "mfr-lab-selftests-"));
  try {
    const apt = new PrivateApt(join(kernelCacheDir(), ".apt"), source, ["trixie", "trixie-backports"]);
    progress(`download linux-source-7.3 ${version}`);
    const [deb] = apt.download([`linux-source-7.3=${version}`], join(stage, "deb"));
    progress("extract the selftests from the source tree");
    extractDeb(deb, join(stage, "pkg"));
    const tarball = join(stage, "pkg", "usr", "src", "linux-source-7.3.tar.xz");
    const tree = join(stage, "tree");
    mkdirSync(tree);
    const t = spawnSync("tar", ["-xJf", tarball, "-C", tree, "--strip-components=1", "--wildcards", ...SOURCE_GLOBS], { encoding: "utf8" });
    if (t.status !== 0) throw new KernelLabError(`extracting the selftests from ${tarball} failed: ${(t.stderr || t.error?.message || "").trim().split("\n")[0]}`);
    const mm = join(tree, "tools", "testing", "selftests", "mm");
    mkdirSync(dir, { recursive: true });
    const binaries = SELFTESTS.map((s) => {
      progress(`build ${s.name}`);
      const out = join(dir, s.name);
      const r = spawnSync(process.env.CC || "cc", ["-O2", "-static", "-w", "-I..", "-I../../../include/uapi", "-o", `${out}.tmp`, ...s.sources], { cwd: mm, encoding: "utf8" });
      if (r.status !== 0) throw new KernelLabError(`building the ${s.name} selftest failed: ${(r.stderr || r.error?.message || "").trim().split("\n").find((l) => /error/.test(l)) ?? "see the compiler"}`);
      renameSync(`${out}.tmp`, out);
      return { name: s.name, path: out };
    });
    const build: SelftestBuild = { source: `linux-source-7.3 ${version}`, binaries };
    writeFileSync(meta, JSON.stringify(build, null, 2) + "\n");
    return build;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** One selftest's result on one kernel: TAP's verdicts, and the output for a failure. */
export interface SelftestResult {
  name: string;
  status: number;
  passed: string[];
  failed: string[];
  skipped: string[];
  output: string;
}

/** TAP lines ("ok 3 memory_failure.madv_hard.anon", "not ok …", "# SKIP") as verdicts. */
export function parseTap(name: string, status: number, output: string): SelftestResult {
  const r: SelftestResult = { name, status, passed: [], failed: [], skipped: [], output };
  for (const line of output.split("\n")) {
    const m = /^(not )?ok \d+ (.*?)\s*$/.exec(line.trim());
    if (!m) continue;
    const [title, directive] = m[2].split(/\s+#\s+/);
    if (/^skip/i.test(directive ?? "")) r.skipped.push(title);
    else (m[1] ? r.failed : r.passed).push(title);
  }
  return r;
}

/** Boots `kernel` once and runs every selftest there (cwd on the ext4 disk, as the tests need). */
export async function runSelftests(kernel: KernelImage, build: SelftestBuild, hangMs = 240_000): Promise<SelftestResult[]> {
  const { qemu, busybox } = hostTools();
  const agent = buildAgent();
  const dir = mkdtempSync(join(tmpdir(), "mfr-lab-vm-"));
  try {
    const lines = [
      "TIMEOUT 200000", ...guestModules(kernel).map((m) => `MODULE ${m.guest}`), `SH ${DISK_SETUP}`,
      // memory-failure.c poisons the first free huge page's neighbours through MADV_HWPOISON;
      // hugetlb-read-hwpoison.c needs a 2M HugeTLB page in the pool.
      "SET /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages 4", "HELLO",
      ...build.binaries.map((b) => `RUN cd /mnt && /selftests/${b.name}`),
    ];
    const initrd = buildInitramfs({ dir, busybox, agent, kernel, program: lines.join("\n") + "\n", extra: build.binaries.map((b) => ({ from: b.path, to: `selftests/${b.name}` })) });
    const disk = join(dir, "disk.img");
    writeFileSync(disk, Buffer.alloc(0));
    truncateSync(disk, 64 << 20);
    const vm = await runVm({ qemu, kernel, initrd, dir, disk, memoryMb: 2048, hugepages1G: 0, hangMs, totalMs: 900_000, accel: "tcg" });
    const runs = vm.lines.filter((l): l is Extract<AgentLine, { t: "run" }> => l.t === "run");
    if (runs.length < build.binaries.length) {
      throw new KernelLabError(`the selftests did not finish on ${kernel.id} (${vm.killed ?? `exit ${vm.exitCode}`}); console: ${vm.consoleTail.slice(-4).join(" | ")}`);
    }
    return runs.map((r, i) => parseTap(build.binaries[i].name, r.status, r.output));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
