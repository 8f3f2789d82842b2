import type { ContextReport, HealthReport } from "../platform-health.js";
import type { ProcessEntry } from "./registry.js";

/** One registered process as the gateway's `/healthz` shows it. */
export interface ProcessHealth {
  readonly id: string;
  readonly url: string;
  readonly contexts: readonly string[];
  /** Its own `/healthz` status, or `unreachable` when it did not answer one. */
  readonly status: "ok" | "degraded" | "unreachable";
  readonly reasons: readonly string[];
}

/** The body of the gateway's `GET /healthz`: every registered process, and every context of the platform. */
export interface ClusterHealthReport {
  /** `ok` only when every expected context is served by a process that answers `ok`. */
  readonly status: "ok" | "degraded";
  readonly reasons: readonly string[];
  readonly processes: readonly ProcessHealth[];
  /** Each served context's report from its process, with the process's id. */
  readonly contexts: Readonly<Record<string, ContextReport & { readonly process: string }>>;
  /** Expected contexts no live process serves. */
  readonly unserved: readonly string[];
}

/**
 * The gateway's `/healthz`: ask every registered process for its own (`GET <url>/healthz`, `timeoutMs` each, all at
 * once) and put the answers together. A process that does not answer, or a context no one serves, makes the
 * platform `degraded` with a reason naming it.
 */
export async function clusterHealth(options: {
  readonly processes: readonly ProcessEntry[];
  /** The contexts the platform should have (all of them, usually). */
  readonly expected: readonly string[];
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}): Promise<ClusterHealthReport> {
  const fetcher = options.fetch ?? fetch;
  const answers = await Promise.all(
    options.processes.map(async (entry): Promise<{ entry: ProcessEntry; report?: HealthReport; error?: string }> => {
      try {
        const response = await fetcher(new URL("/healthz", entry.url), {
          signal: AbortSignal.timeout(options.timeoutMs ?? 2_000),
        });
        // A degraded process answers 503 with its report: both are reports.
        return { entry, report: (await response.json()) as HealthReport };
      } catch (error) {
        return { entry, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  const reasons: string[] = [];
  const contexts: Record<string, ContextReport & { process: string }> = {};
  const processes = answers.map(({ entry, report, error }): ProcessHealth => {
    if (!report) {
      reasons.push(`process ${entry.id} at ${entry.url} did not answer /healthz (${error})`);
      return { id: entry.id, url: entry.url, contexts: entry.contexts, status: "unreachable", reasons: [] };
    }
    for (const reason of report.reasons) reasons.push(`${entry.id}: ${reason}`);
    for (const [name, context] of Object.entries(report.contexts)) contexts[name] = { ...context, process: entry.id };
    return { id: entry.id, url: entry.url, contexts: entry.contexts, status: report.status, reasons: report.reasons };
  });
  const served = new Set(answers.filter((answer) => answer.report).flatMap((answer) => answer.entry.contexts));
  const unserved = options.expected.filter((context) => !served.has(context));
  for (const context of unserved) reasons.push(`no process serves ${context}`);
  return {
    status: reasons.length === 0 && processes.every((process) => process.status === "ok") ? "ok" : "degraded",
    reasons,
    processes,
    contexts,
    unserved,
  };
}
