import type { HealthReport } from "@ecom/simulator";

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
