// Node only (CLI, tests, benchmarks, notebooks): read a scenario file and run it.
// Not exported from src/index.ts, so the site bundle never pulls in fs.
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync } from "node:fs";
import { basename, join } from "node:path";
import { formatSize } from "../core/units.js";
import { MAX_SCENARIO_BYTES, parseScenario, ScenarioError } from "./parse.js";
import { runScenario } from "./run.js";
import type { RunOptions, ScenarioResult, ScenarioSpec } from "./types.js";

/** What a path is, when it is not a regular file (a named pipe never ends; /dev/zero never ends either). */
function kindOf(st: import("node:fs").Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a named pipe";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * Reads and validates a scenario file (.yaml, .yml or .json); errors name the file by its base
 * name. Only regular files of at most MAX_SCENARIO_BYTES are read, and never more than that.
 */
export function loadScenarioFile(file: string): ScenarioSpec {
  const name = basename(file);
  let fd: number;
  try {
    // O_NONBLOCK: opening a named pipe must not wait for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a scenario file" : `cannot be read (${code ?? String(e)})`;
    throw new ScenarioError(name, "", why);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ScenarioError(name, "", `is ${kindOf(st)}, not a scenario file`, "give a .yaml or .json file");
    if (st.size > MAX_SCENARIO_BYTES) {
      throw new ScenarioError(name, "", `is ${st.size.toLocaleString("en-US")} bytes; a scenario file may be at most ${MAX_SCENARIO_BYTES.toLocaleString("en-US")} (${formatSize(MAX_SCENARIO_BYTES)})`, "split it into smaller scenarios");
    }
    // Read at most the limit plus one byte, in case the file grew since fstat.
    const buf = Buffer.alloc(Math.min(st.size, MAX_SCENARIO_BYTES) + 1);
    let got = 0;
    for (;;) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      if (got === buf.length) break;
    }
    if (got > MAX_SCENARIO_BYTES) throw new ScenarioError(name, "", `grew past ${formatSize(MAX_SCENARIO_BYTES)} while being read`, "give a file that is not being written");
    return parseScenario(buf.toString("utf8", 0, got), name);
  } finally {
    closeSync(fd);
  }
}

/** Loads and runs a scenario file. */
export function runScenarioFile(file: string, options: RunOptions = {}): ScenarioResult {
  return runScenario(loadScenarioFile(file), { source: basename(file), ...options });
}

/** The scenario files of a folder (sorted), e.g. the course's scenarios/. */
export function scenarioFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => /\.(ya?ml|json)$/i.test(f)).sort().map((f) => join(dir, f));
}
