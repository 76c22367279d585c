// Scenario files (scenarios/README.md): parse YAML/JSON text, validate it, run it on the MFR
// model. Browser-safe; reading files from disk is in ./node.ts (Node only).
export * from "./types.js";
export { ScenarioError, parseScenario, parseScenarioText, validateScenario } from "./parse.js";
export { runScenario, errnoName, mfFlagsText, formatOffset } from "./run.js";
export { STEP_OPS } from "./schema.js";
