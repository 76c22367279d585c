/**
 * Chapter 6 (design your own policy): every number and label its page shows, computed by the
 * scorecard (src/policy/) when the site is built. Merged into libValues() in lib-values.ts.
 */
import { BUILTIN_POLICIES, slug } from "../../src/policy/builtins.js";
import { decisionList } from "../../src/policy/decisions.js";
import { KERNEL_LAB_SLOTS } from "../../src/policy/kernel-lab.js";
import { formatMetric, METRIC_IDS, METRICS } from "../../src/policy/metrics.js";
import { OBJECTION_IDS, OBJECTIONS } from "../../src/policy/objections.js";
import { BATTERY_DEFAULTS, scorePolicy, WORKLOADS } from "../../src/policy/scorecard.js";
import { WORKLOAD_IDS } from "../../src/policy/types.js";
import { fmt } from "./format.js";

/** The battery the page's tables use: the library's defaults. */
export const CH6_BATTERY = { ...BATTERY_DEFAULTS };

export function chapter6Values(): Record<string, string | number> {
  const v: Record<string, string | number> = {};
  v["ch6.battery.seed"] = CH6_BATTERY.seed;
  v["ch6.battery.errors"] = CH6_BATTERY.errors;
  v["ch6.battery.retouch"] = CH6_BATTERY.retouch;
  v["ch6.battery.probes"] = CH6_BATTERY.probes;
  v["ch6.battery.signalcost"] = `${fmt(CH6_BATTERY.signalCostUs)} µs`;
  v["ch6.builtins.count"] = BUILTIN_POLICIES.length;

  for (const d of decisionList()) {
    v[`ch6.decision.${d.id}.title`] = d.title;
    v[`ch6.decision.${d.id}.question`] = d.question;
    v[`ch6.decision.${d.id}.mainline`] = d.choices.filter((c) => c.mainline).map((c) => c.id).join("");
    v[`ch6.decision.${d.id}.others`] = d.choices.filter((c) => !c.mainline).map((c) => c.id).join(", ");
    for (const c of d.choices) {
      v[`ch6.choice.${d.id}.${c.id}.does`] = c.does;
      v[`ch6.choice.${d.id}.${c.id}.source`] = c.source;
    }
  }
  for (const w of WORKLOAD_IDS) {
    v[`ch6.workload.${w}.title`] = WORKLOADS[w].title;
    v[`ch6.workload.${w}.setup`] = WORKLOADS[w].setup;
    v[`ch6.workload.${w}.asks`] = WORKLOADS[w].asks;
  }
  for (const m of METRIC_IDS) {
    v[`ch6.metric.${m}.label`] = METRICS[m].label;
    v[`ch6.metric.${m}.what`] = METRICS[m].what;
    v[`ch6.metric.${m}.aggregate`] = METRICS[m].aggregate === "max" ? "the worst VM" : "sum over workloads";
  }
  for (const o of OBJECTION_IDS) {
    v[`ch6.objection.${o}.title`] = OBJECTIONS[o].title;
    v[`ch6.objection.${o}.who`] = OBJECTIONS[o].who;
    v[`ch6.objection.${o}.fails`] = OBJECTIONS[o].fails;
  }

  // The built-in policies on the default battery.
  for (const p of BUILTIN_POLICIES) {
    const card = scorePolicy(p, CH6_BATTERY);
    const k = `ch6.builtin.${slug(p.name)}`;
    v[`${k}.name`] = p.name;
    for (const m of METRIC_IDS) v[`${k}.${m}`] = formatMetric(m, card.metrics[m].value);
    for (const w of WORKLOAD_IDS) for (const m of METRIC_IDS) v[`${k}.${w}.${m}`] = formatMetric(m, card.metrics[m].perWorkload[w] ?? 0);
    const fails = card.objections.filter((o) => o.failed).map((o) => o.id);
    v[`${k}.fails`] = fails.length ? fails.join(", ") : "none";
    v[`${k}.failcount`] = fails.length;
  }

  // The kernel lab's slots: the committed kernel-suite run of each slot's scenario.
  KERNEL_LAB_SLOTS.forEach((s, i) => {
    v[`ch6.kernellab.${i}.decision`] = s.decision;
    v[`ch6.kernellab.${i}.choice`] = s.choice;
    v[`ch6.kernellab.${i}.observable`] = s.observable;
    v[`ch6.kernellab.${i}.scenario`] = s.scenario ?? "—";
    v[`ch6.kernellab.${i}.result`] =
      s.replayable !== true ? `model only: ${s.replayable}` : s.results ? s.results.map((r) => `${r.kernel}: ${r.observed}${r.agrees ? "" : " (differs)"}`).join("; ") : "pending (kernel lab)";
  });
  v["ch6.kernellab.count"] = KERNEL_LAB_SLOTS.length;
  return v;
}
