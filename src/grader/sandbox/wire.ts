// What crosses the grader's bridge (rpc.ts) besides values: the channel, errors, limits and the
// helpers both sides share. Runs in the judge and in the student's process.

/** One synchronous channel: send a message, and block until the next one arrives. */
export interface SyncTransport {
  send(text: string): void;
  /** The next message; throws when the other side is gone or the time budget is spent. */
  receive(): string;
}

export type SideCode = "j" | "s";

// Captured before any student code runs: a student's file that replaces JSON.stringify (or
// breaks it by accident) must not break the bridge that reports its answers.
export const { stringify, parse: parseJson } = JSON;

/** A thrown value as it crosses the channel. */
export interface WireError {
  name: string;
  message: string;
  /** "error": an Error; "value": something else was thrown; "forbidden": a denied library name was used. */
  kind: "error" | "value" | "forbidden";
}

/** An error thrown on the other side, re-thrown here with its name and message. */
export class RemoteError extends Error {
  constructor(name: string, message: string, readonly kind: WireError["kind"]) {
    super(message);
    this.name = /^[\w$.]{1,60}$/.test(name) ? name : "Error";
  }
}

/** The other side sent something that is not this protocol. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** Largest message either side accepts (a student returning gigabytes fails, the judge does not). */
export const MAX_MESSAGE_CHARS = 64 * 1024 * 1024;
export const MAX_NODES = 2_000_000;
export const TYPED = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array"] as const;

export function isPlainObject(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

export function isPlainArray(v: object): v is unknown[] {
  return Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype;
}

export function kindOf(x: object): string {
  return Array.isArray(x) ? "array" : x instanceof Map ? "map" : x instanceof Set ? "set" : "object";
}

/** Describes any thrown value without ever throwing (objects without a prototype, hostile getters, proxies). */
export function describeThrown(e: unknown): WireError {
  try {
    if (e instanceof Error || (typeof e === "object" && e !== null && typeof (e as Error).message === "string" && typeof (e as Error).name === "string" && Object.getPrototypeOf(e) !== null)) {
      const err = e as Error;
      return { name: String(err.name).slice(0, 60), message: String(err.message).slice(0, 2000), kind: "error" };
    }
    if (e === null || e === undefined || typeof e !== "object") {
      return { name: typeof e, message: `${typeof e === "string" ? stringify(e) : String(e)}`.slice(0, 500), kind: "value" };
    }
    const proto = Object.getPrototypeOf(e);
    let shown: string;
    try {
      shown = stringify(e) ?? "?";
    } catch {
      shown = "{…}";
    }
    return { name: "value", message: `${proto === null ? "an object with no prototype" : "an object that is not an Error"}: ${shown.slice(0, 300)}`, kind: "value" };
  } catch {
    return { name: "value", message: "a value that cannot be shown", kind: "value" };
  }
}

/** Method names of a class instance (functions on its prototype chain below Object.prototype). */
export function methodsOf(obj: object): string[] {
  const out: string[] = [];
  try {
    for (let p = Object.getPrototypeOf(obj); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      for (const k of Object.getOwnPropertyNames(p)) {
        if (k === "constructor" || out.includes(k) || Object.prototype.hasOwnProperty.call(obj, k)) continue;
        const d = Object.getOwnPropertyDescriptor(p, k);
        if (d && typeof d.value === "function") out.push(k);
      }
    }
  } catch {
    /* an exotic object: no shortcut, every member is a plain read */
  }
  return out;
}
