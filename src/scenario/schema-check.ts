// Compile-time proof that the zod schema's output is a ScenarioSpec (types.ts is the documented
// shape). Nothing imports this file: tslab (no strictNullChecks) would reject it, the project's
// strict type check (`npm run typecheck`) does not.
import type { z } from "zod";
import type { ScenarioSchema } from "./schema.js";
import type { ScenarioSpec } from "./types.js";

export type ParsedScenario = z.output<typeof ScenarioSchema>;
export const parsedIsSpec = (p: ParsedScenario): ScenarioSpec => p;
