// Differences between the model and a real kernel that are understood, each with its cause and
// the kernel function that decides it. Anything not matched here is an unexplained difference
// and fails the kernel suite: fix the model, or add a row with a cause a reader can check.
// Browser-safe (the Fidelity page lists this table).
import type { Difference, DiffField } from "./compare.js";

export interface KnownDifference {
  id: string;
  /** Which differences it explains: the field, and patterns on either side's words. */
  match: { field: DiffField; kernels?: string[]; scenario?: RegExp; path?: RegExp; model?: RegExp; kernel?: RegExp };
  /**
   * "vm": the lab's VM is not the machine the model describes (no device, a different injection
   * path that a scenario asked for explicitly); "changed": the kernels differ and the model
   * follows the other version; "model": a gap in the model, kept on purpose.
   */
  category: "vm" | "changed" | "model";
  cause: string;
  decidedBy: string;
}

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [];

/** The known difference that explains `d`, if any. */
export function explain(d: Difference, ctx: { scenario: string; kernel: string }): KnownDifference | undefined {
  return KNOWN_DIFFERENCES.find((k) => {
    const m = k.match;
    if (m.field !== d.field) return false;
    if (m.kernels && !m.kernels.includes(ctx.kernel)) return false;
    if (m.scenario && !m.scenario.test(ctx.scenario)) return false;
    if (m.path && !m.path.test(d.path)) return false;
    if (m.model && !m.model.test(d.model)) return false;
    if (m.kernel && !m.kernel.test(d.kernel)) return false;
    return true;
  });
}
