// Student files that try to fool the grader, one per way a probe of the course found (issue 11),
// plus the misbehaviours a grader must survive. Each one solves nothing: a grader that passes any
// of them is fooled. test/grader/attacks.test.ts grades them on temporary copies.

export interface Attack {
  /** What the student's file does. */
  what: string;
  /** The exercise whose student file it replaces. */
  id: string;
  /** The file's text (in exercises/<id>/, so the library is ../../src). */
  source: string;
}

/** A passing vitest JSON report, as the old grader read it from --outputFile. */
const FORGED = `JSON.stringify({ numPassedTests: 3, numTotalTests: 3, testResults: [{ status: "passed", assertionResults: [
  { status: "passed", title: "a" }, { status: "passed", title: "b" }, { status: "passed", title: "c" }] }] })`;

const ZEROS = `
export function tlbReach(): number { return 0; }
export function presetReach(): number { return 0; }
export function translationsAfterSplit(): number { return 0; }
`;

export const FORGE_REPORT: Attack = {
  what: "writes a passing report to the test runner's output file, then tries to kill the process group",
  id: "ch1-tlb-reach",
  source: `
import * as fs from "node:fs";
const passing = ${FORGED};
// The runner's --outputFile, from the command lines of this process and its parent.
for (const pid of [process.pid, process.ppid]) {
  try {
    for (const a of fs.readFileSync("/proc/" + pid + "/cmdline", "utf8").split("\\0")) {
      if (a.startsWith("--outputFile=")) fs.writeFileSync(a.slice("--outputFile=".length), passing);
    }
  } catch { /* denied */ }
}
try { process.kill(0, "SIGKILL"); } catch { /* */ }
${ZEROS}`,
};

export const PROBE_CHANNELS: Attack = {
  what: "writes passing results everywhere a grader might read them (temp folders, an IPC channel, every open descriptor), then tries to kill its parent (refused: see reachesOut)",
  id: "ch1-tlb-reach",
  source: `
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
const passing = ${FORGED};
try {
  for (const d of fs.readdirSync(os.tmpdir())) if (d.startsWith("mfr-lab")) fs.writeFileSync(path.join(os.tmpdir(), d, "report.json"), passing);
} catch { /* denied */ }
const fake = { type: "module", file: "test/exercises/ch1-tlb-reach.test.ts", loadErrors: [], tests: [{ name: "x", state: "passed" }], durationMs: 1 };
try { (process as unknown as { send?: (m: unknown) => void }).send?.(fake); } catch { /* no channel */ }
for (let fd = 5; fd < 64; fd++) { try { fs.writeSync(fd, JSON.stringify(fake) + "\\n"); } catch { /* not open */ } }
try { process.kill(process.ppid, "SIGKILL"); } catch { /* */ }
${ZEROS}`,
};

export const PATCH_LIBRARY: Attack = {
  what: "patches the library's Machine, which the test uses to compute the expected answers, to agree with answers that are all 0",
  id: "ch0-action-result",
  source: `
import * as lib from "../../src";
const R = ["MF_IGNORED", "MF_FAILED", "MF_DELAYED", "MF_RECOVERED"];
let i = 0;
try {
  (lib.Machine.prototype as unknown as Record<string, unknown>).memoryFailure = function () {
    return { type: "MF_MSG_KERNEL", result: R[i++ % 4], ret: 0 };
  };
} catch { /* the grader refused */ }
export function actionResultRet(): number { return 0; }
export function countOutcome(): void {}
export function memoryFailureRet(): number { return 0; }
`,
};

export const REEXPORT_REFERENCE: Attack = {
  what: "re-exports the reference solution from .meta/",
  id: "ch1-split-budget",
  source: `export * from "./.meta/reference.js";\n`,
};

export const LIBRARY_VIA_SRC: Attack = {
  what: 'imports the library\'s finished functions through "../../src", a path the old check did not match',
  id: "ch1-nested-walk",
  source: `
import * as lib from "../../src";
import type { PageSize } from "../../src";
export const walkLevels = (size: PageSize, levels: 4 | 5 = 4): number => lib.walkLevels(size, levels);
export const walkRefs2D = (n: number, m: number): number => lib.walkRefs2D(n, m);
export const effectivePageSize = (g: PageSize, h: PageSize): PageSize => lib.effectivePageSize(g, h);
export const nestedWalkRefs = (g: PageSize, h: PageSize, levels: 4 | 5 = 4): number => lib.nestedWalkRefs(g, h, levels);
`,
};

/** A test that asserts nothing, to put in place of an exercise's test file. */
export const EMPTY_TEST = `import { it } from "vitest";\nit("passes", () => {});\nit("passes too", () => {});\n`;

export const REPLACE_TEST_AT_RUNTIME: Attack = {
  what: "overwrites its exercise's test file with one that asserts nothing (so that the next run passes)",
  id: "ch2-memory-lost",
  source: `
import * as fs from "node:fs";
import * as path from "node:path";
const empty = ${JSON.stringify(EMPTY_TEST)};
for (const dir of [process.cwd(), path.join(__dirname, "..", ".."), path.join(__dirname, "..", "..", "..")]) {
  try { fs.writeFileSync(path.join(dir, "test", "exercises", "ch2-memory-lost.test.ts"), empty); } catch { /* denied */ }
}
export function memoryLost(): never { throw new Error("TODO: not solved"); }
`,
};

export const FOOLING: Attack[] = [FORGE_REPORT, PATCH_LIBRARY, REEXPORT_REFERENCE, LIBRARY_VIA_SRC, REPLACE_TEST_AT_RUNTIME, PROBE_CHANNELS];

/** Misbehaviours with a clear message each (one exercise each, so one run grades them all). */
export const REALLY_EXIT: Attack = {
  what: "ends its own process with process.reallyExit",
  id: "ch1-nested-walk",
  source: `
export function walkLevels(): number { (process as unknown as { reallyExit(c: number): void }).reallyExit(0); return 0; }
export function walkRefs2D(): number { return 0; }
export function effectivePageSize(): string { return "4K"; }
export function nestedWalkRefs(): number { return 0; }
`,
};

export const THROW_NO_PROTOTYPE: Attack = {
  what: "throws an object with no prototype",
  id: "ch0-page-state",
  source: `export function identifyPageState(): string { const e = Object.create(null); e.code = 7; throw e; }\n`,
};

export const MEMORY_HOG: Attack = {
  what: "allocates memory until something stops it",
  id: "ch2-repeated-sigbus",
  source: `
const keep: unknown[] = [];
export function predictTouches(): unknown[] { for (;;) keep.push(new Array(1e6).fill(keep.length)); }
export function totals(): { sigbus: number; machineChecks: number } { return { sigbus: 0, machineChecks: 0 }; }
`,
};

export const SPAWNS_AND_HANGS: Attack = {
  what: "tries to start a detached child process that would outlive grading, then never returns",
  id: "ch3-folio-fate",
  source: `
import { spawn } from "node:child_process";
try { spawn("sleep", ["600"], { detached: true, stdio: "ignore" }).unref(); } catch { /* denied */ }
export function folioFate(): unknown { for (;;) { /* spin */ } }
`,
};

export const MISBEHAVING: Attack[] = [REALLY_EXIT, THROW_NO_PROTOTYPE, MEMORY_HOG, SPAWNS_AND_HANGS];

/**
 * Reaches outside its process: signals another process of the user (the test's stand-in for a
 * JupyterLab) and connects to a port on this machine; the attempts are caught, so that what is
 * graded after them is the (correct) solution appended by the test.
 */
export function reachesOut(victimPid: number, port: number): Attack {
  return {
    what: "signals another process of the user and opens sockets (TCP, UDP, DNS), catching each refusal",
    id: "ch1-nested-walk",
    source: `
import * as dgram from "node:dgram";
import * as dns from "node:dns";
import * as net from "node:net";
const tries: (() => unknown)[] = [
  () => process.kill(${victimPid}, "SIGKILL"),
  () => (process as unknown as { _kill(p: number, s: number): void })._kill(${victimPid}, 9),
  () => net.connect(${port}, "127.0.0.1").on("error", () => undefined),
  () => dgram.createSocket("udp4").send("x", ${port}, "127.0.0.1"),
  () => dns.lookup("localhost", () => undefined),
];
for (const t of tries) try { t(); } catch { /* refused */ }
const until = Date.now() + 300;
while (Date.now() < until) { /* give a connection time to happen */ }
`,
  };
}

/** Signals another process and does not catch the refusal: the message must say what was refused. */
export function killsAnother(victimPid: number): Attack {
  return {
    what: "signals another process of the user",
    id: "ch0-page-state",
    source: `process.kill(${victimPid}, "SIGTERM");\nexport function identifyPageState(): string { return "MF_MSG_UNKNOWN"; }\n`,
  };
}
