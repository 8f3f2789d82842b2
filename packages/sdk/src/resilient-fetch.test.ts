import { describe, expect, it } from "vitest";
import { createResilientFetch } from "./resilient-fetch.js";

/** A fake server answering from a script of statuses (or "network" for a thrown error), recording requests. */
function scripted(script: (number | "network")[]) {
  const seen: { method: string; key: string | null; auth: string | null; body: string }[] = [];
  const fetch = async (request: Request) => {
    seen.push({
      method: request.method,
      key: request.headers.get("idempotency-key"),
      auth: request.headers.get("authorization"),
      body: await request.text(),
    });
    const next = script.shift() ?? 200;
    if (next === "network") throw new TypeError("fetch failed");
    return new Response(JSON.stringify({ status: next }), { status: next });
  };
  return { fetch, seen };
}

const noSleep = async () => {};
const post = () => new Request("http://localhost:4000/orders", { method: "POST", body: '{"cartId":"crt_1"}' });

describe("createResilientFetch", () => {
  it("retries a mutation on network errors and 5xx with the same Idempotency-Key and body", async () => {
    const server = scripted(["network", 503, 201]);
    const send = createResilientFetch({ fetch: server.fetch, sleep: noSleep, idempotencyKey: () => "key-1" });
    const response = await send(post());
    expect(response.status).toBe(201);
    expect(server.seen).toHaveLength(3);
    expect(new Set(server.seen.map((request) => request.key))).toEqual(new Set(["key-1"]));
    expect(server.seen.every((request) => request.body === '{"cartId":"crt_1"}')).toBe(true);
  });

  it("keeps a caller's own Idempotency-Key", async () => {
    const server = scripted([500, 200]);
    const send = createResilientFetch({ fetch: server.fetch, sleep: noSleep });
    await send(
      new Request("http://x/orders", { method: "POST", headers: { "idempotency-key": "mine-123" }, body: "{}" }),
    );
    expect(server.seen.map((request) => request.key)).toEqual(["mine-123", "mine-123"]);
  });

  it("does not retry a 4xx problem, and returns it", async () => {
    const server = scripted([422]);
    const response = await createResilientFetch({ fetch: server.fetch, sleep: noSleep })(post());
    expect(response.status).toBe(422);
    expect(server.seen).toHaveLength(1);
  });

  it("gives up after maxAttempts and returns the last response", async () => {
    const server = scripted([503, 503, 503]);
    const response = await createResilientFetch({ fetch: server.fetch, sleep: noSleep, retry: { maxAttempts: 3 } })(
      post(),
    );
    expect(response.status).toBe(503);
    expect(server.seen).toHaveLength(3);
  });

  it("throws the network error when every attempt fails", async () => {
    const server = scripted(["network", "network"]);
    await expect(
      createResilientFetch({ fetch: server.fetch, sleep: noSleep, retry: { maxAttempts: 2 } })(post()),
    ).rejects.toThrow("fetch failed");
  });

  it("backs off exponentially with full jitter, capped", async () => {
    const delays: number[] = [];
    const server = scripted([500, 500, 500, 500, 200]);
    const send = createResilientFetch({
      fetch: server.fetch,
      sleep: async (milliseconds) => {
        delays.push(milliseconds);
      },
      random: () => 0.999,
      retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 300 },
    });
    await send(post());
    expect(delays).toEqual([99, 199, 299, 299]);
  });

  it("adds no Idempotency-Key to reads, and sends the bearer token", async () => {
    const server = scripted([200]);
    await createResilientFetch({ fetch: server.fetch, token: () => "tok" })(new Request("http://x/orders/ord_1"));
    expect(server.seen[0]).toMatchObject({ method: "GET", key: null, auth: "Bearer tok" });
  });
});
