import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { createRpcClients } from "@ecom/sdk";
import { customerV1 } from "@ecom/sdk/rpc";
import { type ContextRuntime, noFaults } from "@ecom/services/platform";
import { expect, it } from "vitest";
import { migrations } from "../../packages/services/src/notification/migrations.js";
import { createNotificationQueue } from "../../packages/services/src/notification/notification-queue.js";
import { createNotificationSender } from "../../packages/services/src/notification/notification-sender.js";
import type { NotificationDatabase } from "../../packages/services/src/notification/store.js";
import { describeBackends } from "../backends/backends.js";
import { testContextRuntime } from "../backends/context-runtime.js";
import { useContextStore } from "../backends/context-store.js";

// One notification is one e-mail, however often its trigger is delivered and however many senders pick it up: the
// queue keeps one row per trigger and template, and a sender that finds the notification sent by another (two
// processes on one store, or a pass that read the row before another's send committed) sends nothing more, records
// nothing more and publishes nothing more, and goes on with its batch.

const AT = "2026-12-01T10:00:00.000Z";
const REGISTERED = "ecommerce.customer.customer.registered.v1";

/** A gate the sender's customer look-up waits at until it is opened (a slow look-up, as another process's is). */
function lookUpGate() {
  let reach!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((resolve) => {
    reach = resolve;
  });
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { reached, open: () => open(), reach: () => reach(), opened };
}

describeBackends("a notification sent by two senders", (backend) => {
  const store = useContextStore<NotificationDatabase>(backend, { name: "notification", migrations });
  /** Ids and event ids of every runtime the tests make, unique across them (they share one store). */
  let ids = 0;

  /** The notification context's runtime over the test's store, as one process has it. */
  function runtimeOf(
    name: string,
    published: string[],
    errors: string[],
    options: {
      /** The first customer look-up waits at it. */
      gate?: ReturnType<typeof lookUpGate>;
      /** The customer context does not answer for this customer: its notifications stay due. */
      unavailableFor?: string;
      emailChannelDown?: boolean;
    } = {},
  ): ContextRuntime<NotificationDatabase> {
    const { gate } = options;
    const faults = noFaults();
    faults.emailChannelDown = options.emailChannelDown ?? false;
    return testContextRuntime<NotificationDatabase>({
      name: "notification",
      db: store.db,
      outbox: {
        publish: async (_trx, type, payload) => {
          published.push(`${type} ${(payload as { notificationId?: string }).notificationId}`);
          return `evt_${name}_${++ids}`;
        },
      },
      clock: { now: () => new Date(AT) },
      ids: { next: (prefix) => `${prefix}_${name}_${++ids}` },
      rpc: createRpcClients(
        createRouterTransport(({ service }) => {
          service(customerV1.CustomerService, {
            getCustomer: async (request) => {
              if (request.customerId === options.unavailableFor) {
                throw new ConnectError("customer is down", Code.Unavailable);
              }
              if (gate) {
                gate.reach();
                await gate.opened;
              }
              return {
                customer: { customerId: request.customerId, email: "ada@example.com", firstName: "Ada" },
              };
            },
          });
        }),
      ),
      log: {
        info: () => undefined,
        warn: () => undefined,
        error: (message, fields) => errors.push(`${name}: ${message} ${JSON.stringify(fields)}`),
      },
      faults,
    });
  }

  /** Queue the welcome e-mail of `customerId`'s registration event `eventId`; resolves to its notification id. */
  async function queued(eventId: string, customerId: string): Promise<string> {
    const queue = createNotificationQueue(runtimeOf("queue", [], []));
    const trigger = { eventId, eventType: REGISTERED, correlationId: "cor_1" };
    const what = { templateKey: "welcome", customerId, variables: { email: "ada@example.com" } };
    await store.db.transaction().execute((trx) => queue.fromEvent(trx, trigger, what));
    const row = await store.db
      .selectFrom("notifications")
      .select("notification_id")
      .where("trigger_event_id", "=", eventId)
      .executeTakeFirstOrThrow();
    return row.notification_id;
  }

  const rowOf = (notificationId: string) =>
    store.db
      .selectFrom("notifications")
      .selectAll()
      .where("notification_id", "=", notificationId)
      .executeTakeFirstOrThrow();
  const mailOf = (notificationId: string) =>
    store.db
      .selectFrom("mailbox")
      .select(["notification_id", "to_address"])
      .where("notification_id", "=", notificationId)
      .execute();
  const attemptsOf = (notificationId: string) =>
    store.db.selectFrom("notification_attempts").selectAll().where("notification_id", "=", notificationId).execute();

  it("queues a redelivered trigger once and sends it once; the slower sender adds nothing and goes on with its batch", async () => {
    // The event is delivered twice (a redelivery after a crash before the inbox's commit, say): one notification.
    const first = await queued("evt_registered_1", "cus_1");
    expect(await queued("evt_registered_1", "cus_1")).toBe(first);
    expect(
      await store.db.selectFrom("notifications").select("notification_id").where("customer_id", "=", "cus_1").execute(),
    ).toHaveLength(1);
    const second = await queued("evt_registered_2", "cus_2");

    // The slow sender reads both due notifications and waits in the first one's customer look-up; meanwhile the
    // other sends the first (the customer context does not answer it for the second, which stays due).
    const published: string[] = [];
    const errors: string[] = [];
    const gate = lookUpGate();
    const slow = createNotificationSender(runtimeOf("slow", published, errors, { gate }));
    const quick = createNotificationSender(runtimeOf("quick", published, errors, { unavailableFor: "cus_2" }));
    slow.kick();
    await gate.reached;
    quick.kick();
    await quick.idle();
    expect(published).toEqual([`ecommerce.notification.notification.sent.v1 ${first}`]);
    gate.open();
    await slow.idle();

    for (const notificationId of [first, second]) {
      expect(await mailOf(notificationId)).toEqual([
        { notification_id: notificationId, to_address: "ada@example.com" },
      ]);
      expect(await rowOf(notificationId)).toMatchObject({
        status: "SENT",
        attempt_count: 1,
        sent_at: AT,
        error_code: null,
        failed_at: null,
      });
      expect(await attemptsOf(notificationId)).toEqual([]);
    }
    // One notification.sent each; the slower sender found the first sent, added nothing, and sent the second.
    expect(published).toEqual([
      `ecommerce.notification.notification.sent.v1 ${first}`,
      `ecommerce.notification.notification.sent.v1 ${second}`,
    ]);
    expect(errors).toEqual([]);
  });

  it("records nothing of an attempt that failed after another sender sent the notification", async () => {
    const notificationId = await queued("evt_registered_3", "cus_3");
    const published: string[] = [];
    const errors: string[] = [];
    const gate = lookUpGate();
    // The slow sender's channel is down: its attempt fails after the other sender sent the notification.
    const slow = createNotificationSender(runtimeOf("slow", published, errors, { gate, emailChannelDown: true }));
    const quick = createNotificationSender(runtimeOf("quick", published, errors));
    slow.kick();
    await gate.reached;
    quick.kick();
    await quick.idle();
    gate.open();
    await slow.idle();

    expect(await rowOf(notificationId)).toMatchObject({
      status: "SENT",
      attempt_count: 1,
      sent_at: AT,
      next_attempt_at: null,
      error_code: null,
      error_message: null,
    });
    expect(await attemptsOf(notificationId)).toEqual([]);
    expect(await mailOf(notificationId)).toHaveLength(1);
    expect(published).toEqual([`ecommerce.notification.notification.sent.v1 ${notificationId}`]);
    expect(errors).toEqual([]);
  });
});
