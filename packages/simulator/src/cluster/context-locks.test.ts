import { connect, createServer, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describePostgresNats } from "../../../../tests/backends/backends.js";
import { createCondition } from "../../../../tests/backends/condition.js";
import { createTestDatabase, type TestDatabase, withAdminClient } from "../../../../tests/backends/test-database.js";
import { type ContextLocksOptions, lockContexts } from "./context-locks.js";
import { isRegistryError, type RegistryError } from "./registry.js";

async function refusal(work: () => Promise<unknown>): Promise<RegistryError> {
  try {
    await work();
  } catch (error) {
    if (isRegistryError(error)) return error;
    throw error;
  }
  throw new Error("not refused");
}

describePostgresNats("the contexts' locks in PostgreSQL", () => {
  let database: TestDatabase;
  const ignore = () => undefined;
  const lock = (processId: string, contexts: string[], more: Partial<ContextLocksOptions> = {}) =>
    lockContexts({ url: database.url, namespace: database.name, contexts, processId, onLost: ignore, ...more });

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("refuses a second process a context another holds, naming the holder's session, and keeps none of its locks", async () => {
    const first = await lock("first", ["order"]);
    const error = await refusal(() => lock("second", ["payment", "order"]));
    expect(error.code).toBe("context_claimed");
    expect(error.message).toMatch(
      /^order is locked in PostgreSQL by session \d+ \(ecom serve first from [\d.:a-f]+, since /,
    );
    expect(error.message).toMatch(/another process serves it/);
    // payment was locked before order was refused: let go again.
    const third = await lock("third", ["payment"]);
    await first.release();
    const next = await lock("second", ["order"]);
    await third.release();
    await next.release();
  });

  it("keeps two namespaces on one database apart", async () => {
    const ours = await lock("ours", ["cart"]);
    const theirs = await lockContexts({
      url: database.url,
      namespace: `${database.name}_other`,
      contexts: ["cart"],
      processId: "theirs",
      onLost: ignore,
    });
    await ours.release();
    await theirs.release();
  });

  it("waits for a session of the same process id to go (a restarted --instance), and refuses one that stays", async () => {
    const before = await lock("instance-1", ["review"]);
    const stays = await refusal(() => lock("instance-1", ["review"], { handoverMs: 0 }));
    expect(stays.message).toMatch(
      /review is locked in PostgreSQL by session \d+ \(ecom serve instance-1 .*another process runs with the same --instance/,
    );
    const after = lock("instance-1", ["review"], { handoverMs: 60_000 });
    await before.release();
    await (await after).release();
  });

  it("tells the holder when its session ends, as the locks go with it", async () => {
    const lost: RegistryError[] = [];
    const told = createCondition();
    await lock("cut-off", ["inventory", "catalog"], {
      onLost: (error) => {
        lost.push(error);
        told.changed();
      },
    });
    await withAdminClient(async (client) => {
      await client.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'ecom serve cut-off' and datname = $1",
        [database.name],
      );
    });
    await told.until(() => lost.length > 0);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.code).toBe("claim_lost");
    expect(lost[0]?.message).toMatch(
      /no longer holds the PostgreSQL locks of inventory, catalog: its session (failed|ended)/,
    );
    // Gone indeed: another process locks them at once.
    await (await lock("successor", ["inventory", "catalog"])).release();
  });

  it("finds at a check a session that no longer answers (a half-open connection), which no socket event tells", async () => {
    const proxy = await freezableProxy(new URL(database.url));
    const lost: RegistryError[] = [];
    const locks = await lockContexts({
      url: proxy.url(database.url),
      namespace: database.name,
      contexts: ["shipping"],
      processId: "half-open",
      onLost: (error) => lost.push(error),
    });
    try {
      await locks.check(60_000);
      expect(lost).toEqual([]);
      // Nothing goes through any more, and nothing is closed: what a cable pulled or a dead peer leaves.
      proxy.freeze();
      await locks.check(100);
      expect(lost.map((error) => [error.code, error.message])).toEqual([
        [
          "claim_lost",
          "This process no longer holds the PostgreSQL locks of shipping: its session did not answer within 0.1s",
        ],
      ]);
    } finally {
      proxy.close();
      await locks.release();
    }
  });
});

/** A TCP proxy to `target`'s host and port that can stop passing bytes, both ways, without closing anything. */
async function freezableProxy(target: URL) {
  const sockets: Socket[] = [];
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.push(client, upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    for (const socket of [client, upstream]) socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url(through: string) {
      const url = new URL(through);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      return url.toString();
    },
    freeze() {
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
