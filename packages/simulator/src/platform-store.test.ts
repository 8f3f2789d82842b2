import { allContexts } from "@ecom/services";
import type { AnyContextModule } from "@ecom/services/platform";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describePostgresNats } from "../../../tests/backends/backends.js";
import { createTestNamespace } from "../../../tests/backends/nats-namespace.js";
import { createTestDatabase, type TestDatabase } from "../../../tests/backends/test-database.js";
import type { GatewayRequest } from "./gateway/rest-gateway.js";
import { createPlatform, type Platform } from "./platform.js";

const quiet = { info() {}, warn() {}, error() {} };
const customer = allContexts.find((module) => module.name === "customer") as AnyContextModule;
const DAY_MS = 24 * 3_600_000;

describePostgresNats("the platform's store on PostgreSQL and NATS", (backend) => {
  let database: TestDatabase;
  const started: Platform[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    for (const platform of started) await platform.close().catch(() => {});
    await createTestNamespace(database?.name).drop();
    await database?.drop();
  });

  /** A process of the platform (the customer context alone) on the file's database and namespace. */
  async function start(): Promise<Platform> {
    const platform = await createPlatform({
      contexts: [customer],
      log: quiet,
      backends: { storeUrl: database.url, busUrl: backend.busUrl },
    });
    started.push(platform);
    return platform;
  }

  it("answers an Idempotency-Key a first platform stored from a second one on the same database", async () => {
    const [first, second] = [await start(), await start()];
    const register: GatewayRequest = {
      method: "POST",
      url: "/auth/register",
      headers: { "content-type": "application/json", "idempotency-key": "register-ada-0001" },
      body: JSON.stringify({
        email: "ada@example.com",
        password: "analytical-engine",
        firstName: "Ada",
        lastName: "L",
      }),
    };
    const created = await first.handle(register);
    expect(created.status).toBe(201);
    const replayed = await second.handle(register);
    expect(replayed).toEqual({ ...created, headers: { ...created.headers, "idempotent-replayed": "true" } });
    const other = await second.handle({ ...register, body: register.body.replace("ada@", "ada.l@") });
    expect(other.status).toBe(422);
  });

  it("resumes the clock after a restart past the time it saved and past the newest event's stamp", async () => {
    const first = await start();
    const advanced = await first.advanceClock(3 * DAY_MS);
    await first.close();
    const second = await start();
    expect(second.clock.now().getTime()).toBeGreaterThan(advanced.getTime());

    // An event stamped later than any clock saved: a process whose clock ran ahead published it, then died.
    const stamped = new Date(second.clock.now().getTime() + 10 * DAY_MS);
    const eventType = "ecommerce.test.clock.ahead.v1";
    const envelope = { eventId: "evt_clock_ahead", eventType, occurredAt: stamped.toISOString() };
    await second.bus.publish([
      {
        eventId: envelope.eventId,
        eventType,
        producer: "test",
        correlationId: "cor_clock_ahead",
        partitionKey: "clock",
        envelope: JSON.stringify({ ...envelope, producer: "test", correlationId: "cor_clock_ahead", payload: {} }),
      },
    ]);
    await second.close();
    const third = await start();
    expect(third.clock.now().getTime()).toBeGreaterThan(stamped.getTime());
  });
});
