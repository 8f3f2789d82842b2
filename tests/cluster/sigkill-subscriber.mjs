// A subscriber in a process of its own, for sigkill-consumer.e2e.test.ts: a durable JetStream subscription (as every
// context's in `ecom serve`) whose handler writes one row per event into a SQLite store. With $CRASH_AT set to an
// event id, the process kills itself with SIGKILL right after the transaction that handled that event commits,
// before the subscription acks anything of it: a crash between commit and ack, at a point that does not depend on
// timing. Plain JavaScript on the built packages (what `ecom` runs), so it starts without a TypeScript loader; the
// test refuses to start it on a build older than the sources (fresh-build.ts).
import { connectJetStreamBus } from "../../packages/simulator/dist/bus/jetstream-bus.js";
import { migrate, openSqliteStore, runtimeMigrations } from "../../packages/simulator/dist/sqlite-store.js";
import { afterCommit } from "../../packages/simulator/dist/store/hooked-kysely.js";

const { ECOM_BUS_URL, NAMESPACE, STORE_FILE, EVENT_TYPE, CRASH_AT, ACK_WAIT_MS } = process.env;
const quiet = { info() {}, warn() {}, error: (message, fields) => console.error(message, fields ?? "") };

const store = openSqliteStore(STORE_FILE);
await migrate(store.db, runtimeMigrations, { label: "runtime", table: "_migrations_runtime" });
// No key: a second effect of one event would be a second row, not a refused insert.
await store.db.schema
  .createTable("effects")
  .ifNotExists()
  .addColumn("event_id", "text", (column) => column.notNull())
  .execute();

const bus = await connectJetStreamBus({
  url: ECOM_BUS_URL,
  namespace: NAMESPACE,
  logger: quiet,
  ackWaitMs: Number(ACK_WAIT_MS),
});
const subscription = await bus.subscribe({
  subscriber: "subscriber",
  store: { db: store.db },
  handlers: {
    [EVENT_TYPE]: async (message, trx) => {
      await trx.insertInto("effects").values({ event_id: message.eventId }).execute();
      if (message.eventId === CRASH_AT) afterCommit(trx, () => process.kill(process.pid, "SIGKILL"));
      // The test's signal that what the stream held by then is handled and acked, instead of a wait on the clock. Not
      // awaited: the transaction waits for its hooks, and idle() for the delivery that runs the transaction.
      else
        afterCommit(trx, () => {
          void subscription.idle().then(() => process.stdout.write(`idle after ${message.eventId}\n`));
        });
    },
  },
  logger: quiet,
  now: () => new Date(),
});
subscription.kick();
process.stdout.write("subscribed\n");
process.once("SIGTERM", async () => {
  await bus.close();
  await store.close();
  process.exit(0);
});
