import type { Kysely } from "kysely";
import { compileQuery, type Param } from "../platform/index.js";
import type { NotificationDatabase } from "./store.js";

const UNFINISHED = ["PENDING", "RETRYING"] as const;

/** What the webhook sender reads to find the deliveries that are due, and whose lane they go in. */
export function createDueWebhookReads(db: Kysely<NotificationDatabase>) {
  return {
    /**
     * The active subscriptions with a delivery due at `now`: every event kicks the scan that runs it, so it is built
     * and compiled once (compileQuery).
     */
    subscriptionsDue: compileQuery((param: Param<{ now: string }>) =>
      db
        .selectFrom("webhook_deliveries as deliveries")
        .innerJoin(
          "webhook_subscriptions as subscriptions",
          "subscriptions.subscription_id",
          "deliveries.subscription_id",
        )
        .select("deliveries.subscription_id")
        .distinct()
        .where("deliveries.status", "in", UNFINISHED)
        .where("deliveries.next_attempt_at", "<=", param("now"))
        .where("subscriptions.active", "=", 1)
        .where("subscriptions.deleted_at", "is", null),
    ),

    /** The subscription, while it is active and not deleted. */
    activeSubscription: (subscriptionId: string) =>
      db
        .selectFrom("webhook_subscriptions")
        .selectAll()
        .where("subscription_id", "=", subscriptionId)
        .where("active", "=", 1)
        .where("deleted_at", "is", null)
        .executeTakeFirst(),

    /**
     * The subscription's next delivery due at `at`: the one that fell due first and, among those due together, the
     * one whose event was published first.
     */
    nextDelivery: (subscriptionId: string, at: string) =>
      db
        .selectFrom("webhook_deliveries")
        .selectAll()
        .where("subscription_id", "=", subscriptionId)
        .where("status", "in", UNFINISHED)
        .where("next_attempt_at", "<=", at)
        .orderBy("next_attempt_at")
        .orderBy("seq")
        .limit(1)
        .executeTakeFirst(),
  };
}
