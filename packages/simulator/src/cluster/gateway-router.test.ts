import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, get, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { createClientAddress, GATEWAY_TOKEN_HEADER } from "./forwarded-client.js";
import { createGatewayRouter, type GatewayRouter } from "./gateway-router.js";
import { createServiceTokens } from "./service-token.js";

/** The platform's service tokens, as the gateway and its processes share them. */
const tokens = createServiceTokens({ key: randomBytes(32) });

/** What a process saw of a request the gateway forwarded. */
interface Seen {
  readonly process: string;
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

async function listening(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * A process as the gateway sees one: it answers every request with what it received, streams one SSE event on
 * `/sse/flash-sales` and keeps the stream open, and echoes WebSocket messages on `/ws/orders`.
 */
async function fakeProcess(name: string): Promise<{ url: string; server: Server }> {
  const server = createServer(async (request, response) => {
    if (request.url === "/sse/flash-sales") {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write(`data: from ${name}\n\n`);
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const seen: Seen = {
      process: name,
      method: request.method ?? "",
      url: request.url ?? "",
      headers: request.headers,
      body: Buffer.concat(chunks).toString(),
    };
    response.writeHead(201, { "content-type": "application/json", "x-answered-by": name });
    response.end(JSON.stringify(seen));
  });
  const sockets = new WebSocketServer({ noServer: true });
  server.on("upgrade", (request, socket, head) => {
    if (request.headers.authorization !== "Bearer customer-token") {
      socket.end("HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\ncontent-length: 12\r\n\r\nlog in first");
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => ws.on("message", (data) => ws.send(`${name}: ${data}`)));
  });
  return { url: await listening(server), server };
}

describe("the gateway's routing by contract operation", () => {
  const processes: { url: string; server: Server }[] = [];
  const where = new Map<string, string>();
  let gateway: GatewayRouter;
  let gatewayServer: Server;
  let base: string;

  beforeAll(async () => {
    const [a, b] = await Promise.all([fakeProcess("a"), fakeProcess("b")]);
    processes.push(a, b);
    for (const context of ["catalog", "cart", "promotion", "order"]) where.set(context, a.url);
    where.set("review", b.url);
    where.set("inventory", b.url);
    gateway = createGatewayRouter({
      registry: { urlOf: (context) => where.get(context) },
      tokens,
      local: (_request, response) => {
        response.writeHead(200, { "content-type": "text/plain" });
        response.end("the gateway itself");
      },
    });
    gatewayServer = createServer(gateway.handle);
    gatewayServer.on("upgrade", gateway.upgrade);
    base = await listening(gatewayServer);
  });
  afterAll(async () => {
    gateway.close();
    for (const server of [gatewayServer, ...processes.map((p) => p.server)]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  const seenOf = async (response: Response) => (await response.json()) as Seen;

  // [request, { want: the process that answers }]
  const table: [string, { method: string; path: string; want: string }][] = [
    ["a catalog REST read", { method: "GET", path: "/products/prd_1?fields=title", want: "a" }],
    [
      "a review path under /products (the more specific operation wins)",
      { method: "GET", path: "/products/prd_1/reviews", want: "b" },
    ],
    [
      "a Connect call, by its proto package",
      { method: "POST", path: "/ecom.inventory.v1.InventoryService/QueryStock", want: "b" },
    ],
  ];
  it.each(table)("sends %s to the process serving its context", async (_name, { method, path, want }) => {
    const response = await fetch(`${base}${path}`, {
      method,
      ...(method === "POST" ? { body: "{}", headers: { "content-type": "application/json" } } : {}),
    });
    expect(response.status).toBe(201);
    expect(await seenOf(response)).toMatchObject({ process: want, method, url: path });
  });

  it("forwards the body and headers of a request and the status and headers of the answer", async () => {
    const response = await fetch(`${base}/carts`, {
      method: "POST",
      body: JSON.stringify({ currency: "EUR" }),
      headers: { "content-type": "application/json", "idempotency-key": "k-1", authorization: "Bearer customer-token" },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("x-answered-by")).toBe("a");
    const seen = await seenOf(response);
    expect(seen.body).toBe('{"currency":"EUR"}');
    expect(seen.headers).toMatchObject({
      "idempotency-key": "k-1",
      authorization: "Bearer customer-token",
      "x-forwarded-for": "127.0.0.1",
    });
  });

  it("vouches for the client's address with its token, and replaces a token header the client sent", async () => {
    const forged = tokens.tokenFor("order", "inventory");
    const response = await fetch(`${base}/products`, {
      headers: { "x-forwarded-for": "203.0.113.9", [GATEWAY_TOKEN_HEADER]: forged },
    });
    const { headers } = await seenOf(response);
    expect(headers["x-forwarded-for"]).toBe("203.0.113.9, 127.0.0.1");
    expect(headers[GATEWAY_TOKEN_HEADER]).not.toBe(forged);
    // A process sharing the key counts the request as the address the gateway saw, not the one the client claimed.
    expect(createClientAddress(tokens)({ headers, socket: { remoteAddress: "10.0.0.1" } })).toBe("127.0.0.1");
  });

  it("drops a service token an outside request carries", async () => {
    const token = createServiceTokens({ key: randomBytes(32) }).tokenFor("order", "inventory");
    const response = await fetch(`${base}/ecom.inventory.v1.InventoryService/ReserveStock`, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    });
    expect((await seenOf(response)).headers.authorization).toBeUndefined();
  });

  it("drops a caller's trace headers when it listens beyond loopback, and keeps them on loopback", async () => {
    const traced = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", tracestate: "x=1" };
    expect((await seenOf(await fetch(`${base}/products`, { headers: traced }))).headers).toMatchObject(traced);
    const edge = createGatewayRouter({
      registry: { urlOf: (context) => where.get(context) },
      tokens,
      local: () => undefined,
      publicEdge: true,
    });
    const edgeServer = createServer(edge.handle);
    try {
      const edgeBase = await listening(edgeServer);
      const seen = await seenOf(await fetch(`${edgeBase}/products`, { headers: traced }));
      expect(seen.headers.traceparent).toBeUndefined();
      expect(seen.headers.tracestate).toBeUndefined();
    } finally {
      edge.close();
      edgeServer.closeAllConnections();
      await new Promise((resolve) => edgeServer.close(resolve));
    }
  });

  it("answers 503 naming a context no process serves", async () => {
    where.delete("review");
    try {
      const response = await fetch(`${base}/reviews`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({
        code: "unavailable",
        detail: expect.stringMatching(/No process serves review/),
      });
    } finally {
      where.set("review", processes[1]?.url ?? "");
    }
  });

  it("answers 503 naming the process when the process serving a context does not answer", async () => {
    // A port that was listened on and closed: the connection is refused at once.
    const gone = createServer();
    const url = await listening(gone);
    await new Promise((resolve) => gone.close(resolve));
    where.set("review", url);
    try {
      const response = await fetch(`${base}/reviews`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({
        code: "unavailable",
        detail: expect.stringContaining(`The process serving review (${url}) did not answer`),
        instance: "/reviews",
      });
    } finally {
      where.set("review", processes[1]?.url ?? "");
    }
  });

  it("refuses with 404 an upgrade that no context's operation matches, when it serves none of its own", async () => {
    const socket = new WebSocket(`${base.replace("http", "ws")}/_sim/nothing-here`);
    const [, response] = (await once(socket, "unexpected-response")) as [unknown, IncomingMessage];
    expect(response.statusCode).toBe(404);
    socket.on("error", () => undefined); // terminating a socket that never opened reports it
    socket.terminate();
  });

  it("asks on every request, so a context that moved is found at its new process", async () => {
    where.set("catalog", processes[1]?.url ?? "");
    try {
      expect((await seenOf(await fetch(`${base}/products`))).process).toBe("b");
    } finally {
      where.set("catalog", processes[0]?.url ?? "");
    }
  });

  it("leaves /healthz, /_sim and what no operation matches to the gateway itself", async () => {
    for (const path of ["/healthz", "/_sim/log", "/", "/no-such-thing"]) {
      expect(await (await fetch(`${base}${path}`)).text()).toBe("the gateway itself");
    }
  });

  it("streams an SSE answer as it comes, without waiting for its end", async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/sse/flash-sales`, { signal: controller.signal });
    const reader = response.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toBe("data: from a\n\n");
    controller.abort();
  });

  it("carries a WebSocket to the process serving its context", async () => {
    const socket = new WebSocket(`${base.replace("http", "ws")}/ws/orders`, {
      headers: { authorization: "Bearer customer-token" },
    });
    await once(socket, "open");
    socket.send("hello");
    const [message] = await once(socket, "message");
    expect(String(message)).toBe("a: hello");
    socket.close();
  });

  it("passes a process's refusal of a WebSocket back to the client", async () => {
    const socket = new WebSocket(`${base.replace("http", "ws")}/ws/orders`);
    const [, response] = (await once(socket, "unexpected-response")) as [unknown, IncomingMessage];
    expect(response.statusCode).toBe(401);
    socket.on("error", () => undefined); // terminating a socket that never opened reports it
    socket.terminate();
  });
});

describe("the gateway's event streams", () => {
  let upstream: { url: string; server: Server };
  let gateway: GatewayRouter;
  let gatewayServer: Server;
  let base: string;
  const open: IncomingMessage[] = [];
  /** When the gateway's side of each stream, in the order opened, has closed (its slot given back by then). */
  const gatewayClosed: Promise<unknown>[] = [];

  beforeAll(async () => {
    upstream = await fakeProcess("a");
    // Two kept-alive sockets for requests and three streams: the streams must not take the requests' two.
    gateway = createGatewayRouter({
      registry: { urlOf: () => upstream.url },
      tokens,
      local: () => undefined,
      maxStreams: 3,
      requestSockets: 2,
    });
    gatewayServer = createServer(gateway.handle);
    gatewayServer.on("upgrade", gateway.upgrade);
    // After the gateway's own listener, which took the slot and gives it back on the same "close".
    gatewayServer.on("request", (request, response) => {
      if (request.url === "/sse/flash-sales") gatewayClosed.push(once(response, "close"));
    });
    base = await listening(gatewayServer);
  });
  afterAll(async () => {
    for (const stream of open) stream.destroy();
    gateway.close();
    for (const server of [gatewayServer, upstream.server]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  /** Open an SSE stream through the gateway and read its first event; the stream stays open. */
  const openStream = async () => {
    const [response] = (await once(get(`${base}/sse/flash-sales`), "response")) as [IncomingMessage];
    open.push(response);
    const [first] = (await once(response, "data")) as [Buffer];
    return { status: response.statusCode, first: first.toString() };
  };

  it("answers REST on its own sockets while every stream slot is held open", async () => {
    for (let index = 0; index < 3; index++)
      expect(await openStream()).toEqual({ status: 200, first: "data: from a\n\n" });
    // More requests at once than the request sockets: they queue for the two, none for a stream's.
    const answers = await Promise.all(Array.from({ length: 4 }, () => fetch(`${base}/products`)));
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201, 201]);
  });

  it("refuses a stream beyond the cap with 503 and Retry-After, as one process's port does", async () => {
    const response = await fetch(`${base}/sse/flash-sales`);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(await response.json()).toMatchObject({ code: "unavailable" });
  });

  it("counts WebSockets among the streams", async () => {
    const socket = new WebSocket(`${base.replace("http", "ws")}/ws/orders`, {
      headers: { authorization: "Bearer customer-token" },
    });
    const [, response] = (await once(socket, "unexpected-response")) as [unknown, IncomingMessage];
    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBe("5");
    socket.on("error", () => undefined);
    socket.terminate();
  });

  it("gives a slot back when its stream ends", async () => {
    // The third stream opened (the first three took the slots; what came after was refused).
    const ended = open.pop()!;
    ended.destroy();
    // The gateway sees the close on its side once the socket's end reaches it.
    await gatewayClosed[2];
    const [response] = (await once(get(`${base}/sse/flash-sales`), "response")) as [IncomingMessage];
    open.push(response);
    expect(response.statusCode).toBe(200);
  });
});

describe("the gateway's event streams to one process", () => {
  let a: { url: string; server: Server };
  let b: { url: string; server: Server };
  let gateway: GatewayRouter;
  let gatewayServer: Server;
  let base: string;
  const open: IncomingMessage[] = [];

  beforeAll(async () => {
    [a, b] = await Promise.all([fakeProcess("a"), fakeProcess("b")]);
    // Room for ten streams in all but two to each process: what one process's sockets allow is the cap for it.
    gateway = createGatewayRouter({
      registry: { urlOf: (context) => (context === "order" ? b.url : a.url) },
      tokens,
      local: () => undefined,
      maxStreams: 10,
      requestSockets: 2,
      streamSocketsPerProcess: 2,
    });
    gatewayServer = createServer(gateway.handle);
    gatewayServer.on("upgrade", gateway.upgrade);
    base = await listening(gatewayServer);
  });
  afterAll(async () => {
    for (const stream of open) stream.destroy();
    gateway.close();
    for (const server of [gatewayServer, a.server, b.server]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("refuses a stream past one process's sockets with 503 and Retry-After instead of queueing it", async () => {
    for (let index = 0; index < 2; index++) {
      const [response] = (await once(get(`${base}/sse/flash-sales`), "response")) as [IncomingMessage];
      open.push(response);
      expect(response.statusCode).toBe(200);
    }
    const refused = await fetch(`${base}/sse/flash-sales`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    // Another process's streams are counted apart: a WebSocket to b still opens.
    const socket = new WebSocket(`${base.replace("http", "ws")}/ws/orders`, {
      headers: { authorization: "Bearer customer-token" },
    });
    await once(socket, "open");
    socket.send("hello");
    const [message] = await once(socket, "message");
    expect(String(message)).toBe("b: hello");
    socket.close();
  });
});
