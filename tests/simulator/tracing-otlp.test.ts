import { createServer, type IncomingHttpHeaders } from "node:http";
import { type AddressInfo, createServer as createTcpServer } from "node:net";
import { allContexts } from "@ecom/services";
import { createPlatform } from "@ecom/simulator";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { quiet } from "./shop.js";

// OTLP export as a user turns it on: the standard OTEL_* variables, a receiver on a local port (a node:http server
// standing in for a collector). The batch's schedule delay is an hour, so only the flush sends anything.

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

async function startReceiver() {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ path: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(200, { "content-type": request.headers["content-type"] ?? "application/json" }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One REST request on a platform started with `env` set, its spans flushed; what the receiver was sent. */
async function exportOneRequest(env: Record<string, string>) {
  const receiver = await startReceiver();
  for (const [name, value] of Object.entries({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: "3600000",
    // The seed's own spans (a publish and a relay per event, a delivery per subscriber) fill the default queue of
    // 2,048 before the request is made; room for all of them, so the request's span is not the one dropped.
    OTEL_BSP_MAX_QUEUE_SIZE: "100000",
    ...env,
  }))
    vi.stubEnv(name, value);
  const platform = await createPlatform({ contexts: allContexts, memory: true, seed: 3, log: quiet });
  try {
    const response = await platform.fetch(new Request("http://ecom.test/products?limit=1"));
    expect(response.status).toBe(200);
    await platform.flushTraces();
    return receiver.received;
  } finally {
    await platform.close();
    await receiver.close();
  }
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("OTLP export", () => {
  it("posts the spans as OTLP/JSON to the endpoint's /v1/traces when the protocol is http/json", async () => {
    const received = await exportOneRequest({
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_SERVICE_NAME: "shop-dev",
    });
    expect(received.length).toBeGreaterThan(0);
    const [first] = received;
    expect(first!.path).toBe("/v1/traces");
    expect(first!.headers["content-type"]).toContain("application/json");
    const spans = received.flatMap((post) => {
      const body = JSON.parse(post.body.toString("utf8")) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: { stringValue?: string } }[] };
          scopeSpans: { spans: { name: string; traceId: string; attributes: { key: string }[] }[] }[];
        }[];
      };
      return body.resourceSpans.flatMap((resource) => {
        const service = resource.resource.attributes.find((attribute) => attribute.key === "service.name");
        expect(service?.value.stringValue).toBe("shop-dev");
        return resource.scopeSpans.flatMap((scope) => scope.spans);
      });
    });
    const request = spans.find((span) => span.name === "GET /products");
    expect(request?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(request?.attributes.map((attribute) => attribute.key)).toContain("http.route");
  });

  it("posts protobuf when the protocol is http/protobuf, the default", async () => {
    const received = await exportOneRequest({});
    expect(received.length).toBeGreaterThan(0);
    expect(received[0]!.headers["content-type"]).toBe("application/x-protobuf");
    // The span's name is a string field of the message, readable in the bytes.
    expect(Buffer.concat(received.map((post) => post.body)).includes("GET /products")).toBe(true);
  });

  it("serves and closes when the endpoint does not answer, saying the last spans were lost", async () => {
    // A listener that hangs up on every connection: the port stays ours, so no other process can answer on it.
    const hangUp = createTcpServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => hangUp.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => new Promise<void>((resolve) => hangUp.close(() => resolve())));
    vi.stubEnv("OTEL_EXPORTER_OTLP_ENDPOINT", `http://127.0.0.1:${(hangUp.address() as AddressInfo).port}`);
    vi.stubEnv("OTEL_BSP_SCHEDULE_DELAY", "3600000");
    const warnings: string[] = [];
    const platform = await createPlatform({
      contexts: allContexts,
      memory: true,
      seed: 3,
      log: { ...quiet, warn: (message) => warnings.push(message) },
    });
    const response = await platform.fetch(new Request("http://ecom.test/products?limit=1"));
    expect(response.status).toBe(200);
    await expect(platform.close()).resolves.toBeUndefined();
    expect(warnings).toContain("the last spans were not exported");
  });

  it("refuses to start with a protocol it cannot send, saying which ones it can", async () => {
    vi.stubEnv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9");
    vi.stubEnv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
    await expect(createPlatform({ contexts: allContexts, memory: true, log: quiet })).rejects.toThrow(
      "OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported; set it to http/protobuf or http/json",
    );
  });
});
