import { describe, expect, it } from "vitest";
import { settleCluster } from "./cluster-settle.js";
import type { ProcessEntry } from "./registry.js";

const entry = (id: string, contexts: string[]): ProcessEntry => ({
  id,
  url: `http://${id}.invalid:4000`,
  contexts,
  pid: 1,
  host: "h",
  startedAt: "2026-12-06T00:00:00.000Z",
});

const processes = [entry("a", ["order", "payment"]), entry("b", ["inventory"])];
const expected = ["order", "payment", "inventory"];

/**
 * Processes sharing one stream: each `POST /_sim/settle` is answered by `settle(id, timeout asked)` with the stream's
 * last sequence afterwards, or with what it returns instead (a Response); the host `gone` refuses the connection.
 */
function cluster(settle: (id: string, timeoutMs: number, clock?: string) => number | Response) {
  const calls: string[] = [];
  const fetcher: typeof fetch = async (input, init) => {
    const id = new URL(String(input)).hostname.replace(".invalid", "");
    if (id === "gone") throw new Error("connect ECONNREFUSED");
    calls.push(id);
    const body = JSON.parse(String(init?.body)) as { timeout: number; clock?: string };
    const answer = settle(id, body.timeout, body.clock);
    return answer instanceof Response ? answer : Response.json({ lastSeq: answer });
  };
  return { calls, fetch: fetcher };
}

describe("the gateway's POST /_sim/settle over every registered process", () => {
  it("settles every process in turn, in rounds, until a whole round leaves the stream's last sequence as it was", async () => {
    // a's settles publish for three rounds (what b delivered made it publish again), then nothing does.
    let lastSeq = 10;
    let publishing = 3;
    const { calls, fetch } = cluster((id) => {
      if (id === "a" && publishing-- > 0) lastSeq += 1;
      return lastSeq;
    });
    const answer = await settleCluster({ processes: async () => processes, expected, timeoutMs: 60_000, fetch });
    expect(answer).toEqual({ lastSeq: 13, rounds: 4, processes: ["a", "b"] });
    expect(calls).toEqual(["a", "b", "a", "b", "a", "b", "a", "b"]);
  });

  it("carries the sim bucket's clock to every process, in every round, so each applies it before settling", async () => {
    const asked: (string | undefined)[] = [];
    const { fetch } = cluster((_id, _timeout, clock) => {
      asked.push(clock);
      return 5;
    });
    const clock = new Date("2026-01-01T00:15:00.000Z");
    await settleCluster({ processes: async () => processes, expected, timeoutMs: 60_000, clock, fetch });
    expect(asked).toEqual(Array(4).fill("2026-01-01T00:15:00.000Z"));
    // Without a clock in the bucket (never advanced), none is sent.
    asked.length = 0;
    await settleCluster({ processes: async () => processes, expected, timeoutMs: 60_000, fetch });
    expect(asked).toEqual(Array(4).fill(undefined));
  });

  it("settles a process that registered after the first round too", async () => {
    const later = [...processes, entry("c", ["review"])];
    let round = 0;
    const { calls, fetch } = cluster(() => 5);
    const answer = await settleCluster({
      processes: async () => (++round === 1 ? processes : later),
      expected,
      timeoutMs: 60_000,
      fetch,
    });
    expect(answer).toEqual({ lastSeq: 5, rounds: 2, processes: ["a", "b", "c"] });
    expect(calls).toEqual(["a", "b", "a", "b", "c"]);
  });

  it("gives each process what is left of the time", async () => {
    const asked: number[] = [];
    const { fetch } = cluster((_id, timeoutMs) => {
      asked.push(timeoutMs);
      return 1;
    });
    await settleCluster({ processes: async () => processes, expected, timeoutMs: 60_000, fetch });
    expect(asked).toHaveLength(4);
    for (const timeoutMs of asked) expect(timeoutMs).toBeGreaterThan(0);
    for (const timeoutMs of asked) expect(timeoutMs).toBeLessThanOrEqual(60_000);
  });

  // [name, { given, want the problem's message }]
  const refusals: [
    string,
    { registered: ProcessEntry[]; answer?: (id: string) => number | Response; timeoutMs?: number; want: RegExp },
  ][] = [
    ["no process at all", { registered: [], want: /^No process is registered yet/ }],
    [
      "a context no process serves",
      { registered: [processes[0]!], want: /^No process serves inventory: its events would wait undelivered/ },
    ],
    [
      "a process that does not answer",
      {
        registered: [...processes, entry("gone", [])],
        want: /^Process gone at http:\/\/gone\.invalid:4000 did not answer/,
      },
    ],
    [
      "a process that did not settle in its time",
      {
        registered: processes,
        answer: (id) =>
          id === "b"
            ? Response.json(
                { code: "unavailable", detail: "The platform did not settle within 60s: …" },
                { status: 503 },
              )
            : 1,
        want: /^Process b at http:\/\/b\.invalid:4000 did not settle: The platform did not settle within 60s/,
      },
    ],
    ["no time left", { registered: processes, timeoutMs: 0, want: /^The split platform did not settle within 0s/ }],
  ];
  it.each(refusals)("answers 503 for %s", async (_name, { registered, answer, timeoutMs, want }) => {
    const { fetch } = cluster(answer ?? (() => 1));
    const settled = settleCluster({
      processes: async () => registered,
      expected: registered.length === 0 ? [] : expected,
      timeoutMs: timeoutMs ?? 60_000,
      fetch,
    });
    await expect(settled).rejects.toMatchObject({ code: "unavailable", message: expect.stringMatching(want) });
  });

  it("answers 503 when events keep producing events, round after round", async () => {
    let lastSeq = 0;
    const { fetch } = cluster(() => ++lastSeq);
    await expect(
      settleCluster({ processes: async () => processes, expected, timeoutMs: 60_000, fetch }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/events keep producing events/) });
  });
});
