// Builds the in-guest agent (agent/mfr-agent.c) with the system C compiler, statically, once per
// source version, into the kernel cache. Atomic: a failed build leaves nothing behind. Node only.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { KernelLabError } from "./errors.js";
import { kernelCacheDir } from "./kernels.js";

export const AGENT_SOURCE = resolve(__dirname, "agent", "mfr-agent.c");

/** The path of the static agent binary, built now if this source version was not built yet. */
export function buildAgent(): string {
  const src = readFileSync(AGENT_SOURCE);
  const cc = process.env.CC || "cc";
  const hash = createHash("sha256").update(src).update(cc).digest("hex").slice(0, 16);
  const dir = join(kernelCacheDir(), `agent-${hash}`);
  const bin = join(dir, "mfr-agent");
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const r = spawnSync(cc, ["-O2", "-static", "-Wall", "-o", tmp, AGENT_SOURCE], { encoding: "utf8" });
  if (r.error) {
    rmSync(tmp, { force: true });
    throw new KernelLabError(`no C compiler (${cc}) to build the kernel lab's agent`, "install gcc (Debian/Ubuntu: sudo apt-get install gcc), or set CC");
  }
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    const first = (r.stderr || "").split("\n").find((l) => /error/.test(l)) ?? (r.stderr || "").trim().split("\n")[0];
    const hint = /cannot find -lc|static/.test(r.stderr || "") ? "a static C library is needed (Debian/Ubuntu: libc6-dev)" : undefined;
    throw new KernelLabError(`building the kernel lab's agent failed: ${first}`, hint);
  }
  renameSync(tmp, bin);
  return bin;
}
