import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect as connectTcp, type Socket } from "node:net";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describePostgresNats } from "../../../../tests/backends/backends.js";
import { createTestNamespace, type TestNamespace } from "../../../../tests/backends/nats-namespace.js";
import { openClusterSim } from "./cluster-clock.js";
import { type Gateway, startGateway } from "./gateway-server.js";
import { openRegistry, type Registration } from "./registry.js";

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The processes' names in the order they were asked to settle. */
const settled: string[] = [];

/**
 * A process as the gateway sees one: `/healthz` ok for its contexts, `/_sim/clock/advance` and `/_sim/faults` as one
 * process answers them, `/_sim/settle` settled at once (noted in `settled`), and anything else answered with its
 * name and the path.
 */
async function fakeProcess(name: string, contexts: string[]): Promise<{ url: string; server: Server }> {
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    const json = (status: number, value: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(value));
    };
    if (request.url === "/healthz")
      return json(200, {
        status: "ok",
        reasons: [],
        contexts: Object.fromEntries(contexts.map((context) => [context, { state: "ok" }])),
      });
    if (request.url === "/_sim/clock/advance")
      return body === '{"by":"15m"}'
        ? json(200, { now: "2026-01-01T00:15:00.000Z", advancedByMs: 900_000 })
        : json(400, { code: "validation" });
    if (request.url === "/_sim/settle" && request.method === "POST") {
      settled.push(name);
      return json(200, { lastSeq: 7 });
    }
    if (request.url === "/_sim/faults" && request.method === "POST")
      return json(200, { ...JSON.parse(body), paymentProcessorDown: false });
    json(200, { process: name, url: request.url });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describePostgresNats("ecom gateway's server", (backend) => {
  let connection: NatsConnection;
  let namespace: TestNamespace;
  let gateway: Gateway;
  const processes: { url: string; server: Server }[] = [];
  const registrations: Registration[] = [];

  beforeAll(async () => {
    connection = await connect({ servers: backend.busUrl, name: "gateway-server-test" });
    namespace = createTestNamespace();
    const registry = await openRegistry({ connection, namespace: namespace.name });
    const shares = { a: ["order", "payment"], b: ["notification", "catalog"] };
    for (const [name, contexts] of Object.entries(shares)) {
      const served = await fakeProcess(name, contexts);
      processes.push(served);
      registrations.push(await registry.register({ id: name, url: served.url, contexts }));
    }
    gateway = await startGateway({
      bus: connection,
      namespace: namespace.name,
      serviceTokenKey: randomBytes(32),
      contexts: ["order", "payment", "notification", "catalog", "inventory"],
      port: 0,
      host: "127.0.0.1",
      log: silent,
    });
    await gateway.view.until(() => gateway.view.claims().length === 4);
  });
  afterAll(async () => {
    await gateway?.close();
    for (const registration of registrations) await registration.stop();
    for (const { server } of processes) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await namespace?.drop();
    await connection?.close();
  });

  const get = async (path: string) => (await fetch(`${gateway.url}${path}`)).json() as Promise<Record<string, unknown>>;

  it("routes each context's operations to its process", async () => {
    expect(await get("/orders/ord_1")).toEqual({ process: "a", url: "/orders/ord_1" });
    expect(await get("/products")).toEqual({ process: "b", url: "/products" });
  });

  it("answers /healthz for every registered process, degraded while a context has none", async () => {
    const health = await get("/healthz");
    expect(health).toMatchObject({
      status: "degraded",
      reasons: ["no process serves inventory"],
      unserved: ["inventory"],
    });
    expect((health.processes as { id: string }[]).map((entry) => entry.id)).toEqual(["a", "b"]);
  });

  it("takes a context's /_sim view from its process, and the log from any", async () => {
    expect(await get("/_sim/mailbox")).toEqual({ process: "b", url: "/_sim/mailbox" });
    expect(await get("/_sim/processor/soap?wsdl")).toEqual({ process: "a", url: "/_sim/processor/soap?wsdl" });
    expect(["a", "b"]).toContain((await get("/_sim/log?limit=1")).process);
  });

  it("writes a clock advance one process accepted to the sim bucket every process follows", async () => {
    const response = await fetch(`${gateway.url}/_sim/clock/advance`, { method: "POST", body: '{"by":"15m"}' });
    expect(await response.json()).toEqual({ now: "2026-01-01T00:15:00.000Z", advancedByMs: 900_000 });
    const sim = await openClusterSim({ connection, namespace: namespace.name });
    expect((await sim.current()).time).toEqual(new Date("2026-01-01T00:15:00.000Z"));
    // A request the process refuses is refused, and nothing is written.
    const refused = await fetch(`${gateway.url}/_sim/clock/advance`, { method: "POST", body: '{"by":"soon"}' });
    expect(refused.status).toBe(400);
    expect((await sim.current()).time).toEqual(new Date("2026-01-01T00:15:00.000Z"));
  });

  it("writes the fault switches one process answered to the sim bucket", async () => {
    const response = await fetch(`${gateway.url}/_sim/faults`, { method: "POST", body: '{"inventoryDown":true}' });
    expect(response.status).toBe(200);
    const sim = await openClusterSim({ connection, namespace: namespace.name });
    expect((await sim.current()).faults).toEqual({ inventoryDown: true, paymentProcessorDown: false });
  });

  it("settles every registered process in rounds, and refuses while a context has no process", async () => {
    const refused = await fetch(`${gateway.url}/_sim/settle`, { method: "POST" });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ detail: expect.stringMatching(/^No process serves inventory/) });
    const whole = await startGateway({
      bus: connection,
      namespace: namespace.name,
      serviceTokenKey: randomBytes(32),
      contexts: ["order", "payment", "notification", "catalog"],
      port: 0,
      host: "127.0.0.1",
      log: silent,
    });
    try {
      settled.length = 0;
      const response = await fetch(`${whole.url}/_sim/settle`, { method: "POST", body: '{"timeout":"30s"}' });
      expect(response.status).toBe(200);
      // Nothing was published: the second round changed nothing.
      expect(await response.json()).toEqual({ lastSeq: 7, rounds: 2, processes: ["a", "b"] });
      expect(settled).toEqual(["a", "b", "a", "b"]);
      const badBody = await fetch(`${whole.url}/_sim/settle`, { method: "POST", body: '{"timeout":"soon"}' });
      expect(badBody.status).toBe(400);
    } finally {
      await whole.close();
    }
  });

  it("says what it does not serve", async () => {
    const response = await fetch(`${gateway.url}/graphql`, { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      detail: expect.stringMatching(/GraphQL and the console need ecom sim up/),
    });
  });

  it("applies one process's connection limits: beyond the per-address cap a connection is closed at once", async () => {
    const limited = await startGateway({
      bus: connection,
      namespace: namespace.name,
      serviceTokenKey: randomBytes(32),
      contexts: ["order"],
      port: 0,
      host: "127.0.0.1",
      log: silent,
      limits: { maxConnectionsPerAddress: 2, maxHeaderBytes: 1024 },
    });
    const { port } = new URL(limited.url);
    const open = async () => {
      const socket = connectTcp({ host: "127.0.0.1", port: Number(port) });
      await once(socket, "connect");
      return socket;
    };
    /** The first line the gateway answers on `socket`, or "closed" when it closes the connection first. */
    const firstLine = (socket: Socket, request: string) =>
      new Promise<string>((resolve) => {
        let text = "";
        socket.on("data", (chunk: Buffer) => {
          text += chunk.toString("latin1");
          if (text.includes("\r\n")) resolve(text.slice(0, text.indexOf("\r\n")));
        });
        socket.once("close", () => resolve("closed"));
        socket.on("error", () => undefined);
        socket.write(request);
      });
    const healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    try {
      const held = [await open(), await open()];
      expect(await firstLine(await open(), healthz)).toBe("closed");
      expect(await firstLine(held[0]!, healthz)).toBe("HTTP/1.1 200 OK");
      // A head over the limit is refused by the parser, as on one process's port.
      expect(await firstLine(held[1]!, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(2048)}\r\n\r\n`)).toBe(
        "HTTP/1.1 431 Request Header Fields Too Large",
      );
      for (const socket of held) socket.destroy();
    } finally {
      await limited.close();
    }
  });
});
