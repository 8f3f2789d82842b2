import { type Migration, sql } from "kysely";
import { rebuildWithoutRowid } from "../platform/without-rowid.js";

/** The notification store's migrations, applied in name order. */
export const migrations: Record<string, Migration> = {
  "0001_notifications": {
    async up(db) {
      await db.schema
        .createTable("notifications")
        .addColumn("notification_id", "text", (column) => column.primaryKey())
        .addColumn("customer_id", "text", (column) => column.notNull())
        .addColumn("template_key", "text", (column) => column.notNull())
        .addColumn("channel", "text", (column) => column.notNull())
        .addColumn("recipient", "text", (column) => column.notNull())
        .addColumn("subject", "text")
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("trigger_event_id", "text", (column) => column.notNull())
        .addColumn("trigger_event_type", "text", (column) => column.notNull())
        .addColumn("variables", "text", (column) => column.notNull())
        .addColumn("correlation_id", "text", (column) => column.notNull())
        .addColumn("attempt_count", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("next_attempt_at", "text")
        .addColumn("error_code", "text")
        .addColumn("error_message", "text")
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("sent_at", "text")
        .addColumn("failed_at", "text")
        // One notification per trigger and template, however often the trigger is delivered.
        .addUniqueConstraint("notifications_once", ["trigger_event_id", "template_key", "channel"])
        .execute();
      // The sender looks for queued notifications that are due.
      await db.schema.createIndex("notifications_due").on("notifications").columns(["next_attempt_at"]).execute();
      await db.schema
        .createIndex("notifications_by_customer")
        .on("notifications")
        .columns(["customer_id", "notification_id"])
        .execute();
      await db.schema
        .createTable("notification_attempts")
        .addColumn("notification_id", "text", (column) => column.notNull())
        .addColumn("attempt_number", "integer", (column) => column.notNull())
        .addColumn("attempted_at", "text", (column) => column.notNull())
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("error_code", "text")
        .addColumn("provider_message_id", "text")
        .addPrimaryKeyConstraint("notification_attempts_pk", ["notification_id", "attempt_number"])
        .execute();
      await db.schema
        .createTable("mailbox")
        .addColumn("message_id", "text", (column) => column.primaryKey())
        .addColumn("notification_id", "text", (column) => column.notNull())
        .addColumn("customer_id", "text", (column) => column.notNull())
        .addColumn("to_address", "text", (column) => column.notNull())
        .addColumn("subject", "text", (column) => column.notNull())
        .addColumn("body", "text", (column) => column.notNull())
        .addColumn("sent_at", "text", (column) => column.notNull())
        .execute();
      await db.schema.createIndex("mailbox_by_address").on("mailbox").columns(["to_address", "sent_at"]).execute();
    },
  },
  "0002_webhooks": {
    async up(db) {
      await db.schema
        .createTable("webhook_subscriptions")
        .addColumn("subscription_id", "text", (column) => column.primaryKey())
        .addColumn("url", "text", (column) => column.notNull())
        .addColumn("description", "text")
        .addColumn("active", "integer", (column) => column.notNull())
        .addColumn("deactivated_reason", "text")
        .addColumn("secret", "text", (column) => column.notNull())
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .addColumn("deleted_at", "text")
        .execute();
      await db.schema
        .createTable("webhook_subscription_types")
        .addColumn("subscription_id", "text", (column) => column.notNull())
        .addColumn("event_type", "text", (column) => column.notNull())
        .addPrimaryKeyConstraint("webhook_subscription_types_pk", ["subscription_id", "event_type"])
        .execute();
      // Every event looks up the subscriptions that want its type.
      await db.schema
        .createIndex("webhook_subscription_types_by_type")
        .on("webhook_subscription_types")
        .columns(["event_type", "subscription_id"])
        .execute();
      await db.schema
        .createTable("webhook_deliveries")
        .addColumn("seq", "integer", (column) => column.primaryKey().autoIncrement())
        .addColumn("delivery_id", "text", (column) => column.notNull().unique())
        .addColumn("subscription_id", "text", (column) => column.notNull())
        .addColumn("event_id", "text", (column) => column.notNull())
        .addColumn("event_type", "text", (column) => column.notNull())
        .addColumn("url", "text", (column) => column.notNull())
        .addColumn("body", "text", (column) => column.notNull())
        .addColumn("correlation_id", "text", (column) => column.notNull())
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("attempt_count", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("schedule_base", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("next_attempt_at", "text")
        .addColumn("first_attempt_at", "text")
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .addColumn("succeeded_at", "text")
        .addColumn("failed_at", "text")
        // One delivery per event and subscription, however often the event is delivered to this context.
        .addUniqueConstraint("webhook_deliveries_once", ["subscription_id", "event_id"])
        .execute();
      await db.schema
        .createIndex("webhook_deliveries_due")
        .on("webhook_deliveries")
        .columns(["next_attempt_at", "subscription_id"])
        .execute();
      await db.schema
        .createIndex("webhook_deliveries_by_subscription")
        .on("webhook_deliveries")
        .columns(["subscription_id", "seq"])
        .execute();
      await db.schema
        .createTable("webhook_attempts")
        .addColumn("delivery_id", "text", (column) => column.notNull())
        .addColumn("attempt_number", "integer", (column) => column.notNull())
        .addColumn("attempted_at", "text", (column) => column.notNull())
        .addColumn("response_status", "integer")
        .addColumn("duration_ms", "integer", (column) => column.notNull())
        .addColumn("error", "text")
        .addPrimaryKeyConstraint("webhook_attempts_pk", ["delivery_id", "attempt_number"])
        .execute();
    },
  },
  "0003_notification_trace": {
    async up(db) {
      // The span that queued the notification (a W3C traceparent), so its sending, later, joins the same trace.
      await db.schema.alterTable("notifications").addColumn("traceparent", "text").execute();
    },
  },
  // The attempts' tables, keyed by (id, attempt number) and read by it alone, kept in that key's order on SQLite
  // instead of beside an index mapping it to a rowid (without-rowid.ts).
  "0004_attempts_without_rowid": {
    async up(db) {
      for (const table of ["notification_attempts", "webhook_attempts"]) await rebuildWithoutRowid(db, table);
    },
  },
  // Only QUEUED notifications have a next attempt: the index of due ones keeps only those (the sender's `<=` on the
  // column implies `is not null`, so both stores use it as the query stands).
  "0005_queued_by_next_attempt": {
    async up(db) {
      await db.schema.dropIndex("notifications_due").execute();
      await db.schema
        .createIndex("notifications_due")
        .on("notifications")
        .column("next_attempt_at")
        .where(sql.ref("next_attempt_at"), "is not", null)
        .execute();
    },
  },
  // The mailbox keyed by its notification, without what the notification already keeps (its customer, its subject) or
  // what follows from its id (the message id: notification-views.ts `simulatedMessageId`; messages sent before keep
  // theirs), and new attempts without the message id either: ~150 bytes a notification.
  "0006_mailbox_by_notification": {
    async up(db) {
      await db.schema
        .createTable("mailbox_by_notification")
        .addColumn("notification_id", "text", (column) => column.primaryKey())
        .addColumn("message_id", "text")
        .addColumn("to_address", "text", (column) => column.notNull())
        .addColumn("body", "text", (column) => column.notNull())
        .addColumn("sent_at", "text", (column) => column.notNull())
        .execute();
      await sql`insert into mailbox_by_notification (notification_id, message_id, to_address, body, sent_at)
        select notification_id, message_id, to_address, body, sent_at from mailbox`.execute(db);
      await db.schema.dropTable("mailbox").execute();
      await db.schema.alterTable("mailbox_by_notification").renameTo("mailbox").execute();
      await db.schema.createIndex("mailbox_by_address").on("mailbox").columns(["to_address", "sent_at"]).execute();
    },
  },
};
