// Shared by the Chapter 6 exercise tests: ask each of the student's decisions once (so an unwritten
// one reads "not written yet", not a scorecard full of violations), and describe a scorecard's
// numbers and violations in the course's words.
import { CHOICES, DECISION_IDS, formatMetric, METRICS, type ContextOf, type DecisionId, type MetricId, type Policy, type Scorecard } from "../../src/index.js";
import { call, fail } from "./_harness.js";

/** A plausible context for each decision, to try the student's function once before scoring. */
export const SAMPLE_CONTEXT: { [D in DecisionId]: ContextOf[D] } = {
  memfdUe: { decision: "memfdUe", workload: "vm-1g", fs: "hugetlbfs", folioSize: "1G", memfdBytes: 4 * 2 ** 30, forDevice: false },
  release: { decision: "release", workload: "vm-1g", reason: "release", folioSize: "1G", poisonedFolios: 1, pinnedFolios: 0 },
  pinned: { decision: "pinned", workload: "dma", when: "error", folioSize: "2M", pins: 512, revocable: true, keptMapped: true },
  gmemError: { decision: "gmemError", workload: "cvm", folioSize: "1G", design: "tdx-connect", iommuSharesStage2: true, hasDevice: true, errorsSoFar: 0, errorsInFolio: 0 },
  pfnError: { decision: "pfnError", workload: "vfio", device: "gpu0", registered: true, leafSize: "1G", regionBytes: 16 * 2 ** 30, errorsSoFar: 0 },
};

/** Checks the exported policy's shape and asks every decision once in a sample context. */
export function tryDecisions(policy: unknown, decisions: readonly DecisionId[] = DECISION_IDS): Policy {
  if (policy === null || typeof policy !== "object") fail("policy.ts must export `policy`, an object with the five decisions");
  const p = policy as Record<string, unknown>;
  for (const d of decisions) {
    const rule = p[d];
    const answer = typeof rule === "function" ? call(`policy.${d}`, [SAMPLE_CONTEXT[d]], () => (rule as (c: unknown) => unknown)({ ...SAMPLE_CONTEXT[d] })) : rule;
    if (typeof answer !== "string" || !(CHOICES[d] as readonly string[]).includes(answer)) {
      fail(`policy.${d} answered ${JSON.stringify(answer)}; it must answer one of ${CHOICES[d].join(", ")}`);
    }
  }
  return policy as Policy;
}

/** "3G (SIGBUS told the VMM to give up 3 1G extents)". */
export function explain(card: Scorecard, metric: MetricId): string {
  const m = card.metrics[metric];
  const why = m.sources.map((s) => s.what).join("; ");
  return `${formatMetric(metric, m.value)}${why ? ` (${why})` : ""}`;
}

/** Fails with the scorecard's violations, if any. */
export function noViolations(card: Scorecard, where: string): void {
  if (card.violations.length === 0) return;
  const v = card.violations[0];
  fail(`${where}: the model reported ${card.violations.length} violation(s), the first: ${v.kind}${v.decision ? ` in ${v.decision}` : ""}: ${v.detail}`);
}

export { METRICS };
