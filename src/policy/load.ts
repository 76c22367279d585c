// Node only (the CLI, notebooks, tests): loads a student's policy file. Not exported from
// src/index.ts, so the site bundle never pulls `require` or `fs` in. Every way a file can be
// wrong comes out as one MfrLabError line naming the file and what to do.
import { existsSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { MfrLabError } from "../core/errors.js";
import { toPolicy } from "./scorecard.js";
import { DECISION_IDS, type Policy } from "./types.js";

const EXTENSIONS = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** Checks the path before anything runs: it exists, is a file, and is TypeScript or JavaScript. */
export function checkPolicyPath(file: string): string {
  const abs = resolve(file);
  if (!existsSync(abs)) throw new MfrLabError(`no policy file at ${file}`, "give the path of a .ts file that exports a policy");
  if (!statSync(abs).isFile()) throw new MfrLabError(`${file} is not a file`, "give the path of a .ts file that exports a policy");
  if (!EXTENSIONS.test(abs)) throw new MfrLabError(`${file} is not a TypeScript or JavaScript file`, "a policy file ends in .ts");
  if (statSync(abs).size > 1_000_000) throw new MfrLabError(`${file} is larger than 1 MB`, "a policy file is a few functions");
  return abs;
}

/** A syntax error arrives as "Transform failed…" with a code frame: keep its gist and position. */
export function loadErrorLine(e: unknown, abs: string, shown: string): string {
  const text = (e instanceof Error ? e.message : String(e)).replace(/\x1b\[[0-9;]*m/g, "");
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const err = lines.find((l) => /\[[A-Z_]*ERROR\]|ERROR:/.test(l));
  if (!err) return (lines[0] ?? "unknown error").split(abs).join(shown);
  const at = /:(\d+):(\d+):\s*ERROR/.exec(err) ?? /:(\d+):(\d+)\s*\]?\s*$/.exec(lines.find((l) => /\.[cm]?[tj]s:\d+:\d+/.test(l)) ?? "");
  const what = err.replace(/^.*?\[[A-Z_]*ERROR\]\s*/, "").replace(/^.*ERROR:\s*/, "");
  return `syntax error${at ? ` at line ${at[1]}, column ${at[2]}` : ""}: ${what}`;
}

/**
 * Loads the policy a file exports: `policy`, else the default export, else the only exported
 * object that has the five decisions. Needs a TypeScript loader for .ts files (the CLI registers
 * tsx; in a notebook, import the file instead).
 */
export function loadPolicyFile(file: string): Policy {
  const abs = checkPolicyPath(file);
  let mod: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    mod = require(abs) as Record<string, unknown>;
  } catch (e) {
    throw new MfrLabError(`${file} could not be loaded: ${loadErrorLine(e, abs, file)}`);
  }
  const looksLike = (v: unknown) => v !== null && typeof v === "object" && DECISION_IDS.some((d) => d in (v as object));
  let value: unknown = mod.policy ?? (looksLike(mod.default) ? mod.default : undefined);
  if (value === undefined) {
    const candidates = Object.values(mod).filter(looksLike);
    if (candidates.length === 1) value = candidates[0];
    else if (candidates.length > 1) throw new MfrLabError(`${file} exports several policies`, "export the one to score as `policy`");
  }
  if (value === undefined) throw new MfrLabError(`${file} exports no policy`, `export const policy = { ${DECISION_IDS.join(", ")} } (each a function of its context or a choice)`);
  const p = toPolicy(value, file);
  const named = value as { name?: unknown };
  return typeof named.name === "string" && named.name.trim() ? p : { ...p, name: basename(file).replace(EXTENSIONS, "") };
}
