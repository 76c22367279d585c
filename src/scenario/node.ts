// Node only (CLI, tests, benchmarks, notebooks): read a scenario file and run it.
// Not exported from src/index.ts, so the site bundle never pulls in fs.
import { readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { parseScenario, ScenarioError } from "./parse.js";
import { runScenario } from "./run.js";
import type { RunOptions, ScenarioResult, ScenarioSpec } from "./types.js";

/** Reads and validates a scenario file (.yaml, .yml or .json); errors name the file by its base name. */
export function loadScenarioFile(file: string): ScenarioSpec {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a scenario file" : `cannot be read (${code ?? String(e)})`;
    throw new ScenarioError(basename(file), "", why);
  }
  return parseScenario(text, basename(file));
}

/** Loads and runs a scenario file. */
export function runScenarioFile(file: string, options: RunOptions = {}): ScenarioResult {
  return runScenario(loadScenarioFile(file), { source: basename(file), ...options });
}

/** The scenario files of a folder (sorted), e.g. the course's scenarios/. */
export function scenarioFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => /\.(ya?ml|json)$/i.test(f)).sort().map((f) => join(dir, f));
}
