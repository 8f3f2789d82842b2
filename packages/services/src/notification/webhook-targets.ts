import type { Kysely, Transaction } from "kysely";
import type { ContextRuntime } from "../platform/index.js";
import type { NotificationDatabase } from "./store.js";

/** Where one event type goes: an active subscription's id and URL. */
export interface WebhookTarget {
  readonly subscription_id: string;
  readonly url: string;
}

type Targets = ReadonlyMap<string, readonly WebhookTarget[]>;

/**
 * The active subscriptions by event type, held in memory so a published event finds its subscribers without a
 * query (every event of a checkout passes the fan-out). Only this context writes its subscriptions, and each of its
 * writes (create, change, delete, a 410 deactivating one) calls `changed(trx)` inside its transaction, which drops
 * the index at once and again once the transaction has committed: on a pool, a look-up on another connection between
 * the two reads the table as it was before the write, and what it loaded must not outlive the commit (on SQLite's one
 * connection the first drop alone would do). So the index never lags a committed write (a rolled-back write only
 * costs a read). A look-up already under way when a write lands answers as if its event came just before the write.
 */
export function createWebhookTargets(runtime: Pick<ContextRuntime<NotificationDatabase>, "afterCommit">) {
  let loaded: Promise<Targets> | undefined;

  const load = async (executor: Kysely<NotificationDatabase> | Transaction<NotificationDatabase>) => {
    const rows = await executor
      .selectFrom("webhook_subscription_types as types")
      .innerJoin("webhook_subscriptions as subscriptions", "subscriptions.subscription_id", "types.subscription_id")
      .select(["types.event_type", "subscriptions.subscription_id", "subscriptions.url"])
      .where("subscriptions.active", "=", 1)
      .where("subscriptions.deleted_at", "is", null)
      .orderBy("subscriptions.subscription_id")
      .execute();
    const byType = new Map<string, WebhookTarget[]>();
    for (const { event_type, subscription_id, url } of rows) {
      const targets = byType.get(event_type) ?? [];
      targets.push({ subscription_id, url });
      byType.set(event_type, targets);
    }
    return byType;
  };

  return {
    /**
     * The active subscriptions to `eventType`, in subscription order. `executor` reads the table when the index is
     * not loaded: the caller's transaction, since the store has one connection.
     */
    async of(
      eventType: string,
      executor: Kysely<NotificationDatabase> | Transaction<NotificationDatabase>,
    ): Promise<readonly WebhookTarget[]> {
      if (!loaded) {
        const loading = load(executor);
        loaded = loading;
        // A failed read is not kept: the next look-up tries again.
        loading.catch(() => {
          if (loaded === loading) loaded = undefined;
        });
      }
      return (await loaded).get(eventType) ?? [];
    },
    /**
     * A subscription is being written, in the writer's transaction `trx`: the next look-up reads the table again,
     * and so does the first after the commit.
     */
    changed(trx: Transaction<NotificationDatabase>): void {
      loaded = undefined;
      runtime.afterCommit(trx, () => {
        loaded = undefined;
      });
    },
  };
}

/** The in-memory index of active webhook subscriptions by event type. */
export type WebhookTargets = ReturnType<typeof createWebhookTargets>;
