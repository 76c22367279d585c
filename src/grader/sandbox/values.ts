// Values on the grader's bridge (rpc.ts). Plain data is copied; each plain container (array,
// plain object, Map, Set) carries its owner's tag, so the same object sent twice is the same
// object on the other side, and a copy sent back is the original again. Class instances and
// functions are not values: the endpoint sends them by handle (HandleTable). Decoding never sets
// a prototype and caps the size of what it builds.
import { isPlainArray, isPlainObject, kindOf, MAX_NODES, ProtocolError, TYPED, type SideCode } from "./wire.js";

/** How objects that are not values cross: by handle, owned by the endpoint. */
export interface HandleTable {
  encode(obj: object, home?: object): unknown[];
  decode(w: unknown[]): object;
  isRemote(obj: object): boolean;
}

export interface EncodeState { seen: Map<object, number>; nodes: number }
export interface DecodeState { objects: Map<string, object>; nodes: number; fresh: boolean }
export const encodeState = (): EncodeState => ({ seen: new Map(), nodes: 0 });
export const decodeState = (fresh = false): DecodeState => ({ objects: new Map(), nodes: 0, fresh });

export class ValueCodec {
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

  constructor(private readonly side: SideCode, private readonly handles: HandleTable) {
    this.other = side === "j" ? "s" : "j";
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

  encode(v: unknown, st: EncodeState, home?: object): unknown {
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
        return this.handles.encode(v, home);
    }
    if (v === null) return null;
    const obj = v as object;
    if (this.handles.isRemote(obj)) return this.handles.encode(obj);
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
    return this.handles.encode(obj);
  }

  /**
   * Decodes one value. A container the other side owns becomes this side's copy of it: the same
   * copy object every time (updated to what was sent), so identity checks hold across calls. A
   * container this side owns comes back as the original, unchanged. With `st.fresh` (the final
   * state of a call's arguments) every container is built anew, to be copied into the originals.
   */
  decode(w: unknown, st: DecodeState): unknown {
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
      case "H":
        return this.handles.decode(w);
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
  isCopy(x: unknown): x is object {
    if (typeof x !== "object" || x === null || this.handles.isRemote(x)) return false;
    return isPlainArray(x) || isPlainObject(x) || x instanceof Map || x instanceof Set;
  }

  /** Copies the state `after` (what the other side left in its copy of an argument) into `orig`. */
  restore(orig: unknown, after: unknown, done: Set<object>): void {
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
