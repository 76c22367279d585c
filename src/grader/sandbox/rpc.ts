// The grader's bridge between two processes: the judge (the exercise's tests, which compute every
// expected value) and the student's process (which only runs the student's code). Each side sees
// the other's objects through proxies; every property read, call and `new` is one synchronous
// request over a byte channel (SyncTransport). Plain data (numbers, strings, arrays, plain objects,
// Map, Set, typed arrays) is copied; class instances and functions stay where they live and are
// reached by handle, so identity survives a round trip (`affectedAreas(ctx, …)[0] === area`).
//
// Everything received is untrusted: decoding never sets a prototype, ids are checked, sizes are
// capped, and a malformed message is a ProtocolError, never a crash of the judge.

import { describeThrown, methodsOf, parseJson, ProtocolError, RemoteError, stringify, MAX_MESSAGE_CHARS, type SideCode, type SyncTransport, type WireError } from "./wire.js";
import { decodeState, encodeState, ValueCodec } from "./values.js";

/** What one side lets the other do with its objects. */
export interface EndpointPolicy {
  /** Member names the other side may not read or call (e.g. the library's finished functions). */
  deniedMembers?: ReadonlySet<string>;
  /** The error to send instead of a denied member's value. */
  deniedError?: (name: string) => Error;
  /** May the other side assign properties of this side's objects? */
  allowSet: boolean;
  /** An error to send instead of the next successful response (set by the student's runner). */
  pendingError?: () => WireError | undefined;
  /** The error to throw for one the other side sent (default: a RemoteError). */
  remoteError?: (e: WireError) => Error | undefined;
  /** Called when the answer to one of this side's requests has arrived; may throw instead of returning it. */
  afterResponse?: () => void;
  /** The error to throw when the other side breaks the protocol (default: the ProtocolError). */
  protocolError?: (e: ProtocolError) => Error;
}

type Op = "get" | "set" | "call" | "inv" | "new" | "keys" | "has";
interface Request { q: number; op: Op; h: number; k?: string; a?: unknown[]; v?: unknown }
interface Response { r: number; v?: unknown; o?: unknown[]; e?: WireError }

/** Members never served to the other side: they lead to constructors and prototypes. */
const ALWAYS_DENIED = new Set(["constructor", "__proto__", "prototype", "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__"]);

/**
 * One side of the bridge. `side` is "j" (judge) or "s" (student). Objects this side hands out are
 * kept in `exported` by id; the other side's objects are represented here by proxies.
 */
export class Endpoint {
  private nextRequest = 1;
  private nextId = 1;
  private readonly exported = new Map<number, { obj: object; home?: object }>();
  private readonly ids = new Map<object, number>();
  private readonly proxies = new Map<number, object>();
  private readonly remoteIds = new WeakMap<object, number>();
  private readonly other: SideCode;  private readonly values: ValueCodec;

  constructor(readonly side: SideCode, private readonly transport: SyncTransport, private readonly policy: EndpointPolicy) {
    this.other = side === "j" ? "s" : "j";
    this.values = new ValueCodec(side, {
      encode: (obj, home) => this.handleOf(obj, home),
      decode: (w) => this.decodeHandle(w),
      isRemote: (obj) => this.remoteIds.get(obj) !== undefined,
    });
  }

  /** Serves requests until the other side closes the channel (the student's main loop). */
  serveForever(): never {
    for (;;) {
      const m = this.parse(this.transport.receive());
      if (!("q" in m)) throw new ProtocolError("a response arrived with no request outstanding");
      this.serve(m);
    }
  }

  /** Encodes a value for the other side (used for the first message: the student's exports). */
  encodeValue(v: unknown): unknown {
    return this.values.encode(v, encodeState());
  }

  /** Decodes a value sent by the other side. */
  decodeValue(w: unknown): unknown {
    return this.values.decode(w, decodeState());
  }

  parse(text: string): Request | Response {
    if (typeof text !== "string" || text.length > MAX_MESSAGE_CHARS) throw new ProtocolError("a message was too large");
    let m: unknown;
    try {
      m = parseJson(text);
    } catch {
      throw new ProtocolError("a message was not JSON");
    }
    if (typeof m !== "object" || m === null || Array.isArray(m)) throw new ProtocolError("a message was not an object");
    const o = m as Record<string, unknown>;
    if (typeof o.q === "number") {
      if (typeof o.op !== "string" || typeof o.h !== "number") throw new ProtocolError("a request without op or target");
      return o as unknown as Request;
    }
    if (typeof o.r === "number") return o as unknown as Response;
    throw new ProtocolError("a message was neither a request nor a response");
  }

  // --- requests to the other side -------------------------------------------------------------

  private request(op: Op, h: number, extra: { k?: string; v?: unknown }, args?: unknown[]): unknown {
    try {
      return this.exchange(op, h, extra, args);
    } catch (e) {
      if (e instanceof ProtocolError && this.policy.protocolError) throw this.policy.protocolError(e);
      throw e;
    }
  }

  private exchange(op: Op, h: number, extra: { k?: string; v?: unknown }, args?: unknown[]): unknown {
    const q = this.nextRequest++;
    const st = encodeState();
    const msg: Request = { q, op, h };
    if (extra.k !== undefined) msg.k = extra.k;
    if (args) msg.a = args.map((x) => this.values.encode(x, st));
    if ("v" in extra) msg.v = this.values.encode(extra.v, st);
    this.transport.send(stringify(msg));
    for (;;) {
      const m = this.parse(this.transport.receive());
      if ("q" in m) {
        this.serve(m);
        continue;
      }
      if (m.r !== q) throw new ProtocolError(`response ${m.r} arrived while waiting for ${q}`);
      this.policy.afterResponse?.();
      if (m.e) {
        const e: WireError = {
          name: typeof m.e.name === "string" ? m.e.name : "Error",
          message: typeof m.e.message === "string" ? m.e.message.slice(0, 2000) : "?",
          kind: m.e.kind === "forbidden" || m.e.kind === "value" ? m.e.kind : "error",
        };
        throw this.policy.remoteError?.(e) ?? new RemoteError(e.name, e.message, e.kind);
      }
      const v = this.values.decode(m.v, decodeState());
      if (args && Array.isArray(m.o) && m.o.length === args.length) {
        const fresh = decodeState(true);
        const after = m.o.map((x) => this.values.decode(x, fresh));
        for (let i = 0; i < args.length; i++) this.values.restore(args[i], after[i], new Set());
      }
      return v;
    }
  }

  /** The proxy standing for the other side's object `id`. */
  private proxy(id: number, kind: "f" | "o", methods: string[]): object {
    const have = this.proxies.get(id);
    if (have) return have;
    const ep = this;
    const methodSet = new Set(methods);
    const bound = new Map<string, (...a: unknown[]) => unknown>();
    // A function target, so a remote class can be called and constructed; `typeof` says "object" for objects.
    const target: object = kind === "f" ? function () {} : {};
    const p: object = new Proxy(target, {
      get(t, k) {
        if (typeof k === "symbol") return undefined;
        if (methodSet.has(k)) {
          let f = bound.get(k);
          if (!f) bound.set(k, (f = (...a: unknown[]) => ep.request("inv", id, { k }, a)));
          return f;
        }
        if (kind === "f" && (k === "prototype" || k === "length" || k === "name")) return Reflect.get(t, k);
        return ep.request("get", id, { k });
      },
      set(_t, k, v) {
        if (typeof k === "symbol") return false;
        ep.request("set", id, { k, v });
        return true;
      },
      has(_t, k) {
        return typeof k === "string" && ep.request("has", id, { k }) === true;
      },
      ownKeys(t) {
        const keys = ep.request("keys", id, {});
        const own = Array.isArray(keys) ? keys.filter((k): k is string => typeof k === "string") : [];
        // A proxy must list its target's non-configurable keys (a function's "prototype").
        for (const k of Reflect.ownKeys(t)) if (!Reflect.getOwnPropertyDescriptor(t, k)?.configurable && !own.includes(k as string)) own.push(k as string);
        return own;
      },
      getOwnPropertyDescriptor(t, k) {
        const d = Reflect.getOwnPropertyDescriptor(t, k);
        if (d && !d.configurable) return d;
        if (typeof k === "symbol" || ep.request("has", id, { k }) !== true) return undefined;
        return { value: ep.request("get", id, { k }), writable: true, enumerable: true, configurable: true };
      },
      apply(_t, thisArg, a) {
        const self = thisArg !== undefined && ep.remoteIds.get(thisArg as object) !== undefined ? thisArg : undefined;
        return ep.request("call", id, self !== undefined ? { v: self } : {}, a);
      },
      construct(_t, a) {
        return ep.request("new", id, {}, a) as object;
      },
      defineProperty() {
        return false;
      },
      deleteProperty() {
        return false;
      },
    });
    this.proxies.set(id, p);
    this.remoteIds.set(p, id);
    return p;
  }

  // --- serving the other side's requests -------------------------------------------------------

  private target(h: number): { obj: object; home?: object } {
    const t = typeof h === "number" ? this.exported.get(h) : undefined;
    if (!t) throw new ProtocolError(`request for unknown object ${String(h)}`);
    return t;
  }

  private member(k: unknown): string {
    if (typeof k !== "string") throw new ProtocolError("a member name was not a string");
    if (ALWAYS_DENIED.has(k)) throw new RemoteError("TypeError", `${k} is not available through the grader's bridge`, "error");
    if (this.policy.deniedMembers?.has(k)) throw this.policy.deniedError?.(k) ?? new RemoteError("Error", `${k} is not available to the other side`, "error");
    return k;
  }

  private serve(m: Request): void {
    let resp: Response;
    try {
      const { obj, home } = this.target(m.h);
      const dst = decodeState();
      const args = Array.isArray(m.a) ? m.a.map((x) => this.values.decode(x, dst)) : [];
      const o = obj as Record<string, unknown>;
      let value: unknown;
      let mutable = false;
      switch (m.op) {
        case "get":
          value = o[this.member(m.k)];
          break;
        case "has":
          value = this.member(m.k) in o;
          break;
        case "keys":
          value = Object.keys(o);
          break;
        case "set":
          if (!this.policy.allowSet) throw new RemoteError("TypeError", `the grader's objects are read-only: your code cannot assign ${String(m.k)}`, "error");
          Object.defineProperty(o, this.member(m.k), { value: this.values.decode(m.v, dst), writable: true, enumerable: true, configurable: true });
          value = true;
          break;
        case "call": {
          if (typeof obj !== "function") throw new ProtocolError("call of something that is not a function");
          const self = m.v === undefined ? home : this.values.decode(m.v, dst);
          value = Reflect.apply(obj as (...a: unknown[]) => unknown, self, args);
          mutable = true;
          break;
        }
        case "inv": {
          const f = o[this.member(m.k)];
          if (typeof f !== "function") throw new RemoteError("TypeError", `${String(m.k)} is not a function`, "error");
          value = Reflect.apply(f as (...a: unknown[]) => unknown, obj, args);
          mutable = true;
          break;
        }
        case "new":
          if (typeof obj !== "function") throw new ProtocolError("new of something that is not a constructor");
          value = Reflect.construct(obj as new (...a: unknown[]) => unknown, args);
          mutable = true;
          break;
        default:
          throw new ProtocolError(`unknown operation ${String(m.op)}`);
      }
      const pending = this.policy.pendingError?.();
      if (pending) resp = { r: m.q, e: pending };
      else {
        const st = encodeState();
        resp = { r: m.q, v: this.values.encode(value, st) };
        // Arguments are copies here: send their final state so the caller's objects see the changes.
        if (mutable && args.some((x) => this.values.isCopy(x))) {
          resp.o = args.map((x) => this.values.encode(x, encodeState()));
        }
      }
    } catch (e) {
      if (e instanceof ProtocolError) throw e;
      resp = { r: m.q, e: this.policy.pendingError?.() ?? describeThrown(e) };
    }
    this.transport.send(stringify(resp));
  }

  // --- values on the wire -------------------------------------------------------------------------

  private handleOf(obj: object, home?: object): unknown[] {
    const remote = this.remoteIds.get(obj);
    if (remote !== undefined) return ["H", this.other, remote];
    let id = this.ids.get(obj);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(obj, id);
      this.exported.set(id, { obj, home });
    }
    if (typeof obj === "function") return ["H", this.side, id, "f"];
    // Denied members are left out of the shortcut list, so reaching them goes through serve().
    const denied = this.policy.deniedMembers;
    return ["H", this.side, id, "o", denied ? methodsOf(obj).filter((k) => !denied.has(k)) : methodsOf(obj)];
  }


  private decodeHandle(w: unknown[]): object {
    const [, owner, id, kind, methods] = w as [string, string, number, string, unknown];
    if (owner === this.side) return this.target(id).obj;
    if (owner !== this.other || typeof id !== "number" || (kind !== "f" && kind !== "o")) throw new ProtocolError("a handle was malformed");
    return this.proxy(id, kind, Array.isArray(methods) ? methods.filter((x): x is string => typeof x === "string").slice(0, 500) : []);
  }
}
