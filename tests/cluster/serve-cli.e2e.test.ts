import { devAccounts } from "@ecom/services";
import { storeNamespace } from "@ecom/simulator";
import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describePostgresNats } from "../backends/backends.js";
import { createTestNamespace } from "../backends/nats-namespace.js";
import { createTestDatabase, type TestDatabase } from "../backends/test-database.js";
import { type EcomChild, killAllEcomChildren, startEcom } from "./ecom-children.js";

// `ecom serve` and `ecom gateway` as a user runs them: child processes on a database and a namespace of this file's.

describePostgresNats("ecom serve and ecom gateway", (backend) => {
  let database: TestDatabase;
  let namespace: string;
  let gatewayUrl: string;
  let customerProcess: EcomChild;
  let inventoryUrl: string;
  let nats: Nats;
  const serve = (contexts: string, ...more: string[]) =>
    startEcom("serve", [
      "--contexts",
      contexts,
      "--store",
      database.url,
      "--bus",
      backend.busUrl,
      "--registry-ttl",
      "3s",
      ...more,
    ]);

  beforeAll(async () => {
    database = await createTestDatabase();
    namespace = storeNamespace(database.url);
    nats = await natsOf(backend.busUrl, namespace);
    customerProcess = serve("customer", "--instance", "customers-1");
    await customerProcess.url;
    inventoryUrl = await serve("inventory,catalog").url;
    gatewayUrl = await startEcom("gateway", ["--store", database.url, "--bus", backend.busUrl, "--port", "0"]).url;
  }, 180_000);
  afterAll(async () => {
    await killAllEcomChildren();
    await nats?.connection.close();
    await createTestNamespace(namespace).drop();
    await database?.drop();
  });

  it("routes a REST login to the customer process and a Connect query to the inventory process", async () => {
    // Both announced themselves before they said they were ready, and the gateway started after them.
    const health = (await (await fetch(`${gatewayUrl}/healthz`)).json()) as { processes: unknown[] };
    expect(health.processes).toHaveLength(2);
    const login = await fetch(`${gatewayUrl}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: devAccounts.customer.email, password: devAccounts.customer.password }),
    });
    expect(login.status).toBe(200);
    const stock = await fetch(`${gatewayUrl}/ecom.inventory.v1.InventoryService/QueryStock`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ productIds: ["prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E"] }),
    });
    expect(stock.status).toBe(200);
    // A product without a stock record is reported with zeros, by the inventory process.
    expect(await stock.json()).toMatchObject({ levels: [{ productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E" }] });
  });

  it("refuses a second process for a context another serves, naming the holder, and the first keeps delivering", async () => {
    const durable = `${namespace}_inventory`;
    const before = await nats.manager.consumers.info(nats.stream, durable);
    const second = serve("inventory");
    const { code, stderr } = await second.exited;
    expect(code).toBe(2);
    expect(stderr).toMatch(/inventory is already served by process \S+ at http:\/\/127\.0\.0\.1:\d+/);
    // Refused before it touched anything: the live process's durable is the one it made, not made anew.
    const after = await nats.manager.consumers.info(nats.stream, durable);
    expect(after.created).toBe(before.created);
    // And it still delivers: an event published now is acked by the inventory process's consumer, by the time the
    // process says it settled (every event up to the stream's end delivered and acked).
    const seq = await nats.publishProbe();
    const settled = await fetch(`${inventoryUrl}/_sim/settle`, { method: "POST" });
    expect(settled.status).toBe(200);
    expect((await nats.manager.consumers.info(nats.stream, durable)).ack_floor.stream_seq).toBeGreaterThanOrEqual(seq);
  });

  it("stops delivering and exits non-zero when another process takes its claim over", async () => {
    const review = serve("review", "--instance", "reviews-1");
    await review.url;
    // What a successor writes once this process's claim lapsed (it stalled past the TTL, say).
    const kv = await new Kvm(nats.connection).open(`ecom_${namespace}_registry`);
    await kv.put(
      "contexts.review",
      JSON.stringify({
        context: "review",
        url: "http://127.0.0.1:9",
        processId: "usurper",
        startedAt: new Date().toISOString(),
      }),
    );
    const { code, stderr } = await review.exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /ecom serve: This process no longer serves review: review is already served by process usurper at http:\/\/127\.0\.0\.1:9 .*; stopped delivering to review and exiting\./,
    );
    await kv.delete("contexts.review");
  });

  it("releases its contexts on a clean stop", async () => {
    customerProcess.child.kill("SIGTERM");
    const { code, stdout } = await customerProcess.exited;
    expect(code).toBe(0);
    expect(stdout).toMatch(/stopped cleanly/);
    const health = (await (await fetch(`${gatewayUrl}/healthz`)).json()) as { unserved: string[] };
    expect(health.unserved).toContain("customer");
    // The gateway's watcher hears of the release on its own time; then a login has nowhere to go.
    await until(async () => (await fetch(`${gatewayUrl}/auth/login`, { method: "POST", body: "{}" })).status === 503);
  });
});

interface Nats {
  readonly connection: NatsConnection;
  readonly manager: JetStreamManager;
  readonly stream: string;
  /** Publish an event of a type no context handles (every consumer acks it unhandled); resolves with its seq. */
  publishProbe(): Promise<number>;
}

async function natsOf(url: string, namespace: string): Promise<Nats> {
  const connection = await connect({ servers: url, name: "serve-cli-test" });
  const type = "ecommerce.test.probe.happened.v1";
  return {
    connection,
    manager: await jetstreamManager(connection),
    stream: `ECOM_${namespace.toUpperCase()}_EVENTS`,
    async publishProbe() {
      const eventId = `evt_probe_${Date.now()}`;
      const envelope = { eventId, eventType: type, producer: "test", correlationId: "cor_probe", partitionKey: "p" };
      const ack = await jetstream(connection).publish(`ecom.${namespace}.evt.${type}.p`, JSON.stringify(envelope));
      return ack.seq;
    },
  };
}

async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("the gateway never saw it");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
