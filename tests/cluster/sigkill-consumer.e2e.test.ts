import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { connectJetStreamBus } from "../../packages/simulator/src/bus/jetstream-bus.js";
import { describePostgresNats } from "../backends/backends.js";
import { createCondition } from "../backends/condition.js";
import { createTestNamespace } from "../backends/nats-namespace.js";
import { uniqueTestName } from "../backends/test-database.js";
import { childEnv } from "../simulator/sim-process.js";
import { assertBuilt } from "./fresh-build.js";

// A subscriber process killed with SIGKILL after the transaction that handled its events committed and before it
// acked them (sigkill-subscriber.mjs kills itself from the transaction's after-commit hook, so the point does not
// depend on timing). JetStream delivers the unacked messages again, and the restarted subscriber, which takes them
// from its durable's ack floor, applies each event once: nothing is lost, nothing doubled.

const THING = "ecommerce.test.thing.happened.v1";
const ACK_WAIT_MS = 1_000;
const subscriberScript = new URL("./sigkill-subscriber.mjs", import.meta.url).pathname;

describePostgresNats("a subscriber process killed between its commit and its ack", (backend) => {
  const namespace = createTestNamespace(uniqueTestName());
  let folder: string;
  let storeFile: string;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "ecom-sigkill-consumer-"));
    storeFile = join(folder, "subscriber.db");
    // The subscriber runs the built packages: a stale build would test old code.
    await assertBuilt(["services", "simulator"]);
  });
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await namespace.drop();
    await rm(folder, { recursive: true, force: true });
  });

  function subscriber(crashAt?: string) {
    const child = spawn(process.execPath, [subscriberScript], {
      stdio: ["ignore", "pipe", "pipe"],
      env: childEnv({
        ECOM_BUS_URL: backend.busUrl,
        NAMESPACE: namespace.name,
        STORE_FILE: storeFile,
        EVENT_TYPE: THING,
        ACK_WAIT_MS: String(ACK_WAIT_MS),
        ...(crashAt ? { CRASH_AT: crashAt } : {}),
      }),
    });
    children.add(child);
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<{ signal: NodeJS.Signals | null; code: number | null; stderr: string }>((resolve) =>
      child.once("exit", (code, signal) => {
        children.delete(child);
        resolve({ code, signal, stderr });
      }),
    );
    // "idle after <eventId>": the subscription had handled and acked all the stream held after that event's commit.
    let stdout = "";
    const told = createCondition();
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      told.changed();
    });
    const printed = (line: string) => told.until(() => stdout.split("\n").includes(line));
    return { child, exited, printed };
  }

  /** The subscriber's effects: one row per time an event was applied. */
  const effects = () => {
    const db = new Database(storeFile, { readonly: true });
    try {
      return (db.prepare("select event_id from effects order by rowid").all() as { event_id: string }[]).map(
        (row) => row.event_id,
      );
    } finally {
      db.close();
    }
  };

  it("gets the messages again after a restart and applies each event once", async () => {
    const connection = await connect({ servers: backend.busUrl, name: `ecom-test-${process.pid}` });
    try {
      const bus = await connectJetStreamBus({
        url: backend.busUrl,
        namespace: namespace.name,
        logger: { info() {}, warn() {}, error() {} },
      });
      const event = (n: number) => {
        const eventId = `evt_sigkill_${n}`;
        const envelope = { eventId, eventType: THING, producer: "test", correlationId: "cor_1", partitionKey: "agg" };
        return { ...envelope, envelope: JSON.stringify({ ...envelope, payload: { n } }) };
      };
      try {
        await bus.publish([1, 2, 3].map(event));

        // The first process handles 3 (with whatever came in its batch), commits, and dies before its acks go out.
        const first = subscriber("evt_sigkill_3");
        const { signal, stderr } = await first.exited;
        expect(signal, stderr).toBe("SIGKILL");
        expect(effects()).toEqual(["evt_sigkill_1", "evt_sigkill_2", "evt_sigkill_3"]);
        const durable = bus.names.consumer("subscriber");
        const left = await bus.manager.consumers.info(bus.names.stream, durable);
        // 1 and 2 may have come in an earlier batch, acked before 3 arrived; 3 itself is committed and unacked.
        const floor = left.ack_floor.stream_seq;
        expect(floor).toBeLessThan(3);
        const unacked = [1, 2, 3].filter((seq) => seq > floor);
        expect(left.num_ack_pending).toBe(unacked.length);

        // Unacked, they are the server's to deliver again: once the ack wait has passed, a pull of the durable gets
        // them a second time. These pulls ack nothing either, as if they too had died, so a message whose ack wait
        // passes again meanwhile may come a third time: pull until each has come again, in whatever order and batch.
        const peek = await jetstream(connection).consumers.get(bus.names.stream, durable);
        const redelivered = new Map<number, number>();
        while (unacked.some((seq) => !redelivered.has(seq))) {
          const again = await peek.fetch({ max_messages: unacked.length, expires: 5_000 });
          for await (const message of again)
            redelivered.set(message.seq, Math.max(redelivered.get(message.seq) ?? 0, message.info.deliveryCount));
        }
        expect([...redelivered.keys()].sort()).toEqual(unacked);
        for (const seq of unacked) expect(redelivered.get(seq)).toBeGreaterThanOrEqual(2);

        // The restart makes its durable anew from the ack floor: the unacked messages come first again, and are
        // skipped as handled; then the new ones are applied.
        const second = subscriber();
        await bus.publish([4, 5].map(event));
        await second.printed("idle after evt_sigkill_5");
        const info = await bus.manager.consumers.info(bus.names.stream, durable);
        expect(info.ack_floor.stream_seq).toBe(5);
        expect(info.num_ack_pending).toBe(0);
        expect(info.config.opt_start_seq).toBe(floor + 1);
        // At least the unacked and the new ones (one whose ack wait passed while it was handled comes once more).
        expect(info.delivered.consumer_seq).toBeGreaterThanOrEqual(unacked.length + 2);
        expect(effects()).toEqual([1, 2, 3, 4, 5].map((n) => `evt_sigkill_${n}`));
        second.child.kill("SIGTERM");
        expect((await second.exited).code).toBe(0);
      } finally {
        await bus.close();
      }
    } finally {
      await connection.close();
    }
  }, 60_000);
});
