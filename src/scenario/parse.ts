// Parsing scenario text (YAML or JSON) into a validated ScenarioSpec. Browser-safe.
import { parse as parseYaml } from "yaml";
import { ParameterError } from "../core/errors.js";
import { formatIssue, formatPath, reservedKeyPath, ScenarioSchema, asSpec, RESERVED_NAMES } from "./schema.js";
import type { ScenarioSpec } from "./types.js";

/**
 * A problem in a scenario file or one of its steps. The message reads
 * `<source>: <where>: <problem>`, e.g. `scenario.yaml: steps[3].size: "12Q" is not a size (…)`,
 * and the CLI prints it as one line with exit code 2 (it is a ParameterError).
 */
export class ScenarioError extends ParameterError {
  constructor(readonly source: string, readonly where: string, problem: string, hint?: string) {
    super(where ? `${source}: ${where}` : source, problem, hint);
    this.name = "ScenarioError";
  }
}

/** Largest scenario text accepted (the course's examples are a few kilobytes). */
export const MAX_SCENARIO_BYTES = 1024 * 1024;

/** YAML unless the source ends in .json or the text starts with "{" (YAML would accept JSON too, with worse messages). */
function looksJson(text: string, source: string): boolean {
  return /\.json$/i.test(source) || /^\s*\{/.test(text);
}

/** Parses scenario text (YAML or JSON) without validating it. */
export function parseScenarioText(text: string, source = "scenario"): unknown {
  if (text.length > MAX_SCENARIO_BYTES) throw new ScenarioError(source, "", `is ${text.length.toLocaleString("en-US")} characters; a scenario may be at most ${MAX_SCENARIO_BYTES.toLocaleString("en-US")}`, "split it into smaller scenarios");
  if (looksJson(text, source)) {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new ScenarioError(source, "", `not valid JSON: ${firstLine(e)}`);
    }
  }
  try {
    return parseYaml(text, { prettyErrors: true });
  } catch (e) {
    throw new ScenarioError(source, "", `not valid YAML: ${firstLine(e)}`);
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0].trim().replace(/:$/, "");
}

/** Validates a parsed object against the schema; the first problem is thrown as a ScenarioError naming the step and field. */
export function validateScenario(data: unknown, source = "scenario"): ScenarioSpec {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new ScenarioError(source, "", "a scenario is a mapping with name, machine and steps", "see scenarios/README.md");
  }
  const reserved = reservedKeyPath(data);
  if (reserved) {
    const key = String(reserved[reserved.length - 1]);
    throw new ScenarioError(source, formatPath(reserved), `"${key}" is ${RESERVED_NAMES.has(key) ? "reserved (a member of every JavaScript object)" : "not allowed"}: use a field or name from scenarios/README.md`);
  }
  const r = ScenarioSchema.safeParse(data);
  if (!r.success) {
    const issues = r.error.issues;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
    const first = formatIssue(issues[0] as { path: PropertyKey[]; message: string; code?: string; keys?: string[]; issues?: { message: string }[] });
    const cut = first.indexOf(": ");
    // formatIssue gives "where: message"; a problem at the top level has no "where".
    const [where, msg] = issues[0].path.length > 0 && cut > 0 ? [first.slice(0, cut), first.slice(cut + 2)] : ["", first];
    throw new ScenarioError(source, where, msg + more);
  }
  return asSpec(r.data);
}

/** Parses and validates scenario text; `source` (a file name) prefixes every error. */
export function parseScenario(text: string, source = "scenario"): ScenarioSpec {
  return validateScenario(parseScenarioText(text, source), source);
}
