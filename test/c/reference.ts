// Builds and runs the C reference of the TLB engine (test/c/tlbsim.c) on a trace.
// Used by the engine equivalence test and by scripts/bench.ts.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TlbCounters, TlbHierarchyConfig } from "../../src/index.js";
import { PAGE_SIZES } from "../../src/index.js";

const HERE = __dirname;
const SOURCE = join(HERE, "tlbsim.c");

/** Compiles tlbsim.c with the system C compiler ($CC or cc) into build/ and returns the binary. */
export function buildReference(): string {
  const out = resolve(HERE, "../../build");
  mkdirSync(out, { recursive: true });
  const bin = join(out, "tlbsim");
  // Built under a per-process name, then renamed: test files and the bench may build at the
  // same time, and a rename never leaves a half-written binary behind.
  const tmp = `${bin}.${process.pid}.tmp`;
  const cc = process.env.CC || "cc";
  try {
    execFileSync(cc, ["-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", "-o", tmp, SOURCE], { stdio: "pipe" });
    renameSync(tmp, bin);
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`cannot build the C reference with "${cc}": ${err.stderr?.toString() || err.message}. Install a C compiler (e.g. gcc) or set CC.`);
  }
  return bin;
}

export interface ReferenceResult extends TlbCounters {
  seconds: number;
}

/** Runs the C engine on the same regions and trace; `repeat` replays the trace (for timing). */
export function runReference(bin: string, config: TlbHierarchyConfig, regions: Uint8Array, trace: Uint32Array, repeat = 1): ReferenceResult {
  const dir = mkdtempSync(join(tmpdir(), "mfr-lab-c-"));
  try {
    const rf = join(dir, "regions.bin");
    const tf = join(dir, "trace.bin");
    writeFileSync(rf, regions);
    writeFileSync(tf, new Uint8Array(trace.buffer, trace.byteOffset, trace.byteLength));
    const l1 = PAGE_SIZES.flatMap((s) => [config.l1[s]?.entries ?? 0, config.l1[s]?.ways ?? 1]);
    const st = config.stlb;
    const mask = st ? PAGE_SIZES.reduce((m, s, i) => (st.sizes.includes(s) ? m | (1 << i) : m), 0) : 0;
    const args = ["run", ...l1, st?.geometry.entries ?? 0, st?.geometry.ways ?? 1, mask, rf, tf, repeat].map(String);
    return JSON.parse(execFileSync(bin, args, { encoding: "utf8" })) as ReferenceResult;
  } finally {
    rmSync(dir, { recursive: true, force: true }); // a bench trace is 16 MB: never leave it behind
  }
}
