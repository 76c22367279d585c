// tslab loads the library module by module and recurses forever on an import cycle
// ("Maximum call stack size exceeded"), so no value import in src/ may form a cycle.
// Type-only imports are erased and do not count.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(__dirname, "..", "..", "src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Relative modules a file imports or re-exports values from. */
function valueImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  const re = /^(?:import|export)\s+(?!type\b)([\s\S]*?)\s+from\s+"(\.[^"]+)"/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const spec = m[1].trim();
    const braces = /^\{([\s\S]*)\}$/.exec(spec);
    if (braces && braces[1].split(",").every((s) => s.trim() === "" || s.trim().startsWith("type "))) continue;
    out.push(normalize(join(dirname(file), m[2])).replace(/\.js$/, ".ts"));
  }
  return out;
}

describe("src/ import graph", () => {
  it("has no cycle of value imports (tslab cannot load one)", () => {
    const graph = new Map(files(SRC).map((f) => [f, valueImports(f)]));
    const state = new Map<string, 1 | 2>();
    const stack: string[] = [];
    const cycles: string[] = [];
    const visit = (u: string) => {
      state.set(u, 1);
      stack.push(u);
      for (const v of graph.get(u) ?? []) {
        if (state.get(v) === 1) cycles.push([...stack.slice(stack.indexOf(v)), v].map((p) => relative(SRC, p)).join(" → "));
        else if (!state.has(v)) visit(v);
      }
      stack.pop();
      state.set(u, 2);
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(cycles, `import cycles in src/ (move the shared value to a module both can import):\n${cycles.join("\n")}`).toEqual([]);
  });
});
