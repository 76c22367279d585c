// Asking a policy: every answer is checked before a model acts on it. An answer that is not one of
// the decision's choices (or a decision that throws) is reported as a violation and mainline's
// answer is used instead; a request the model cannot carry out without breaking an invariant is
// refused and reported. Nothing a policy says is obeyed silently.
import { MAINLINE } from "./builtins.js";
import { CHOICES, type ChoiceOf, type ContextOf, type DecisionId, type Policy, type WorkloadId } from "./types.js";

export type ViolationKind = "invalid-answer" | "refused" | "invariant";

/** A policy's request the model did not carry out, or an invariant the model caught breaking. */
export interface PolicyViolation {
  kind: ViolationKind;
  workload: WorkloadId;
  decision?: DecisionId;
  detail: string;
}

/** One question asked and what was done with the answer. */
export interface DecisionRecord {
  decision: DecisionId;
  workload: WorkloadId;
  /** The context it was asked in, as "key=value" pairs (decision and workload left out). */
  context: string;
  /** What the policy answered (its text, or the error it threw). */
  answer: string;
  /** What the model did: the answer, or mainline's choice when the answer was refused. */
  applied: string;
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === undefined) return "undefined";
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + "..." : s;
  } catch {
    return String(v);
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

function contextText(ctx: object): string {
  return Object.entries(ctx)
    .filter(([k]) => k !== "decision" && k !== "workload")
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");
}

/** Mainline's answer in a context (the fallback for a bad answer). */
export function mainlineAnswer<D extends DecisionId>(d: D, ctx: ContextOf[D]): ChoiceOf[D] {
  const rule = MAINLINE[d] as unknown;
  return (typeof rule === "function" ? (rule as (c: ContextOf[D]) => ChoiceOf[D])(ctx) : rule) as ChoiceOf[D];
}

export class Consultant {
  readonly decisions: DecisionRecord[] = [];
  readonly violations: PolicyViolation[] = [];

  constructor(readonly policy: Policy) {}

  /** Asks decision `d` in `ctx` (a frozen copy: a policy cannot change the model through it). */
  ask<D extends DecisionId>(d: D, ctx: ContextOf[D]): ChoiceOf[D] {
    const rule = (this.policy as unknown as Record<string, unknown>)[d];
    const fallback = mainlineAnswer(d, ctx);
    let answer: unknown;
    try {
      answer = typeof rule === "function" ? (rule as (c: Readonly<ContextOf[D]>) => unknown)(Object.freeze({ ...ctx }) as Readonly<ContextOf[D]>) : rule;
    } catch (e) {
      return this.reject(d, ctx, `threw: ${firstLine(e)}`, `${d} threw ${e instanceof Error ? e.name : "a value"}: ${firstLine(e)}`, fallback);
    }
    if (typeof answer !== "string" || !(CHOICES[d] as readonly string[]).includes(answer)) {
      return this.reject(d, ctx, show(answer), `${d} answered ${show(answer)}, which is not one of ${CHOICES[d].join(", ")}`, fallback);
    }
    this.decisions.push({ decision: d, workload: ctx.workload, context: contextText(ctx), answer, applied: answer });
    return answer as ChoiceOf[D];
  }

  /** The model refuses a request it cannot carry out safely; `applied` is what it did instead. */
  refuse(d: DecisionId, workload: WorkloadId, detail: string, applied: string): void {
    this.violations.push({ kind: "refused", workload, decision: d, detail });
    const last = [...this.decisions].reverse().find((r) => r.decision === d && r.workload === workload);
    if (last) last.applied = applied;
  }

  /** An invariant the model caught breaking while it ran this policy. */
  invariant(workload: WorkloadId, detail: string): void {
    this.violations.push({ kind: "invariant", workload, detail });
  }

  private reject<D extends DecisionId>(d: D, ctx: ContextOf[D], answer: string, detail: string, fallback: ChoiceOf[D]): ChoiceOf[D] {
    this.violations.push({ kind: "invalid-answer", workload: ctx.workload, decision: d, detail: `${detail}; mainline's ${fallback} was used` });
    this.decisions.push({ decision: d, workload: ctx.workload, context: contextText(ctx), answer, applied: fallback });
    return fallback;
  }
}
