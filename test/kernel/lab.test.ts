// The kernel lab from the command line: a scenario on a real kernel next to the model, what a
// mainline kernel cannot do reported as model only, and every kind of bad input — one line,
// exit code 2, no stack trace, no QEMU left running, no temporary files left behind.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readSync, closeSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveKernels, scratchDir, type KernelImage } from "../../src/kernel/index.js";

const ROOT = join(__dirname, "..", "..");
const tmp = mkdtempSync(join(tmpdir(), "mfr-lab-labtest-"));
let k73: KernelImage;

function cli(args: string[], env: Record<string, string> = {}) {
  const t = join(tmp, `t${Math.random().toString(36).slice(2)}`);
  mkdirSync(t);
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "mfr-lab.mjs"), ...args], { encoding: "utf8", cwd: ROOT, env: { ...process.env, TMPDIR: t, ...env } });
  // tsx keeps its compile cache in TMPDIR (tsx-UID): that is tsx's, not the lab's.
  return { code: r.status, out: r.stdout, err: r.stderr, leftovers: readdirSync(t).filter((f) => !/^tsx-\d+$/.test(f)) };
}

/** QEMU processes still running with a file of the lab's temp folders on their command line. */
function strayQemu(): string[] {
  const out: string[] = [];
  for (const p of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = require("node:fs").readFileSync(`/proc/${p}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes("qemu-system") && cmd.includes(tmp)) out.push(cmd);
    } catch {
      /* gone */
    }
  }
  return out;
}

function expectCleanError(r: ReturnType<typeof cli>, pattern: RegExp) {
  expect(r.code, r.err).toBe(2);
  const lines = r.err.trim().split("\n").filter((l) => !l.startsWith("[mfr-lab]"));
  expect(lines.length, `one line: ${r.err}`).toBe(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.leftovers, "no temporary files left").toEqual([]);
}

beforeAll(() => {
  const s = scratchDir();
  try {
    [k73] = resolveKernels({ kernel: "7.3" }, s.dir);
  } finally {
    s.done();
  }
}, 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("mfr-lab scenario --kernel", () => {
  it("runs a scenario on 6.12 and 7.3 next to the model: every step, both sides, agreement, exit 0", { timeout: 600_000 }, () => {
    const r = cli(["scenario", "scenarios/anon-4k-madvise.yaml", "--kernel", "all", "--json"]);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.ok).toBe(true);
    expect(j.kernels.map((k: { kernel: { id: string } }) => k.kernel.id)).toEqual(["6.12", "7.3"]);
    for (const k of j.kernels) {
      expect(k.comparison.differences).toEqual([]);
      const mad = k.comparison.steps.find((s: { op: string }) => s.op === "madvise");
      expect(mad.kernel.mf).toBe("MF_MSG_DIRTY_LRU MF_RECOVERED");
      expect(mad.kernel.signals).toBe("app SIGBUS BUS_MCEERR_AR lsb 12 at heap+4K");
      expect(k.lab.hello.release).toBe(k.kernel.release);
    }
    expect(r.leftovers).toEqual([]);
    expect(strayQemu()).toEqual([]);
  });

  it("reports what a mainline kernel cannot do as model only, with the reason, and still judges the model", { timeout: 120_000 }, () => {
    const r = cli(["scenario", "scenarios/hugetlb-1g-keep-ue-mapped.yaml", "--kernel", "7.3"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/not run on the kernel: model only from memfds\[0\]: MFD_MF_KEEP_UE_MAPPED/);
  });

  it("one clear line and exit 2 for a kernel it does not know, a missing image, a file that is no kernel, bad flags", { timeout: 120_000 }, () => {
    expectCleanError(cli(["scenario", "scenarios/anon-4k-madvise.yaml", "--kernel", "9.9"]), /--kernel 9\.9: not a kernel the lab knows/);
    expectCleanError(cli(["scenario", "scenarios/anon-4k-madvise.yaml", "--kernel", "/nonexistent/bzImage"]), /no such file/);
    expectCleanError(cli(["scenario", "scenarios/anon-4k-madvise.yaml", "--kernel", "./package.json"]), /not an x86 bzImage/);
    expectCleanError(cli(["scenario", "scenarios/anon-4k-madvise.yaml", "--accel", "xen", "--kernel", "7.3"]), /--accel/);
    expectCleanError(cli(["scenario", "scenarios/anon-4k-madvise.yaml", "--vm-timeout", "0", "--kernel", "7.3"]), /--vm-timeout/);
    expectCleanError(cli(["scenario", "scenarios/anon-4k-madvise.yaml", "--offline"]), /need --kernel/);
  });

  it("no QEMU, no cached kernel with --offline, no network for the first fetch: one line each, exit 2", { timeout: 180_000 }, () => {
    expectCleanError(cli(["scenario", "scenarios/anon-4k-madvise.yaml", "--kernel", "7.3"], { MFR_LAB_QEMU: "/nonexistent/qemu" }), /QEMU is not installed.*apt-get install qemu-system-x86/);
    const empty = join(tmp, "empty-cache");
    mkdirSync(empty, { recursive: true });
    expectCleanError(cli(["scenario", "scenarios/anon-4k-madvise.yaml", "--kernel", "7.3", "--offline"], { MFR_LAB_KERNEL_CACHE: empty }), /kernel 7\.3 is not cached and --offline forbids/);
    const etc = join(tmp, "apt-etc");
    mkdirSync(join(etc, "sources.list.d"), { recursive: true });
    writeFileSync(join(etc, "sources.list.d", "d.sources"), "Types: deb\nURIs: http://127.0.0.1:9/debian\nSuites: bookworm\nComponents: main\n");
    const r = cli(["scenario", "scenarios/anon-4k-madvise.yaml", "--kernel", "6.12"], { MFR_LAB_KERNEL_CACHE: join(tmp, "empty-2"), MFR_LAB_APT_ETC: etc });
    expectCleanError(r, /apt-get update of the kernel package lists failed/);
    expect(readdirSync(join(tmp, "empty-2")).filter((f) => !f.startsWith(".apt")), "a failed fetch leaves no kernel behind").toEqual([]);
  });

  it("a kernel that does not boot, or a guest that hangs: its console's last lines, exit 2, nothing left running", { timeout: 300_000 }, () => {
    // The first 3M of a real bzImage: QEMU loads it, the decompressor finds the payload cut short.
    const broken = join(tmp, "broken-vmlinuz");
    const buf = Buffer.alloc(3 << 20);
    const fd = openSync(k73.vmlinuz, "r");
    readSync(fd, buf, 0, buf.length, 0);
    closeSync(fd);
    writeFileSync(broken, buf);
    expectCleanError(cli(["scenario", "scenarios/anon-4k-madvise.yaml", "--kernel", broken, "--vm-timeout", "30"]), /broken-vmlinuz \(7\.3\.\d+\+deb\d+-amd64\) stopped \(QEMU exit \d+\) before the agent ran/);
    // A guest that boots and then says nothing: the lab kills it after --vm-timeout.
    const hung = cli(["scenario", "scenarios/anon-4k-madvise.yaml", "--kernel", "7.3", "--vm-timeout", "20"], { MFR_LAB_GUEST_PRELUDE: "SH sleep 600" });
    expectCleanError(hung, /kernel 7\.3 .* did not start the lab's agent in time \(hang\) before the agent ran; console: .*\S/);
    expect(strayQemu()).toEqual([]);
  });
});

describe("mfr-lab kernels", () => {
  it("lists 6.12 and 7.3, cached, with their Debian packages", { timeout: 60_000 }, () => {
    const r = cli(["kernels", "--json"]);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.kernels.map((k: { id: string }) => k.id)).toEqual(["6.12", "7.3"]);
    const k = j.kernels.find((x: { id: string }) => x.id === "7.3");
    expect(k.cached).toBe(true);
    expect(k.source).toMatch(/linux-binary-7\.3\.\d+\+deb\d+-amd64/);
    expect(k.modules).toContain("hwpoison_inject");
  });
});
