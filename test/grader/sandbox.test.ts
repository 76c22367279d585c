// The sandbox the grader runs a student's code in (src/grader/sandbox): the student's code runs in
// another process, so nothing it patches reaches the judge; it cannot write files, start processes
// or read what it was not given; it has a memory cap and a time budget; every way it can end or
// throw gets one clear message; and objects crossing the bridge keep their identity.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LruTlb, Machine } from "../../src/index.js";
import { openSandbox, SandboxError, type Sandbox } from "../../src/grader/sandbox/judge.js";
import { RemoteError } from "../../src/grader/sandbox/wire.js";

const ROOT = join(__dirname, "..", "..");
const base = mkdtempSync(join(tmpdir(), "mfr-lab-sandbox-test-"));
symlinkSync(join(ROOT, "src"), join(base, "src"), "dir");
mkdirSync(join(base, "exercises", "x", ".meta"), { recursive: true });
writeFileSync(join(base, "exercises", "x", ".meta", "reference.ts"), "export const secret = 42;\n");
const open: Sandbox[] = [];
afterAll(() => {
  for (const s of open) s.close();
  rmSync(base, { recursive: true, force: true });
});

let n = 0;
/** Starts `source` as a student file in its own process (budget 10 s unless given). */
async function student(source: string, opts: { forbid?: string[]; budgetMs?: number; heapMb?: number; addressSpaceMb?: number } = {}): Promise<Sandbox> {
  const file = join(base, "exercises", "x", `s${++n}.ts`);
  writeFileSync(file, source);
  const sb = await openSandbox({ file, shown: `exercises/x/s${n}.ts`, exercisesDir: join(base, "exercises"), root: ROOT, budgetMs: opts.budgetMs ?? 10_000, forbid: opts.forbid, heapMb: opts.heapMb, addressSpaceMb: opts.addressSpaceMb });
  open.push(sb);
  return sb;
}

/** The message of what `fn` throws. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie has ended; only its parent has not collected it yet.
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return true;
  }
};

describe("sandbox: the student's code runs in another process", () => {
  it("patches of the library and of built-ins stay in the student's process", async () => {
    const sb = await student(`
      import * as lib from "../../src";
      (lib.Machine.prototype as any).memoryFailure = () => ({ type: "MF_MSG_KERNEL", result: "MF_RECOVERED", ret: 0 });
      (lib.LruTlb.prototype as any).access = () => true;
      Math.abs = () => 0;
      (Object.prototype as any).polluted = "yes";
      JSON.stringify = () => "{}";
      export function pid(): number { return process.pid; }
      export function patched(): boolean { return Math.abs(-3) === 0 && new lib.LruTlb({ entries: 4, ways: 4 }).access(1, 0); }
    `);
    const m = sb.exports as { pid(): number; patched(): boolean };
    expect(m.patched(), "the student's own process sees its patches").toBe(true);
    expect(m.pid()).not.toBe(process.pid);
    expect(Math.abs(-3)).toBe(3);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(new LruTlb({ entries: 4, ways: 4 }).access(1, 0), "the judge's LruTlb misses on a cold TLB").toBe(false);
    const mach = new Machine({ memory: "64M" });
    expect(mach.memoryFailure(0, 0).type, "the judge's Machine is untouched").not.toBe(undefined);
    expect(JSON.stringify({ a: 1 })).toBe('{"a":1}');
  });

  it("cannot write or read files, start processes or threads, or load the reference", async () => {
    const sb = await student(`
      import * as fs from "node:fs";
      import * as cp from "node:child_process";
      import { Worker } from "node:worker_threads";
      const tryIt = (f: () => unknown) => { try { f(); return "allowed"; } catch (e: any) { return e.code ?? e.message; } };
      export function probes(target: string, secret: string) {
        return {
          write: tryIt(() => fs.writeFileSync(target, "x")),
          read: tryIt(() => fs.readFileSync(secret, "utf8")),
          proc: tryIt(() => fs.readFileSync("/proc/" + process.ppid + "/cmdline")),
          spawn: tryIt(() => cp.spawnSync("true")),
          worker: tryIt(() => new Worker("1", { eval: true })),
          binding: tryIt(() => (process as any).binding("fs")),
          send: typeof (process as any).send,
        };
      }
    `);
    const target = join(base, "written-by-student.txt");
    const secret = join(base, "exercises", "x", ".meta", "reference.ts");
    const p = (sb.exports as { probes(a: string, b: string): Record<string, string> }).probes(target, secret);
    expect(p).toEqual({ write: "ERR_ACCESS_DENIED", read: "ERR_ACCESS_DENIED", proc: "ERR_ACCESS_DENIED", spawn: "ERR_ACCESS_DENIED", worker: "ERR_ACCESS_DENIED", binding: "ERR_ACCESS_DENIED", send: "undefined" });
    expect(existsSync(target)).toBe(false);
  });

  it("refuses at load: the reference solution, the grader, npm packages and files outside the exercises", async () => {
    await expect(student(`export * from "./.meta/reference.js";`)).rejects.toThrow(/imports the reference solution \(exercises\/x\/\.meta\/reference\.ts\)/);
    await expect(student(`import { grade } from "../../src/grader/run.js"; export const g = grade;`)).rejects.toThrow(/imports src\/grader\/run\.ts: the grader/);
    await expect(student(`import { z } from "zod"; export const zz = z;`)).rejects.toThrow(/imports the package "zod"/);
    await expect(student(`import * as t from "../../../test/x.js"; export const tt = t;`)).rejects.toThrow(/could not be loaded/);
    await expect(student(`export function f( { return 1; }`)).rejects.toThrow(/could not be loaded: syntax error at line 1, column \d+: /);
  });

  it("a forbidden library name fails whatever path reaches it, and is refused on the judge's objects too", async () => {
    const msg = /uses the library's walkLevels: this exercise asks you to write that logic yourself/;
    for (const spec of ["../../src", "../../src/index.js", "../../src/pgtable/walk.js", "../../src/pgtable/walk"]) {
      const sb = await student(`import * as lib from ${JSON.stringify(spec)};\nexport function f(): number { return lib.walkLevels("4K"); }`, { forbid: ["walkLevels"] });
      expect(() => (sb.exports as { f(): number }).f(), spec).toThrow(msg);
    }
    // Caught by the student: still a failure, on the next answer.
    const sb = await student(`import { walkLevels } from "../../src";\nexport function f(): number { try { return walkLevels("4K"); } catch { return 4; } }`, { forbid: ["walkLevels"] });
    expect(thrown(() => (sb.exports as { f(): number }).f())).toBeInstanceOf(SandboxError);
    // Used at load time.
    await expect(student(`import { Machine } from "../../src";\nclass Mine extends Machine {}\nexport const M = Mine;`, { forbid: ["Machine"] })).rejects.toThrow(/uses the library's Machine/);
    // A judge object's member of that name.
    const sb2 = await student(`export function g(o: any): unknown { return o.revokeFile; }`, { forbid: ["revokeFile"] });
    expect(() => (sb2.exports as { g(o: unknown): unknown }).g({ revokeFile: () => 1, other: 2 }), "plain objects are copies: fine").not.toThrow();
    class Ctx {
      revokeFile(): number {
        return 1;
      }
    }
    expect(() => (sb2.exports as { g(o: unknown): unknown }).g(new Ctx())).toThrow(/uses the library's revokeFile/);
  });

  it("the judge's objects are read-only to the student and hide constructors", async () => {
    const sb = await student(`
      export function set(o: any) { o.x = 1; }
      export function ctor(o: any) { return o.constructor; }
      export function call(o: any) { return o.double(21); }
    `);
    class Box {
      x = 0;
      double(v: number): number {
        return 2 * v + this.x;
      }
    }
    const b = new Box();
    const m = sb.exports as { set(o: unknown): void; ctor(o: unknown): unknown; call(o: unknown): number };
    expect(thrown(() => m.set(b)).message).toMatch(/the grader's objects are read-only/);
    expect(b.x).toBe(0);
    expect(thrown(() => m.ctor(b)).message).toMatch(/constructor/);
    expect(m.call(b)).toBe(42);
  });
});

describe("sandbox: values across the bridge", () => {
  it("copies plain data exactly; keeps identity; sends argument changes back", async () => {
    const sb = await student(`
      const kept: object[] = [];
      export function echo(v: unknown) { return v; }
      export function keep(o: object) { kept.push(o); return kept.length; }
      export function has(o: object) { return kept.includes(o); }
      export function all() { return kept; }
      export function bump(c: { n: number; list: number[] }) { c.n++; c.list.push(c.n); }
      export class Counter { n = 0; inc(by = 1) { this.n += by; return this.n; } get twice() { return 2 * this.n; } }
      export function twiceOf(c: Counter) { return c.twice; }
    `);
    const m = sb.exports as Record<string, (...a: unknown[]) => unknown> & { Counter: new () => { n: number; inc(by?: number): number; twice: number } };
    const odd = { a: [1, -0, NaN, Infinity, undefined, null, "s", true, 2n], m: new Map([["k", 1]]), s: new Set([1, 2]), d: new Date(5), t: new Uint8Array([1, 2]), __proto__x: 1 };
    expect(m.echo(odd)).toEqual(odd);
    expect(Object.is((m.echo(-0) as number), -0)).toBe(true);
    const nullProto = JSON.parse('{"__proto__": {"polluted": 1}}') as object;
    const back = m.echo(nullProto) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back), "a __proto__ key stays a key").toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const s = { start: 1 };
    m.keep(s);
    expect(m.has(s), "the same judge object is the same object in the student's process").toBe(true);
    expect(m.has({ start: 1 })).toBe(false);
    expect((m.all() as object[])[0], "and comes back as the original").toBe(s);
    const c = { n: 1, list: [1] };
    m.bump(c);
    expect(c).toEqual({ n: 2, list: [1, 2] });
    const k = new m.Counter();
    expect(k.inc()).toBe(1);
    expect(k.inc(4)).toBe(5);
    expect(k.n).toBe(5);
    expect(k.twice).toBe(10);
    expect(m.twiceOf(k), "a student object passed back is the student's object").toBe(10);
  });

  it("calls back into the judge, nested both ways", async () => {
    const sb = await student(`
      export function sum(f: (x: number) => number, n: number): number { let s = 0; for (let i = 0; i < n; i++) s += f(i); return s; }
      export function twice(g: { apply(h: (x: number) => number): number }): number { return g.apply((x) => 2 * x); }
    `);
    const m = sb.exports as { sum(f: (x: number) => number, n: number): number; twice(g: unknown): number };
    expect(m.sum((x) => x * x, 10)).toBe(285);
    class G {
      apply(h: (x: number) => number): number {
        return h(20) + 2;
      }
    }
    expect(m.twice(new G())).toBe(42);
  });
});

describe("sandbox: every way a student's code ends or throws has a clear message", () => {
  it("a thrown object with no prototype, a thrown string", async () => {
    const sb = await student(`
      export function np() { const e = Object.create(null); e.code = 7; throw e; }
      export function str() { throw "boom"; }
      export function err() { throw new RangeError("out of range"); }
    `);
    const m = sb.exports as Record<string, () => unknown>;
    const e1 = thrown(() => m.np());
    expect(e1).toBeInstanceOf(RemoteError);
    expect(e1.message).toBe('an object with no prototype: {"code":7}');
    expect(thrown(() => m.str()).message).toBe('"boom"');
    const e3 = thrown(() => m.err());
    expect([e3.name, e3.message]).toEqual(["RangeError", "out of range"]);
  });

  it("process.reallyExit and process.exit are named", async () => {
    const sb = await student(`export function bye() { (process as any).reallyExit(3); }`);
    expect(thrown(() => (sb.exports as { bye(): void }).bye()).message).toBe("your code ended the process it runs in (process.reallyExit(3)); return a value or throw an Error instead");
    const sb2 = await student(`export function bye() { process.exit(0); }`);
    expect(thrown(() => (sb2.exports as { bye(): void }).bye()).message).toMatch(/^your code ended the process it runs in \(process\.exit\(0\)\)/);
    await expect(student(`process.exit(1);\nexport const x = 1;`)).rejects.toThrow(/ended the process it runs in \(process\.exit\(1\)\)/);
  }, 30_000);

  it("memory: a heap or ArrayBuffer hog is stopped at the cap with a message", async () => {
    const sb = await student(`const keep: unknown[] = []; export function hog() { for (;;) keep.push(new Array(1e6).fill(keep.length)); }`, { heapMb: 128 });
    const e = thrown(() => (sb.exports as { hog(): void }).hog());
    expect(e.message).toMatch(/^your code ran out of memory: the grader gives it 128 MB of heap/);
    const sb2 = await student(`const keep: Uint8Array[] = []; export function hog() { for (;;) keep.push(new Uint8Array(64 * 1024 * 1024).fill(1)); }`, { addressSpaceMb: 1536 });
    const e2 = thrown(() => (sb2.exports as { hog(): void }).hog());
    expect(e2.message).toMatch(/Array buffer allocation failed|ran out of memory/);
  }, 60_000);

  it("a loop or a blocked wait is stopped at the budget; later calls fail at once; the process is gone", async () => {
    const sb = await student(`
      export function spin(): number { for (;;) {} }
      export function block(): number { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); return 0; }
      export function ok(): number { return 1; }
    `, { budgetMs: 1500 });
    const m = sb.exports as Record<string, () => number>;
    const t0 = Date.now();
    expect(thrown(() => m.spin()).message).toBe("timed out after 2 s — does your loop terminate?");
    expect(Date.now() - t0).toBeLessThan(1500 + 10_000);
    expect(thrown(() => m.ok()).message, "the budget is spent").toMatch(/timed out/);
    const sb2 = await student(`export function block(): number { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); return 0; }`, { budgetMs: 1000 });
    expect(thrown(() => (sb2.exports as { block(): number }).block()).message).toMatch(/^timed out after 1 s/);
    for (let i = 0; i < 50 && (alive(sb.pid) || alive(sb2.pid)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(sb.pid)).toBe(false);
    expect(alive(sb2.pid)).toBe(false);
  }, 60_000);

  it("close() ends the student's process", async () => {
    const sb = await student(`export function ok(): number { return 1; }`);
    expect(alive(sb.pid)).toBe(true);
    sb.close();
    for (let i = 0; i < 50 && alive(sb.pid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(sb.pid)).toBe(false);
    expect(thrown(() => (sb.exports as { ok(): number }).ok())).toBeInstanceOf(SandboxError);
  });
});
