import { join } from "node:path";
import type { ScenarioResult } from "../../src/scenario/index.js";
import { loadScenarioFile, runScenarioFile, scenarioFiles } from "../../src/scenario/node.js";

export const ROOT = join(__dirname, "..", "..");
export const SCENARIOS = join(ROOT, "scenarios");

export function example(name: string): string {
  return join(SCENARIOS, `${name}.yaml`);
}

export function runExample(name: string, o: Parameters<typeof runScenarioFile>[1] = {}): ScenarioResult {
  return runScenarioFile(example(name), o);
}

export { loadScenarioFile, scenarioFiles };

export function mfOf(r: ScenarioResult) {
  return r.events.flatMap((e) => (e.event.kind === "memory_failure" ? [e.event] : []));
}

export function signalsOf(r: ScenarioResult, process: string) {
  const pid = r.final.processes[process].pid;
  return r.events.flatMap((e) => (e.event.kind === "signal" && e.event.pid === pid ? [e.event] : []));
}

/** The events of one step (by its path in the file, e.g. "steps[3]"). */
export function eventsAt(r: ScenarioResult, path: string) {
  return r.events.filter((e) => e.path === path).map((e) => e.event);
}
