// The judge's side of the sandbox: builds the student's bundle, starts the student's process with
// its limits, and gives the exercise's tests the student's exports as local-looking objects whose
// every use is a synchronous request to that process (rpc.ts). The judge process itself never
// loads the student's code, so the student's code cannot reach the tests, the library they use
// for expected values, or the channel by which the verdict leaves.
import { execFileSync, spawn } from "node:child_process";
import { closeSync, constants, existsSync, fstatSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { killGroup } from "../../core/process.js";
import { FdChannel } from "./frames.js";
import { libraryBundle, studentBundle } from "./bundle.js";
import { Endpoint } from "./rpc.js";
import { ProtocolError, RemoteError, type SyncTransport, type WireError } from "./wire.js";

/** A verdict the grader gives itself (time, memory, an ended process, a refused import): shown as is. */
export class SandboxError extends Error {
  constructor(message: string, readonly kind: "load" | "timeout" | "ended" | "memory" | "protocol" | "forbidden") {
    super(message);
    this.name = "SandboxError";
  }
}

export interface SandboxOptions {
  /** The student's file (absolute) and its name in messages. */
  file: string;
  shown: string;
  exercisesDir: string;
  /** Project root (its src/ is the library). */
  root: string;
  /** Library names the exercise asks the student to write (poisoned in the student's process). */
  forbid?: readonly string[];
  /** Time the student's code may run in all (waiting for it, not the judge's own work), ms. */
  budgetMs: number;
  /** V8 heap cap of the student's process, MB. */
  heapMb?: number;
  /** Address-space cap (RLIMIT_AS) of the student's process, MB; ArrayBuffers count here. */
  addressSpaceMb?: number;
}

export interface Sandbox {
  /** The student's module exports (functions and classes are proxies into the student's process). */
  exports: Record<string, unknown>;
  /** The student process's id (for tests of the sandbox itself). */
  pid: number;
  close(): void;
}

export const DEFAULT_HEAP_MB = 512;
export const DEFAULT_ADDRESS_SPACE_MB = 2560;

/** The permission-model flag of this Node (renamed from --experimental-permission in Node 22). */
function permissionFlag(): string {
  return process.allowedNodeEnvironmentFlags.has("--permission") ? "--permission" : "--experimental-permission";
}

const WATCHDOG = `
const { workerData } = require("node:worker_threads");
const i32 = new Int32Array(workerData, 0, 4);
const f64 = new Float64Array(workerData, 16, 1);
setInterval(() => {
  if (Atomics.load(i32, 0) === 1 && Date.now() > f64[0] && Atomics.load(i32, 2) === 0) {
    Atomics.store(i32, 2, 1);
    const pid = Atomics.load(i32, 1);
    try { process.kill(-pid, "SIGKILL"); } catch { try { process.kill(pid, "SIGKILL"); } catch {} }
  }
}, 20);
`;

/** Opens a FIFO so that `mine` is this side's end and `theirs` the child's, both blocking. */
function fifoPair(path: string, judgeReads: boolean): { mine: number; theirs: number } {
  // A non-blocking reader lets both opens succeed without a peer; it is closed once the real ends exist.
  const probe = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(path, constants.O_WRONLY);
  const reader = openSync(path, constants.O_RDONLY);
  closeSync(probe);
  return judgeReads ? { mine: reader, theirs: writer } : { mine: writer, theirs: reader };
}

function tail(path: string, max = 65536): string {
  try {
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      const len = Math.min(size, max);
      const b = Buffer.alloc(len);
      readSync(fd, b, 0, len, size - len);
      return b.toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  }
}

/** Sandboxes still open, ended when the judge's process exits however its tests ended. */
const live = new Set<() => void>();
let exitHooked = false;

/** Starts the student's process for one exercise and waits until its module is loaded. */
export async function openSandbox(o: SandboxOptions): Promise<Sandbox> {
  const heapMb = o.heapMb ?? DEFAULT_HEAP_MB;
  const asMb = o.addressSpaceMb ?? DEFAULT_ADDRESS_SPACE_MB;
  // Inside the grader's run folder when there is one: everything of this run is in one place.
  const runDir = process.env.MFR_LAB_RUN_DIR;
  const dir = mkdtempSync(runDir && existsSync(runDir) ? join(runDir, "judge-") : join(tmpdir(), "mfr-lab-judge-"));
  const cleanup: (() => void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const closeAll = (): void => {
    for (const f of cleanup.splice(0).reverse()) {
      try {
        f();
      } catch {
        /* already gone */
      }
    }
  };
  try {
    const env = process.env.MFR_LAB_SANDBOX_LIB;
    const lib = env && existsSync(env) ? env : await libraryBundle(o.root);
    const bundle = join(dir, "student.cjs");
    const built = await studentBundle({ file: o.file, shown: o.shown, exercisesDir: o.exercisesDir, root: o.root, libraryBundle: lib, forbid: o.forbid ?? [], outfile: bundle });
    if (!built.ok) throw new SandboxError(`${o.shown} could not be loaded: ${built.message}`, "load");

    const toStudent = join(dir, "to-student");
    const fromStudent = join(dir, "from-student");
    execFileSync("mkfifo", ["-m", "600", toStudent, fromStudent]);
    const down = fifoPair(toStudent, false);
    const up = fifoPair(fromStudent, true);
    unlinkSync(toStudent);
    unlinkSync(fromStudent);
    const errPath = join(dir, "stderr.txt");
    const errFd = openSync(errPath, "w", 0o600);
    const cpuSeconds = Math.ceil(o.budgetMs / 1000) + 10;
    const nodeArgs = [
      permissionFlag(), `--allow-fs-read=${bundle}`, `--allow-fs-read=${lib}`, "--no-warnings", `--max-old-space-size=${heapMb}`, bundle,
    ];
    // The limits are the kernel's (setrlimit via the shell's ulimit), so no code in the process can lift them.
    const limits = `ulimit -v ${asMb * 1024} 2>/dev/null; ulimit -t ${cpuSeconds} 2>/dev/null; ulimit -f 16384 2>/dev/null; exec "$0" "$@"`;
    const child = spawn("/bin/sh", ["-c", limits, process.execPath, ...nodeArgs], {
      stdio: ["ignore", "ignore", errFd, down.theirs, up.theirs], detached: true, env: {}, cwd: dir,
    });
    child.on("error", () => undefined);
    closeSync(down.theirs);
    closeSync(up.theirs);
    closeSync(errFd);
    const pid = child.pid;
    if (pid === undefined) throw new SandboxError("the grader could not start a process for your code", "ended");
    child.unref();
    const killStudent = (): void => killGroup(pid);
    cleanup.push(killStudent);
    cleanup.push(() => closeSync(down.mine), () => closeSync(up.mine));
    if (runDir && existsSync(join(runDir, "pids"))) {
      // The grader ends every process listed here when grading ends, whatever happened to this one.
      const pidFile = join(runDir, "pids", String(pid));
      writeFileSync(pidFile, "");
      cleanup.push(() => rmSync(pidFile, { force: true }));
    }

    // The watchdog thread kills the student's process when a wait outlives the budget.
    const sab = new SharedArrayBuffer(24);
    const i32 = new Int32Array(sab, 0, 4);
    const f64 = new Float64Array(sab, 16, 1);
    Atomics.store(i32, 1, pid);
    const dog = new Worker(WATCHDOG, { eval: true, workerData: sab });
    dog.unref();
    cleanup.push(() => void dog.terminate());

    let spent = 0;
    let since = 0;
    let exitHow: string | undefined;
    let dead: SandboxError | undefined;
    const seconds = Math.round(o.budgetMs / 1000);
    const diagnose = (): SandboxError => {
      if (Atomics.load(i32, 2) === 1) return new SandboxError(`timed out after ${seconds} s — does your loop terminate?`, "timeout");
      if (exitHow) return new SandboxError(`your code ended the process it runs in (${exitHow}); return a value or throw an Error instead`, "ended");
      const err = tail(errPath);
      if (/heap out of memory|Reached heap limit|Allocation failed|bad_alloc|Cannot allocate memory/i.test(err)) {
        return new SandboxError(`your code ran out of memory: the grader gives it ${heapMb} MB of heap (and ${Math.round(asMb / 1024 * 10) / 10} GB in all)`, "memory");
      }
      if (process.env.MFR_LAB_SANDBOX_DEBUG) process.stderr.write(`[sandbox] student stderr:\n${err}\n`);
      const line = err.split("\n").map((l) => l.trim()).find((l) => l !== "");
      return new SandboxError(`the process running your code ended unexpectedly${line ? ` (${line.slice(0, 200)})` : ""}`, "ended");
    };
    const ch = new FdChannel(up.mine, down.mine, {
      beforeBlock: () => {
        since = Date.now();
        f64[0] = since + Math.max(0, o.budgetMs - spent);
        Atomics.store(i32, 0, 1);
      },
      afterBlock: () => {
        Atomics.store(i32, 0, 0);
        spent += Date.now() - since;
      },
      onClosed: () => {
        dead = diagnose();
        throw dead;
      },
    });
    let notice: { n: string; x?: unknown; e?: WireError } | undefined;
    const transport: SyncTransport = {
      send(text) {
        if (dead) throw dead;
        ch.send(text);
      },
      receive() {
        for (;;) {
          if (dead) throw dead;
          const text = ch.receive();
          if (!text.startsWith('{"n":')) return text;
          let n: { n?: unknown; how?: unknown; x?: unknown; e?: WireError };
          try {
            n = JSON.parse(text) as typeof n;
          } catch {
            throw (dead = new SandboxError("the process running your code sent something the grader cannot read", "protocol"));
          }
          // process.exit() calls process.reallyExit(): the first notice names what the student called.
          if (n.n === "exit") exitHow ??= String(n.how).slice(0, 100);
          else if ((n.n === "ready" || n.n === "load-error") && !notice) {
            notice = { n: n.n, x: n.x, e: n.e };
            return "";
          } else throw (dead = new SandboxError("the process running your code sent something the grader cannot read", "protocol"));
        }
      },
    };
    let deniedUse: string | undefined;
    const forbidden = (name: string): SandboxError =>
      new SandboxError(`${o.shown} uses the library's ${name}: this exercise asks you to write that logic yourself (the tests compare your answer with ${name})`, "forbidden");
    const ep = new Endpoint("j", transport, {
      allowSet: false,
      deniedMembers: new Set(o.forbid ?? []),
      deniedError: (name) => {
        deniedUse ??= name;
        return new Error(`this exercise asks you to write ${name} yourself`);
      },
      remoteError: (e) => (e.kind === "forbidden" ? forbidden(e.message) : undefined),
      afterResponse: () => {
        if (deniedUse !== undefined) throw forbidden(deniedUse);
      },
      protocolError: (e) => (dead = new SandboxError(`the process running your code broke the grader's protocol (${e.message})`, "protocol")),
    });
    const wrap = (e: unknown): never => {
      if (e instanceof ProtocolError) throw (dead = new SandboxError(`the process running your code broke the grader's protocol (${e.message})`, "protocol"));
      throw e;
    };
    cleanup.unshift(() => {
      dead ??= new SandboxError("grading of this exercise has ended", "ended");
    });
    try {
      transport.receive();
    } catch (e) {
      wrap(e);
    }
    if (!notice) throw new SandboxError("the process running your code broke the grader's protocol (its first message was not the module's exports)", "protocol");
    if (notice.n === "load-error") {
      const e = notice.e;
      if (e?.kind === "forbidden") throw forbidden(e.message);
      throw new SandboxError(`${o.shown} could not be loaded: ${e ? (e.kind === "error" ? e.message : `it threw ${e.message}`) : "unknown error"}`, "load");
    }
    let exports: unknown;
    try {
      exports = ep.decodeValue(notice.x);
    } catch (e) {
      wrap(e);
    }
    if (typeof exports !== "object" || exports === null) throw new SandboxError(`${o.shown} did not export anything`, "load");
    live.add(closeAll);
    cleanup.push(() => live.delete(closeAll));
    if (!exitHooked) {
      exitHooked = true;
      process.once("exit", () => {
        for (const f of [...live]) f();
      });
    }
    return { exports: exports as Record<string, unknown>, pid, close: closeAll };
  } catch (e) {
    closeAll();
    throw e;
  }
}

export { RemoteError };
