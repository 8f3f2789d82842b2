import type { HealthReport, RepairPlan } from "@ecom/simulator";

/** `ecom sim status` as text: the verdict and its reasons, then the clock, faults and one line per context. */
export function formatHealth(url: string, report: HealthReport): string {
  const lines = [`${url}: ${report.status}`];
  for (const reason of report.reasons) lines.push(`  - ${reason}`);
  lines.push(
    "",
    `  clock        ${report.clock.now}${report.clock.frozen ? " (frozen: moves only with POST /_sim/clock/advance)" : ""}`,
    `  event log    #${report.eventLogSeq}`,
    `  data folder  ${report.dataDir ?? "in memory"}`,
    `  faults       ${report.activeFaults.length > 0 ? report.activeFaults.join(", ") : "none"}`,
    "",
    "  context        state     cursor   lag  dead letters  breakers",
  );
  for (const [name, context] of Object.entries(report.contexts)) {
    const breakers =
      context.breakers
        .map((breaker) => `${breaker.name} ${breaker.state}${breaker.reopensAt ? ` until ${breaker.reopensAt}` : ""}`)
        .join(", ") || "-";
    lines.push(
      `  ${name.padEnd(14)} ${context.state.padEnd(9)} ${String(context.cursor ?? "-").padStart(6)} ${String(context.lag).padStart(5)} ${String(context.deadLetters).padStart(13)}  ${breakers}`,
    );
  }
  return lines.join("\n");
}

/** `ecom sim repair` as text: what is (or would be) rebuilt, what is lost for good, and what cannot be repaired. */
export function formatRepair(plan: RepairPlan, data: string): string {
  if (plan.rebuild.length === 0 && plan.cannot.length === 0)
    return `${plan.dir}: every store checks out; nothing to repair.`;
  const lines = [`${plan.dir}:`];
  if (plan.rebuild.length > 0) {
    lines.push(plan.applied ? "rebuilt:" : "can rebuild (run again with --yes):");
    for (const step of plan.rebuild) {
      lines.push(`  - ${step.problem}`, `    ${plan.applied ? "did" : "will"}: ${step.action}`);
      if (step.loss) lines.push(`    lost for good: ${step.loss}`);
    }
  }
  if (plan.cannot.length > 0) {
    lines.push("cannot rebuild:");
    for (const step of plan.cannot) lines.push(`  - ${step.problem}`, `    ${step.action}`);
  } else if (plan.applied) {
    lines.push(`\`ecom sim up --data ${data}\` starts on it again.`);
  }
  return lines.join("\n");
}
