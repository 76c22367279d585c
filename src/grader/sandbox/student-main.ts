// Runs inside the student's process, and nowhere else: loads the student's module and answers the
// judge's requests on fds 3 (in) and 4 (out). The process has no file-system access beyond its two
// bundles, no child processes and no workers (Node's permission model), no sockets and no signals
// to other processes (doors.ts), a memory cap, and no channel to the grader but these two
// descriptors: whatever the student's code does here, the verdict is computed elsewhere.
import { closeDoors } from "./doors.js";
import { FdChannel } from "./frames.js";
import { Endpoint } from "./rpc.js";
import { describeThrown, type WireError } from "./wire.js";

/** The first denied library name the student's code touched (sticky: every later answer fails). */
let forbiddenUse: string | undefined;
const poisons = new Map<string, unknown>();

/** A stand-in for a library name the exercise asks the student to write: any use of it fails. */
export function poison(name: string): unknown {
  let p = poisons.get(name);
  if (p) return p;
  const trip = (): never => {
    forbiddenUse ??= name;
    throw new Error(`this exercise asks you to write ${name} yourself`);
  };
  p = new Proxy(function () {}, {
    get: trip, set: trip, has: trip, apply: trip, construct: trip, ownKeys: trip, getPrototypeOf: trip,
    getOwnPropertyDescriptor: trip, defineProperty: trip, deleteProperty: trip, setPrototypeOf: trip,
  });
  poisons.set(name, p);
  return p;
}

/** A library module as the student's code sees it: the real exports, with `forbid` poisoned. */
export function shim(real: Record<string, unknown> | undefined, forbid: readonly string[]): object {
  const out = {};
  Object.defineProperty(out, "__esModule", { value: true });
  for (const k of Object.keys(real ?? {})) {
    if (!forbid.includes(k)) Object.defineProperty(out, k, { get: () => real![k], enumerable: true });
  }
  for (const k of forbid) Object.defineProperty(out, k, { get: () => poison(k), enumerable: true });
  return out;
}

/** The student's process: load the module, say "ready" with its exports, then serve requests. */
export function main(load: () => unknown): void {
  const stringify = JSON.stringify;
  const send = (ch: FdChannel, msg: object): void => ch.send(stringify(msg));
  const proc = process as unknown as Record<string, (...a: unknown[]) => never>;
  const realExit = proc.reallyExit.bind(process) as (code?: number) => never;
  // The judge closed the channel: grading of this exercise is over.
  const ch = new FdChannel(3, 4, { onClosed: () => realExit(0) });
  // Say how the process ends when the student's code ends it, so the judge can name it.
  for (const k of ["exit", "reallyExit", "abort"] as const) {
    const orig = proc[k].bind(process);
    proc[k] = (...a: unknown[]) => {
      try {
        send(ch, { n: "exit", how: `process.${k}(${a.map((x) => String(x)).join(", ")})` });
      } catch {
        /* the judge is gone */
      }
      return orig(...a);
    };
  }
  closeDoors();
  // Console output is not shown anywhere while grading; keep it from filling a pipe or a disk.
  for (const k of ["log", "info", "warn", "error", "debug", "trace", "dir", "table"] as const) (console as unknown as Record<string, unknown>)[k] = () => undefined;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;

  const ep = new Endpoint("s", ch, {
    allowSet: true,
    pendingError: (): WireError | undefined => (forbiddenUse !== undefined ? { name: "Error", message: forbiddenUse, kind: "forbidden" } : undefined),
  });
  let mod: unknown;
  try {
    mod = load();
  } catch (e) {
    const err = forbiddenUse !== undefined ? { name: "Error", message: forbiddenUse, kind: "forbidden" } : describeThrown(e);
    send(ch, { n: "load-error", e: err });
    for (;;) ch.receive(); // until the judge closes the channel
  }
  let exportsWire: unknown;
  try {
    exportsWire = ep.encodeValue(mod);
  } catch (e) {
    send(ch, { n: "load-error", e: describeThrown(e) });
    for (;;) ch.receive();
  }
  send(ch, { n: "ready", x: exportsWire });
  ep.serveForever();
}
