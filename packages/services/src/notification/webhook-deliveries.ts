import type { notificationApi } from "@ecom/sdk";
import {
  type ContextRuntime,
  decodeQueryCursor,
  fail,
  type OperationHandler,
  pageOf,
  requireAdmin,
} from "../platform/index.js";
import type { NotificationDatabase, WebhookDeliveryTable, WebhookSubscriptionTable } from "./store.js";
import { toDelivery } from "./webhook-views.js";

type Operations = notificationApi.operations;

const DEFAULT_PAGE_SIZE = 20;

const isDeliveryPosition = (value: Record<string, unknown>): value is { seq: number } =>
  typeof value.seq === "number" && Number.isSafeInteger(value.seq);

/** A subscription's deliveries (admin): the list, newest first, and redelivery of a finished one. */
export function createWebhookDeliveries(
  runtime: ContextRuntime<NotificationDatabase>,
  subscriptions: { existing(subscriptionId: string): Promise<WebhookSubscriptionTable> },
  onRedeliver: () => void,
) {
  const { db, clock } = runtime;

  const withAttempts = async (rows: readonly WebhookDeliveryTable[]) => {
    const ids = rows.map((row) => row.delivery_id);
    const attempts =
      ids.length === 0
        ? []
        : await db
            .selectFrom("webhook_attempts")
            .selectAll()
            .where("delivery_id", "in", ids)
            .orderBy("delivery_id")
            .orderBy("attempt_number")
            .execute();
    return rows.map((row) =>
      toDelivery(
        row,
        attempts.filter((attempt) => attempt.delivery_id === row.delivery_id),
      ),
    );
  };

  const listWebhookDeliveries: OperationHandler<Operations["listWebhookDeliveries"]> = async ({
    path,
    query,
    principal,
  }) => {
    requireAdmin(principal, "Listing webhook deliveries");
    await subscriptions.existing(path.subscriptionId);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const filters = { status: query.status, eventType: query.eventType };
    let select = db
      .selectFrom("webhook_deliveries")
      .selectAll()
      .where("subscription_id", "=", path.subscriptionId)
      .orderBy("seq", "desc")
      .limit(limit + 1);
    if (query.status) select = select.where("status", "=", query.status);
    if (query.eventType) select = select.where("event_type", "=", query.eventType);
    const after = decodeQueryCursor(query.cursor, filters, isDeliveryPosition);
    if (after) select = select.where("seq", "<", after.seq);
    const page = pageOf(await select.execute(), { limit, filters, positionOf: (row) => ({ seq: row.seq ?? 0 }) });
    return { status: 200, body: { ...page, items: await withAttempts(page.items) } };
  };

  const redeliverWebhook: OperationHandler<Operations["redeliverWebhook"]> = async ({ path, principal }) => {
    requireAdmin(principal, "Redelivering a webhook");
    const row = await db
      .selectFrom("webhook_deliveries")
      .selectAll()
      .where("delivery_id", "=", path.deliveryId)
      .executeTakeFirst();
    if (!row) throw fail.notFound(`webhook delivery ${path.deliveryId}`);
    const subscription = await subscriptions.existing(row.subscription_id);
    if (row.status === "PENDING" || row.status === "RETRYING")
      throw fail.conflict(
        `Delivery ${row.delivery_id} is ${row.status}: it is still being delivered; wait until it ends.`,
      );
    if (subscription.active !== 1)
      throw fail.conflict(
        `Subscription ${subscription.subscription_id} is inactive; reactivate it (PATCH {"active": true}) first.`,
      );
    const now = clock.now().toISOString();
    // A fresh schedule: the retries count again from the next attempt; the attempts so far stay in the history.
    const queued: WebhookDeliveryTable = {
      ...row,
      status: "PENDING",
      schedule_base: row.attempt_count,
      next_attempt_at: now,
      updated_at: now,
      succeeded_at: null,
      failed_at: null,
    };
    const { seq: _seq, delivery_id: _id, ...changes } = queued;
    await db.updateTable("webhook_deliveries").set(changes).where("delivery_id", "=", row.delivery_id).execute();
    onRedeliver();
    const [delivery] = await withAttempts([queued]);
    return { status: 202, body: delivery! };
  };

  return { listWebhookDeliveries, redeliverWebhook };
}
