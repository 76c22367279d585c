// The grader's bridge between two processes: the judge (the exercise's tests, which compute every
// expected value) and the student's process (which only runs the student's code). Each side sees
// the other's objects through proxies; every property read, call and `new` is one synchronous
// request over a byte channel (SyncTransport). Plain data (numbers, strings, arrays, plain objects,
// Map, Set, typed arrays) is copied; class instances and functions stay where they live and are
// reached by handle, so identity survives a round trip (`affectedAreas(ctx, …)[0] === area`).
//
// Everything received is untrusted: decoding never sets a prototype, ids are checked, sizes are
// capped, and a malformed message is a ProtocolError, never a crash of the judge.

/** One synchronous channel: send a message, and block until the next one arrives. */
export interface SyncTransport {
  send(text: string): void;
  /** The next message; throws when the other side is gone or the time budget is spent. */
  receive(): string;
}

export type SideCode = "j" | "s";

// Captured before any student code runs: a student's file that replaces JSON.stringify (or
// breaks it by accident) must not break the bridge that reports its answers.
const { stringify, parse: parseJson } = JSON;

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

type Op = "get" | "set" | "call" | "inv" | "new" | "keys" | "has";
interface Request { q: number; op: Op; h: number; k?: string; a?: unknown[]; v?: unknown }
interface Response { r: number; v?: unknown; o?: unknown[]; e?: WireError }

/** Largest message either side accepts (a student returning gigabytes fails, the judge does not). */
export const MAX_MESSAGE_CHARS = 64 * 1024 * 1024;
const MAX_NODES = 2_000_000;
const TYPED = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array"] as const;
/** Members never served to the other side: they lead to constructors and prototypes. */
const ALWAYS_DENIED = new Set(["constructor", "__proto__", "prototype", "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__"]);

function isPlainObject(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

function isPlainArray(v: object): v is unknown[] {
  return Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype;
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

interface EncodeState { seen: Map<object, number>; nodes: number }
interface DecodeState { objects: Map<string, object>; nodes: number; fresh: boolean }
const decodeState = (fresh = false): DecodeState => ({ objects: new Map(), nodes: 0, fresh });

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
  private readonly other: SideCode;
  // Plain containers keep their identity across the bridge: each carries its owner's tag.
  private nextTag = 1;
  private readonly ownTags = new WeakMap<object, number>();
  private readonly ownByTag = new Map<number, WeakRef<object>>();
  private readonly copyTags = new WeakMap<object, number>();
  private readonly copyByTag = new Map<number, WeakRef<object>>();
  private readonly symbols = new Map<symbol, [SideCode, number]>();
  private readonly symbolsByKey = new Map<string, symbol>();
  private readonly gone = new FinalizationRegistry<string>((key) => {
    const [owner, t] = key.split(":");
    const map = owner === this.side ? this.ownByTag : this.copyByTag;
    if (map.get(Number(t))?.deref() === undefined) map.delete(Number(t));
  });

  constructor(readonly side: SideCode, private readonly transport: SyncTransport, private readonly policy: EndpointPolicy) {
    this.other = side === "j" ? "s" : "j";
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
    return this.encode(v, { seen: new Map(), nodes: 0 });
  }

  /** Decodes a value sent by the other side. */
  decodeValue(w: unknown): unknown {
    return this.decode(w, decodeState());
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
    const st: EncodeState = { seen: new Map(), nodes: 0 };
    const msg: Request = { q, op, h };
    if (extra.k !== undefined) msg.k = extra.k;
    if (args) msg.a = args.map((x) => this.encode(x, st));
    if ("v" in extra) msg.v = this.encode(extra.v, st);
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
      const v = this.decode(m.v, decodeState());
      if (args && Array.isArray(m.o) && m.o.length === args.length) {
        const fresh = decodeState(true);
        const after = m.o.map((x) => this.decode(x, fresh));
        for (let i = 0; i < args.length; i++) this.restore(args[i], after[i], new Set());
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
      const args = Array.isArray(m.a) ? m.a.map((x) => this.decode(x, dst)) : [];
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
          Object.defineProperty(o, this.member(m.k), { value: this.decode(m.v, dst), writable: true, enumerable: true, configurable: true });
          value = true;
          break;
        case "call": {
          if (typeof obj !== "function") throw new ProtocolError("call of something that is not a function");
          const self = m.v === undefined ? home : this.decode(m.v, dst);
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
        const st: EncodeState = { seen: new Map(), nodes: 0 };
        resp = { r: m.q, v: this.encode(value, st) };
        // Arguments are copies here: send their final state so the caller's objects see the changes.
        if (mutable && args.some((x) => this.isCopy(x))) {
          resp.o = args.map((x) => this.encode(x, { seen: new Map(), nodes: 0 }));
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

  /** Owner and tag of a container: a copy of the other side's keeps its original's tag. */
  private tagOf(obj: object): [SideCode, number] {
    const copy = this.copyTags.get(obj);
    if (copy !== undefined) return [this.other, copy];
    let t = this.ownTags.get(obj);
    if (t === undefined) {
      t = this.nextTag++;
      this.ownTags.set(obj, t);
      this.ownByTag.set(t, new WeakRef(obj));
      this.gone.register(obj, `${this.side}:${t}`);
    }
    return [this.side, t];
  }

  private encode(v: unknown, st: EncodeState, home?: object): unknown {
    if (++st.nodes > MAX_NODES) throw new RangeError("the value is too large to send (more than 2,000,000 parts)");
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "number":
        return Number.isFinite(v) && !Object.is(v, -0) ? v : ["N", Object.is(v, -0) ? "-0" : String(v)];
      case "undefined":
        return ["U"];
      case "bigint":
        return ["I", v.toString()];
      case "symbol": {
        let t = this.symbols.get(v);
        if (t === undefined) this.symbols.set(v, (t = [this.side, this.nextTag++]));
        return ["Y", t[0], t[1], v.description ?? ""];
      }
      case "function":
        return this.handleOf(v, home);
    }
    if (v === null) return null;
    const obj = v as object;
    if (this.remoteIds.get(obj) !== undefined) return this.handleOf(obj);
    const kind = isPlainArray(obj) ? "A" : obj instanceof Map ? "M" : obj instanceof Set ? "S" : isPlainObject(obj) ? "O" : undefined;
    if (kind) {
      const [owner, tag] = this.tagOf(obj);
      if (st.seen.has(obj)) return ["R", owner, tag];
      st.seen.set(obj, tag);
      const out: unknown[] = [kind, owner, tag];
      if (kind === "A") for (let i = 0; i < (obj as unknown[]).length; i++) out.push(this.encode((obj as unknown[])[i], st));
      else if (kind === "O") for (const k of Object.keys(obj)) out.push(k, this.encode((obj as Record<string, unknown>)[k], st, obj));
      else if (kind === "M") for (const [k, x] of obj as Map<unknown, unknown>) out.push(this.encode(k, st), this.encode(x, st));
      else for (const x of obj as Set<unknown>) out.push(this.encode(x, st));
      return out;
    }
    if (obj instanceof Date) return ["D", obj.getTime()];
    if (obj instanceof RegExp) return ["X", obj.source, obj.flags];
    const tname = (TYPED as readonly string[]).find((n) => obj instanceof (globalThis as unknown as Record<string, new () => object>)[n]);
    if (tname) return ["T", tname, Array.from(obj as unknown as ArrayLike<number>, (x) => this.encode(x, st))];
    return this.handleOf(obj);
  }

  /**
   * Decodes one value. A container the other side owns becomes this side's copy of it: the same
   * copy object every time (updated to what was sent), so identity checks hold across calls. A
   * container this side owns comes back as the original, unchanged. With `st.fresh` (the final
   * state of a call's arguments) every container is built anew, to be copied into the originals.
   */
  private decode(w: unknown, st: DecodeState): unknown {
    if (w === null || typeof w === "string" || typeof w === "boolean") return w;
    if (typeof w === "number") return w;
    if (!Array.isArray(w) || typeof w[0] !== "string") throw new ProtocolError("a value had an unknown shape");
    if (++st.nodes > MAX_NODES) throw new ProtocolError("a value had too many parts");
    switch (w[0]) {
      case "U":
        return undefined;
      case "N":
        return w[1] === "-0" ? -0 : Number(w[1]);
      case "I":
        try {
          return BigInt(String(w[1]));
        } catch {
          throw new ProtocolError("a bigint was malformed");
        }
      case "Y": {
        const key = `${String(w[1])}:${String(w[2])}`;
        let sym = this.symbolsByKey.get(key);
        if (!sym) {
          sym = Symbol(String(w[3]));
          this.symbolsByKey.set(key, sym);
          this.symbols.set(sym, [w[1] === "j" ? "j" : "s", Number(w[2])]);
        }
        return sym;
      }
      case "A":
      case "O":
      case "M":
      case "S":
        return this.decodeContainer(w, st);
      case "R": {
        const o = st.objects.get(`${String(w[1])}:${String(w[2])}`);
        if (!o) throw new ProtocolError("a back-reference named nothing sent before");
        return o;
      }
      case "D":
        return new Date(Number(w[1]));
      case "X":
        try {
          return new RegExp(String(w[1]), String(w[2]));
        } catch {
          throw new ProtocolError("a RegExp was malformed");
        }
      case "T": {
        if (!(TYPED as readonly string[]).includes(String(w[1])) || !Array.isArray(w[2])) throw new ProtocolError("a typed array was malformed");
        const C = (globalThis as unknown as Record<string, new (x: number[]) => object>)[String(w[1])];
        return new C((w[2] as unknown[]).map((x) => Number(this.decode(x, st))));
      }
      case "H": {
        const [, owner, id, kind, methods] = w as [string, string, number, string, unknown];
        if (owner === this.side) return this.target(id).obj;
        if (owner !== this.other || typeof id !== "number" || (kind !== "f" && kind !== "o")) throw new ProtocolError("a handle was malformed");
        return this.proxy(id, kind, Array.isArray(methods) ? methods.filter((x): x is string => typeof x === "string").slice(0, 500) : []);
      }
      default:
        throw new ProtocolError(`a value had the unknown tag ${JSON.stringify(w[0]).slice(0, 20)}`);
    }
  }

  private decodeContainer(w: unknown[], st: DecodeState): object {
    const [kind, owner, tag] = w as [string, unknown, unknown];
    if ((owner !== "j" && owner !== "s") || typeof tag !== "number") throw new ProtocolError("a container had no owner or tag");
    const key = `${owner}:${tag}`;
    const blank = (): object => (kind === "A" ? [] : kind === "M" ? new Map() : kind === "S" ? new Set() : {});
    let target: object;
    let apply = true;
    if (st.fresh) target = blank();
    else if (owner === this.side) {
      // Ours, coming back: the original, as this side has it (the other side cannot change it this way).
      const orig = this.ownByTag.get(tag)?.deref();
      if (orig && kindOf(orig) === kindOf(blank())) {
        target = orig;
        apply = false;
      } else target = blank();
    } else {
      const copy = this.copyByTag.get(tag)?.deref();
      if (copy && kindOf(copy) === kindOf(blank())) target = copy;
      else {
        target = blank();
        this.copyTags.set(target, tag);
        this.copyByTag.set(tag, new WeakRef(target));
        this.gone.register(target, `${this.other}:${tag}`);
      }
    }
    st.objects.set(key, target);
    const items: unknown[] = [];
    for (let i = 3; i < w.length; i++) items.push(this.decode(w[i], st));
    if (!apply) return target;
    if (kind === "A") {
      const a = target as unknown[];
      a.length = 0;
      for (const x of items) a.push(x);
    } else if (kind === "M") {
      const m = target as Map<unknown, unknown>;
      m.clear();
      for (let i = 0; i + 1 < items.length; i += 2) m.set(items[i], items[i + 1]);
    } else if (kind === "S") {
      const s = target as Set<unknown>;
      s.clear();
      for (const x of items) s.add(x);
    } else {
      for (const k of Object.keys(target)) delete (target as Record<string, unknown>)[k];
      // defineProperty: a key "__proto__" becomes an own property, never a prototype.
      for (let i = 0; i + 1 < items.length; i += 2) Object.defineProperty(target, String(items[i]), { value: items[i + 1], writable: true, enumerable: true, configurable: true });
    }
    return target;
  }

  /** A plain container decoded here (a copy), not a proxy of the other side's object. */
  private isCopy(x: unknown): x is object {
    if (typeof x !== "object" || x === null || this.remoteIds.get(x) !== undefined) return false;
    return isPlainArray(x) || isPlainObject(x) || x instanceof Map || x instanceof Set;
  }

  /** Copies the state `after` (what the other side left in its copy of an argument) into `orig`. */
  private restore(orig: unknown, after: unknown, done: Set<object>): void {
    if (!this.isCopy(orig) || !this.isCopy(after) || done.has(orig)) return;
    done.add(orig);
    const setKey = (o: object, k: string, v: unknown): void => {
      const cur = (o as Record<string, unknown>)[k];
      if (this.isCopy(cur) && this.isCopy(v) && kindOf(cur) === kindOf(v)) this.restore(cur, v, done);
      else Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
    };
    try {
      if (kindOf(orig) !== kindOf(after)) return;
      if (isPlainArray(orig) && isPlainArray(after)) {
        orig.length = after.length;
        for (let i = 0; i < after.length; i++) setKey(orig, String(i), after[i]);
      } else if (orig instanceof Map && after instanceof Map) {
        orig.clear();
        for (const [k, v] of after) orig.set(k, v);
      } else if (orig instanceof Set && after instanceof Set) {
        orig.clear();
        for (const v of after) orig.add(v);
      } else {
        for (const k of Object.keys(orig)) if (!Object.prototype.hasOwnProperty.call(after, k)) delete (orig as Record<string, unknown>)[k];
        for (const k of Object.keys(after)) setKey(orig, k, (after as Record<string, unknown>)[k]);
      }
    } catch {
      /* a frozen argument stays as it was */
    }
  }
}

function kindOf(x: object): string {
  return Array.isArray(x) ? "array" : x instanceof Map ? "map" : x instanceof Set ? "set" : "object";
}

/** Method names of a class instance (functions on its prototype chain below Object.prototype). */
function methodsOf(obj: object): string[] {
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
