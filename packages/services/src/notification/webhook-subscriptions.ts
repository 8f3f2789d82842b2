import type { notificationApi } from "@ecom/sdk";
import {
  type ContextRuntime,
  decodeQueryCursor,
  fail,
  type OperationHandler,
  pageOf,
  requireAdmin,
} from "../platform/index.js";
import type { NotificationDatabase, WebhookSubscriptionTable } from "./store.js";
import { checkEventTypes, checkWebhookUrl, newWebhookSecret } from "./webhook-rules.js";
import type { WebhookTargets } from "./webhook-targets.js";
import { toSubscription } from "./webhook-views.js";

type Operations = notificationApi.operations;

const DEFAULT_PAGE_SIZE = 20;

const isSubscriptionPosition = (value: Record<string, unknown>): value is { id: string } =>
  typeof value.id === "string" && value.id.startsWith("whs_");

/**
 * Partner webhook subscriptions (admin): create (the secret is answered this once), list, read, change and delete.
 * A deleted subscription keeps its row, so its delivery history can still be audited, but is not found by the API.
 * `onChange` is told when deliveries may have become due or stopped (activation, deletion); `targets` after every
 * committed write, so the fan-out's index follows it.
 */
export function createWebhookSubscriptions(
  runtime: ContextRuntime<NotificationDatabase>,
  targets: WebhookTargets,
  onChange: () => void,
) {
  const { db, ids, clock } = runtime;

  const typesOf = async (subscriptionIds: readonly string[]) => {
    const rows =
      subscriptionIds.length === 0
        ? []
        : await db
            .selectFrom("webhook_subscription_types")
            .selectAll()
            .where("subscription_id", "in", subscriptionIds)
            .orderBy("event_type")
            .execute();
    return (id: string) => rows.filter((row) => row.subscription_id === id).map((row) => row.event_type);
  };

  /** A subscription that exists and is not deleted, else 404. */
  const existing = async (subscriptionId: string): Promise<WebhookSubscriptionTable> => {
    const row = await db
      .selectFrom("webhook_subscriptions")
      .selectAll()
      .where("subscription_id", "=", subscriptionId)
      .where("deleted_at", "is", null)
      .executeTakeFirst();
    if (!row) throw fail.notFound(`webhook subscription ${subscriptionId}`);
    return row;
  };

  const shown = async (row: WebhookSubscriptionTable) =>
    toSubscription(row, (await typesOf([row.subscription_id]))(row.subscription_id));

  const createWebhookSubscription: OperationHandler<Operations["createWebhookSubscription"]> = async ({
    body,
    principal,
  }) => {
    requireAdmin(principal, "Subscribing a webhook");
    checkWebhookUrl(body.url);
    checkEventTypes(body.eventTypes);
    const now = clock.now().toISOString();
    const row: WebhookSubscriptionTable = {
      subscription_id: ids.next("whs"),
      url: body.url,
      description: body.description ?? null,
      active: 1,
      deactivated_reason: null,
      secret: newWebhookSecret(),
      created_at: now,
      updated_at: now,
      deleted_at: null,
    };
    await db.transaction().execute(async (trx) => {
      await trx.insertInto("webhook_subscriptions").values(row).execute();
      await trx
        .insertInto("webhook_subscription_types")
        .values(body.eventTypes.map((type) => ({ subscription_id: row.subscription_id, event_type: type })))
        .execute();
      targets.changed(trx);
    });
    return {
      status: 201,
      body: toSubscription(row, [...body.eventTypes].sort(), { withSecret: true }),
      headers: { location: `/webhooks/subscriptions/${row.subscription_id}` },
    };
  };

  const listWebhookSubscriptions: OperationHandler<Operations["listWebhookSubscriptions"]> = async ({
    query,
    principal,
  }) => {
    requireAdmin(principal, "Listing webhook subscriptions");
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const filters = { active: query.active, eventType: query.eventType };
    let select = db
      .selectFrom("webhook_subscriptions")
      .selectAll()
      .where("deleted_at", "is", null)
      .orderBy("subscription_id")
      .limit(limit + 1);
    if (query.active !== undefined) select = select.where("active", "=", query.active ? 1 : 0);
    if (query.eventType) {
      const eventType = query.eventType;
      select = select.where("subscription_id", "in", (sub) =>
        sub.selectFrom("webhook_subscription_types").select("subscription_id").where("event_type", "=", eventType),
      );
    }
    const after = decodeQueryCursor(query.cursor, filters, isSubscriptionPosition);
    if (after) select = select.where("subscription_id", ">", after.id);
    const page = pageOf(await select.execute(), { limit, filters, positionOf: (row) => ({ id: row.subscription_id }) });
    const types = await typesOf(page.items.map((row) => row.subscription_id));
    return {
      status: 200,
      body: { ...page, items: page.items.map((row) => toSubscription(row, types(row.subscription_id))) },
    };
  };

  const getWebhookSubscription: OperationHandler<Operations["getWebhookSubscription"]> = async ({
    path,
    principal,
  }) => {
    requireAdmin(principal, "Reading a webhook subscription");
    return { status: 200, body: await shown(await existing(path.subscriptionId)) };
  };

  const updateWebhookSubscription: OperationHandler<Operations["updateWebhookSubscription"]> = async ({
    path,
    body,
    principal,
  }) => {
    requireAdmin(principal, "Changing a webhook subscription");
    const row = await existing(path.subscriptionId);
    if (body.url !== undefined) checkWebhookUrl(body.url);
    if (body.eventTypes !== undefined) checkEventTypes(body.eventTypes);
    const now = clock.now().toISOString();
    const changes: Partial<WebhookSubscriptionTable> = { updated_at: now };
    if (body.url !== undefined) changes.url = body.url;
    if (body.description !== undefined) changes.description = body.description;
    if (body.active === true) Object.assign(changes, { active: 1, deactivated_reason: null });
    if (body.active === false && row.active === 1)
      Object.assign(changes, { active: 0, deactivated_reason: "by_admin" });
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable("webhook_subscriptions")
        .set(changes)
        .where("subscription_id", "=", row.subscription_id)
        .execute();
      targets.changed(trx);
      if (body.eventTypes === undefined) return;
      await trx.deleteFrom("webhook_subscription_types").where("subscription_id", "=", row.subscription_id).execute();
      await trx
        .insertInto("webhook_subscription_types")
        .values(body.eventTypes.map((type) => ({ subscription_id: row.subscription_id, event_type: type })))
        .execute();
    });
    // Reactivated: what was queued before the pause may be due.
    if (body.active === true) onChange();
    return { status: 200, body: await shown(await existing(row.subscription_id)) };
  };

  const deleteWebhookSubscription: OperationHandler<Operations["deleteWebhookSubscription"]> = async ({
    path,
    principal,
  }) => {
    requireAdmin(principal, "Deleting a webhook subscription");
    const row = await existing(path.subscriptionId);
    const now = clock.now().toISOString();
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable("webhook_subscriptions")
        .set({ deleted_at: now, active: 0, updated_at: now })
        .where("subscription_id", "=", row.subscription_id)
        .execute();
      // Retries still scheduled are dropped: they end FAILED without an attempt more and without a dead-letter event
      // (an admin removed the endpoint; there is nothing for operations to look at).
      await trx
        .updateTable("webhook_deliveries")
        .set({ status: "FAILED", next_attempt_at: null, failed_at: now, updated_at: now })
        .where("subscription_id", "=", row.subscription_id)
        .where("status", "in", ["PENDING", "RETRYING"])
        .execute();
      targets.changed(trx);
    });
    return { status: 204 };
  };

  return {
    createWebhookSubscription,
    listWebhookSubscriptions,
    getWebhookSubscription,
    updateWebhookSubscription,
    deleteWebhookSubscription,
    /** The subscription, 404 when missing or deleted (the deliveries' operations share it). */
    existing,
  };
}
