// The library must type-check with the project's TypeScript and with the TypeScript 5.0.4 that
// tslab bundles (ES2022 lib, no DOM), so a notebook never meets a syntax or lib it cannot compile;
// the site's .vue components are checked by vue-tsc against docs/tsconfig.json.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");

function tsc(bin: string, project = "tsconfig.json"): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [bin, "-p", join(ROOT, project), "--noEmit"], { encoding: "utf8", cwd: ROOT });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe("type checks", () => {
  it("src/ compiles with the project's TypeScript (strict)", { timeout: 120_000 }, () => {
    const r = tsc(join(ROOT, "node_modules", "typescript", "bin", "tsc"));
    expect(r.out, "tsc errors").toBe("");
    expect(r.status).toBe(0);
  });

  it("src/ compiles with tslab's TypeScript 5.0.4 (what notebooks use)", { timeout: 120_000 }, () => {
    const r = tsc(join(ROOT, "node_modules", "@tslab", "typescript-for-tslab", "bin", "tsc"));
    expect(r.out, "tslab's tsc errors").toBe("");
    expect(r.status).toBe(0);
  });

  it("the site's Vue components and theme code type-check, templates included (vue-tsc)", { timeout: 120_000 }, () => {
    const r = tsc(join(ROOT, "node_modules", "vue-tsc", "bin", "vue-tsc.js"), "docs/tsconfig.json");
    expect(r.out, "vue-tsc errors").toBe("");
    expect(r.status).toBe(0);
  });
});
