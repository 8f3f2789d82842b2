import { describe, expect, it } from "vitest";
import type { ContextReport, HealthReport } from "../platform-health.js";
import { clusterHealth } from "./cluster-health.js";
import type { ProcessEntry } from "./registry.js";

const context: ContextReport = { state: "ok", cursor: 3, lag: 0, deadLetters: 0, breakers: [], reasons: [] };

function report(status: "ok" | "degraded", contexts: string[], reasons: string[] = []): HealthReport {
  return {
    status,
    reasons,
    now: "2026-01-01T00:00:00.000Z",
    clock: { now: "2026-01-01T00:00:00.000Z", frozen: true },
    eventLogSeq: 3,
    dataDir: null,
    faults: {
      paymentProcessorDown: false,
      soapProcessorDown: false,
      paymentProcessorLatencyMs: 0,
      inventoryDown: false,
      carrierLosesParcels: false,
      emailChannelDown: false,
    },
    activeFaults: [],
    contexts: Object.fromEntries(contexts.map((name) => [name, context])),
  };
}

const entry = (id: string, contexts: string[]): ProcessEntry => ({
  id,
  url: `http://${id}.invalid:4000`,
  contexts,
  pid: 1,
  host: "h",
  startedAt: "2026-12-06T00:00:00.000Z",
});

/** A fetch answering each process's /healthz from `answers` (by host), failing for a host it does not know. */
const fetchFrom =
  (answers: Record<string, HealthReport>): typeof fetch =>
  async (input) => {
    const answer = answers[new URL(String(input)).hostname.replace(".invalid", "")];
    if (!answer) throw new Error("connect ECONNREFUSED");
    return new Response(JSON.stringify(answer), { status: answer.status === "ok" ? 200 : 503 });
  };

describe("the gateway's /healthz over every registered process", () => {
  it("is ok when every expected context is served by a process that is ok", async () => {
    const health = await clusterHealth({
      processes: [entry("a", ["order", "payment"]), entry("b", ["inventory"])],
      expected: ["order", "payment", "inventory"],
      fetch: fetchFrom({ a: report("ok", ["order", "payment"]), b: report("ok", ["inventory"]) }),
    });
    expect(health).toMatchObject({ status: "ok", reasons: [], unserved: [] });
    expect(health.contexts.inventory).toMatchObject({ process: "b", cursor: 3 });
    expect(health.processes.map((process) => process.status)).toEqual(["ok", "ok"]);
  });

  // [name, { given processes and answers, want reasons }]
  const table: [string, { processes: ProcessEntry[]; answers: Record<string, HealthReport>; want: string[] }][] = [
    [
      "a process that does not answer",
      {
        processes: [entry("a", ["order"]), entry("b", ["inventory"])],
        answers: { a: report("ok", ["order"]) },
        want: [
          "process b at http://b.invalid:4000 did not answer /healthz (connect ECONNREFUSED)",
          "no process serves inventory",
        ],
      },
    ],
    [
      "a context no process serves",
      {
        processes: [entry("a", ["order"])],
        answers: { a: report("ok", ["order"]) },
        want: ["no process serves inventory"],
      },
    ],
    [
      "a degraded process, its reasons named by process",
      {
        processes: [entry("a", ["order"]), entry("b", ["inventory"])],
        answers: { a: report("ok", ["order"]), b: report("degraded", ["inventory"], ["fault on: inventoryDown"]) },
        want: ["b: fault on: inventoryDown"],
      },
    ],
  ];
  it.each(table)("is degraded by %s", async (_name, { processes, answers, want }) => {
    const health = await clusterHealth({ processes, expected: ["order", "inventory"], fetch: fetchFrom(answers) });
    expect(health.status).toBe("degraded");
    expect(health.reasons).toEqual(want);
  });
});
