/**
 * Outcome of one memory_failure() (enum mf_result), from most to least severe. The same union
 * is exported by src/poison/outcome.ts, so src/mfr/index.ts does not re-export this file.
 */
export type MfResult = "MF_IGNORED" | "MF_FAILED" | "MF_DELAYED" | "MF_RECOVERED";
