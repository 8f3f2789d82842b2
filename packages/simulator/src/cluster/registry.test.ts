import { type KV, Kvm, KvWatchInclude } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describePostgresNats } from "../../../../tests/backends/backends.js";
import { createCondition } from "../../../../tests/backends/condition.js";
import { createTestNamespace, type TestNamespace } from "../../../../tests/backends/nats-namespace.js";
import { isRegistryError, openRegistry, type Registry, type RegistryError, registryBucket } from "./registry.js";

/** Resolves once `key` has been written `count` times from now: the refreshes of a claim, as they happen. */
async function refreshesOf(kv: KV, key: string, count: number): Promise<void> {
  const watcher = await kv.watch({ key, include: KvWatchInclude.UpdatesOnly });
  let seen = 0;
  for await (const entry of watcher) {
    if (entry.operation === "PUT") seen++;
    if (seen === count) break;
  }
  watcher.stop();
}

async function refusal(work: () => Promise<unknown>): Promise<RegistryError> {
  try {
    await work();
  } catch (error) {
    if (isRegistryError(error)) return error;
    throw error;
  }
  throw new Error("not refused");
}

describePostgresNats("the registry in NATS KV", (backend) => {
  let connection: NatsConnection;
  let namespace: TestNamespace;
  let registry: Registry;
  const connections: NatsConnection[] = [];

  beforeAll(async () => {
    connection = await connect({ servers: backend.busUrl, name: "registry-test" });
    namespace = createTestNamespace();
    registry = await openRegistry({ connection, namespace: namespace.name });
  });
  afterAll(async () => {
    await namespace?.drop();
    for (const other of connections) await other.close();
    await connection?.close();
  });

  it("keeps its keys in the namespace's bucket, 15 s TTL by default", () => {
    expect(registry.bucket).toBe(`ecom_${namespace.name}_registry`);
    expect(registry.ttlMs).toBe(15_000);
  });

  it("refuses a second live claimant of a context, naming the holder, and leaves none of its claims behind", async () => {
    const first = await registry.register({ id: "first", url: "http://127.0.0.1:5001", contexts: ["order"] });
    const error = await refusal(() =>
      registry.register({ id: "second", url: "http://127.0.0.1:5002", contexts: ["payment", "order"] }),
    );
    expect(error.code).toBe("context_claimed");
    expect(error.message).toMatch(/order is already served by process first at http:\/\/127\.0\.0\.1:5001/);
    // payment was claimed before order was refused: released again, so a third process can take it.
    const third = await registry.register({ id: "third", url: "http://127.0.0.1:5003", contexts: ["payment"] });
    await first.stop();
    await third.stop();
  });

  it("frees a context at once on a clean stop", async () => {
    const first = await registry.register({ id: "leaving", url: "http://127.0.0.1:5011", contexts: ["cart"] });
    await first.stop();
    const next = await registry.register({ id: "arriving", url: "http://127.0.0.1:5012", contexts: ["cart"] });
    expect(next.contexts).toEqual(["cart"]);
    await next.stop();
  });

  it("lets a restart with the same process id take over its own claim", async () => {
    const before = await registry.register({ id: "instance-1", url: "http://127.0.0.1:5021", contexts: ["review"] });
    const after = await registry.register({ id: "instance-1", url: "http://127.0.0.1:5022", contexts: ["review"] });
    const view = await registry.watch();
    expect(view.urlOf("review")).toBe("http://127.0.0.1:5022");
    await view.close();
    await before.stop(); // the revision it held is not the key's any more: the new claim stays
    const check = await registry.watch();
    expect(check.urlOf("review")).toBe("http://127.0.0.1:5022");
    await check.close();
    await after.stop();
  });

  it("keeps a view of context → URL current as processes come and go", async () => {
    const view = await registry.watch();
    expect(view.urlOf("search")).toBeUndefined();
    const a = await registry.register({ id: "a", url: "http://127.0.0.1:5031", contexts: ["search", "analytics"] });
    await view.until(() => view.urlOf("search") === "http://127.0.0.1:5031");
    expect(view.claimOf("analytics")).toMatchObject({ processId: "a", url: "http://127.0.0.1:5031" });
    await a.stop();
    await view.until(() => view.urlOf("search") === undefined);
    const b = await registry.register({ id: "b", url: "http://127.0.0.1:5032", contexts: ["search"] });
    await view.until(() => view.urlOf("search") === "http://127.0.0.1:5032");
    await b.stop();
    await view.close();
  });

  it("ends a wait on the view with an error when the view closes first, instead of leaving it pending", async () => {
    const view = await registry.watch();
    const waiting = view.until(() => false);
    await view.close();
    await expect(waiting).rejects.toThrow(/closed before the wait was over/);
  });

  it("lists the live processes, for /healthz", async () => {
    const p = await registry.register({ id: "p", url: "http://127.0.0.1:5041", contexts: ["fulfilment"] });
    expect(await registry.processes()).toEqual([
      expect.objectContaining({ id: "p", url: "http://127.0.0.1:5041", contexts: ["fulfilment"], pid: process.pid }),
    ]);
    await p.stop();
    expect(await registry.processes()).toEqual([]);
  });

  it("frees a killed holder's claim once the TTL passes without a refresh, and refreshes keep a live one", async () => {
    // A bucket of its own with a 3 s TTL (a bucket's TTL is fixed when it is made).
    const short = createTestNamespace();
    const killed = await connect({ servers: backend.busUrl, name: "registry-test-killed" });
    const alive = await connect({ servers: backend.busUrl, name: "registry-test-alive" });
    connections.push(alive);
    try {
      const options = { namespace: short.name, ttlMs: 3_000, onError: () => undefined };
      const ours = await openRegistry({ ...options, connection });
      expect(ours.ttlMs).toBe(3_000);
      const view = await ours.watch();
      await (await openRegistry({ ...options, connection: killed })).register({
        id: "killed",
        url: "http://127.0.0.1:5051",
        contexts: ["inventory"],
      });
      const living = await (await openRegistry({ ...options, connection: alive })).register({
        id: "alive",
        url: "http://127.0.0.1:5052",
        contexts: ["promotion"],
      });
      await view.until(() => view.claimOf("inventory")?.processId === "killed");
      // The process dies: its connection goes without deleting anything; its claim lapses after the TTL.
      await killed.close();
      await view.until(() => view.urlOf("inventory") === undefined);
      const successor = await ours.register({ url: "http://127.0.0.1:5053", contexts: ["inventory"] });
      await view.until(() => view.urlOf("inventory") === "http://127.0.0.1:5053");
      // Longer than a TTL later the refreshed claim still holds: four refreshes, a third of the TTL apart, seen.
      await refreshesOf(await new Kvm(connection).open(ours.bucket), "contexts.promotion", 4);
      expect(view.urlOf("promotion")).toBe("http://127.0.0.1:5052");
      expect((await refusal(() => ours.register({ url: "http://127.0.0.1:5054", contexts: ["promotion"] }))).code).toBe(
        "context_claimed",
      );
      await living.stop();
      await successor.stop();
      await view.close();
    } finally {
      await short.drop();
    }
  });

  it("claims before it listens, and names the URL once announced", async () => {
    const view = await registry.watch();
    const starting = await registry.register({ id: "starting", contexts: ["notification"] });
    await view.until(() => view.claimOf("notification")?.processId === "starting");
    // Claimed, not reachable yet: nobody is sent there, and a second claimant hears that it is starting.
    expect(view.urlOf("notification")).toBeUndefined();
    expect(await registry.processes()).toEqual([]);
    const error = await refusal(() => registry.register({ id: "late", contexts: ["notification"] }));
    expect(error.message).toMatch(/notification is already served by process starting \(starting, not listening yet\)/);
    await starting.announce("http://127.0.0.1:5061");
    await view.until(() => view.urlOf("notification") === "http://127.0.0.1:5061");
    expect(await registry.processes()).toEqual([
      expect.objectContaining({ id: "starting", url: "http://127.0.0.1:5061" }),
    ]);
    await starting.stop();
    await view.close();
  });

  it("tells a holder that another process took its claim over, at its next refresh", async () => {
    const quick = await openRegistry({ connection, namespace: namespace.name, refreshMs: 100 });
    const lost: RegistryError[] = [];
    const told = createCondition();
    const holder = await quick.register(
      { id: "stalled", url: "http://127.0.0.1:5071", contexts: ["returns", "tax"] },
      (_context, error) => {
        lost.push(error);
        told.changed();
      },
    );
    // What a successor writes once the holder's claim lapsed (the holder stalled past the TTL).
    const kv = await new Kvm(connection).open(registry.bucket);
    await kv.put(
      "contexts.returns",
      JSON.stringify({
        context: "returns",
        url: "http://127.0.0.1:5072",
        processId: "successor",
        startedAt: new Date().toISOString(),
      }),
    );
    await told.until(() => lost.length > 0);
    expect(lost[0]?.code).toBe("claim_lost");
    expect(lost[0]?.message).toMatch(
      /no longer serves returns: returns is already served by process successor at http:\/\/127\.0\.0\.1:5072/,
    );
    expect(holder.contexts).toEqual(["tax"]);
    await holder.stop();
    await kv.delete("contexts.returns");
  });

  it("asks what else must hold at every refresh, while claims are held (join-cluster: the locks' session)", async () => {
    let asked = 0;
    const told = createCondition();
    const quick = await openRegistry({
      connection,
      namespace: namespace.name,
      refreshMs: 100,
      onRefresh: () => {
        asked++;
        told.changed();
      },
    });
    const holder = await quick.register({ id: "checking", url: "http://127.0.0.1:5091", contexts: ["loyalty"] });
    await told.until(() => asked >= 2);
    await holder.stop();
  });

  it("counts its claims lost when it could not refresh them for longer than the TTL", async () => {
    let stalled = 0;
    const quick = await openRegistry({
      connection,
      namespace: namespace.name,
      refreshMs: 100,
      now: () => Date.now() + stalled,
    });
    const lost: string[] = [];
    const told = createCondition();
    const holder = await quick.register(
      { id: "frozen", url: "http://127.0.0.1:5081", contexts: ["shipping"] },
      (context, error) => {
        lost.push(`${context}: ${error.message}`);
        told.changed();
      },
    );
    // The process was stopped (SIGSTOP, a swap storm) for 20 s: its claims lapsed for everyone else meanwhile.
    stalled = 20_000;
    await told.until(() => lost.length > 0);
    expect(lost).toEqual([
      expect.stringMatching(
        /^shipping: This process no longer serves shipping: its claim could not be refreshed for 2\ds, longer than the registry's TTL \(15s\)/,
      ),
    ]);
    expect(holder.contexts).toEqual([]);
    await holder.stop();
  });

  it("refuses a namespace NATS could not name a bucket after", () => {
    expect(() => registryBucket("my.platform")).toThrow(/only a-z, 0-9 and _/);
  });
});
