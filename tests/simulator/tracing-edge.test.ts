import { allContexts, devAccounts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quiet, shopAt } from "./shop.js";

// A trace id a caller names goes into event envelopes and out to partners in webhooks' traceparent. On a port
// others can reach, only an admin (as for /_sim) names it; anyone else's traceparent is a link, not a parent.

let platform: Platform;
let url: string;
let adminToken: string;
const exporter = new InMemorySpanExporter();
const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
const traceparent = `00-${callerTrace}-00f067aa0ba902b7-01`;

beforeAll(async () => {
  platform = await createPlatform({
    contexts: allContexts,
    memory: true,
    seed: 13,
    log: quiet,
    tracing: { exporters: [exporter] },
  });
  const admin = await shopAt(platform)
    .anonymous()
    .customer.login({ body: { email: devAccounts.admin.email, password: devAccounts.admin.password } });
  adminToken = admin.data!.accessToken;
  const port = new URL(await platform.listen(0, "0.0.0.0")).port;
  url = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await platform.close();
});

/** The server span of the one request `send` makes. */
async function serverSpanOf(name: string, send: () => Promise<Response>): Promise<ReadableSpan> {
  exporter.reset();
  await (await send()).arrayBuffer();
  await platform.flushTraces();
  const span = exporter.getFinishedSpans().find((candidate) => candidate.name === name);
  if (!span) throw new Error(`no span ${name}`);
  return span;
}

const getProducts = (authorization?: string) => () =>
  fetch(`${url}/products?limit=1`, { headers: { traceparent, ...(authorization ? { authorization } : {}) } });
const getProductRpc = () =>
  fetch(`${url}/ecom.catalog.v1.CatalogService/GetProduct`, {
    method: "POST",
    headers: { traceparent, "content-type": "application/json" },
    body: JSON.stringify({ productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E" }),
  });

describe("a traceparent sent to a port others can reach", () => {
  it("is only linked from a REST request's span of a trace of its own, without the admin token", async () => {
    const span = await serverSpanOf("GET /products", getProducts());
    expect(span.spanContext().traceId).not.toBe(callerTrace);
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.links.map((link) => link.context.traceId)).toEqual([callerTrace]);
  });

  it("is only linked from a Connect call's span too", async () => {
    const span = await serverSpanOf("ecom.catalog.v1.CatalogService/GetProduct", getProductRpc);
    expect(span.spanContext().traceId).not.toBe(callerTrace);
    expect(span.links.map((link) => link.context.traceId)).toEqual([callerTrace]);
  });

  it("is the parent when the request carries an admin token", async () => {
    const span = await serverSpanOf("GET /products", getProducts(`Bearer ${adminToken}`));
    expect(span.spanContext().traceId).toBe(callerTrace);
    expect(span.links).toEqual([]);
  });
});
