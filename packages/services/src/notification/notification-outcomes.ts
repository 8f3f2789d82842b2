import type { Transaction } from "kysely";
import type { ContextRuntime } from "../platform/index.js";
import type { Outcome } from "./notification-attempt.js";
import type { NotificationStatements } from "./notification-statements.js";
import type { NotificationDatabase, NotificationTable } from "./store.js";
import { triggerTypeOf } from "./stored-trigger.js";

type Trx = Transaction<NotificationDatabase>;
type Sent = Extract<Outcome, { ok: true }>;
type Failed = Extract<Outcome, { ok: false }>;

/** Waits between a notification's attempts (5 attempts in all), in platform time: 1 min, 5 min, 30 min, 2 h 30 min. */
export const NOTIFICATION_RETRY_DELAYS_MS: readonly number[] = [60_000, 300_000, 1_800_000, 9_000_000];

/**
 * Records what an attempt came to, and publishes it as notification.sent or notification.failed in the same
 * transaction as the state it describes. Each write holds to the row as the sender read it (QUEUED, with the
 * attempts it read): what another sender recorded first is left as it is, and this one records nothing.
 */
export class NotificationOutcomes {
  constructor(
    private readonly runtime: ContextRuntime<NotificationDatabase>,
    private readonly statements: NotificationStatements,
  ) {}

  /** Record `outcome`, the attempt after the ones `row` counts. */
  async record(row: NotificationTable, outcome: Outcome): Promise<void> {
    const now = this.runtime.clock.now();
    await this.runtime.db
      .transaction()
      .execute((trx) => (outcome.ok ? this.sent(trx, row, outcome, now) : this.failed(trx, row, outcome, now)));
  }

  private async sent(trx: Trx, row: NotificationTable, outcome: Sent, now: Date): Promise<void> {
    // The successful attempt is not stored: the SENT row says it (its count and sent_at; notification-views.ts).
    // The simulated channel is this store: the message and the SENT mark commit together, so it is sent once.
    // Marked first, and only from the row as read: a notification another sender has sent (or recorded this
    // attempt of) is left as it is, with no second message; the mailbox's key stays the last guard.
    const marked = await this.statements.markSent.executeChanges(trx, {
      notificationId: row.notification_id,
      recipient: outcome.recipient,
      subject: outcome.subject,
      read: row.attempt_count,
      at: now.toISOString(),
    });
    if (marked === 0n) return;
    await this.statements.insertMail.execute(trx, {
      notification_id: row.notification_id,
      to_address: outcome.mail.to,
      body: outcome.mail.body,
      sent_at: now.toISOString(),
    });
    await this.runtime.outbox.publish(
      trx,
      "ecommerce.notification.notification.sent.v1",
      { ...eventOf(row), providerMessageId: outcome.providerMessageId, sentAt: now.toISOString() },
      publishOptionsOf(row),
    );
  }

  private async failed(trx: Trx, row: NotificationTable, outcome: Failed, now: Date): Promise<void> {
    const attemptNumber = row.attempt_count + 1;
    const seen = { recipient: outcome.recipient ?? row.recipient, subject: outcome.subject ?? row.subject };
    // A failed attempt is rare enough for the query builder; a sent one runs the compiled statements. As for a sent
    // one, only from the row as read: another sender's record of this attempt (a send) is not overwritten.
    const update = trx
      .updateTable("notifications")
      .where("notification_id", "=", row.notification_id)
      .where("status", "=", "QUEUED")
      .where("attempt_count", "=", row.attempt_count);
    const delay = NOTIFICATION_RETRY_DELAYS_MS[attemptNumber - 1];
    const error = { error_code: outcome.code, error_message: outcome.message.slice(0, 500) };
    const retries = outcome.retry && delay !== undefined;
    const changed = await update
      .set(
        retries
          ? {
              ...seen,
              ...error,
              attempt_count: attemptNumber,
              next_attempt_at: new Date(now.getTime() + delay).toISOString(),
            }
          : {
              ...seen,
              ...error,
              status: "FAILED",
              attempt_count: attemptNumber,
              next_attempt_at: null,
              failed_at: now.toISOString(),
            },
      )
      .executeTakeFirst();
    if (changed.numUpdatedRows === 0n) return;
    await this.statements.insertAttempt.execute(trx, {
      notification_id: row.notification_id,
      attempt_number: attemptNumber,
      attempted_at: now.toISOString(),
      status: "FAILED",
      error_code: outcome.code,
      provider_message_id: null,
    });
    if (retries) return;
    await this.runtime.outbox.publish(
      trx,
      "ecommerce.notification.notification.failed.v1",
      { ...eventOf(row), error: { code: outcome.code, message: error.error_message }, failedAt: now.toISOString() },
      publishOptionsOf(row),
    );
  }
}

/** What notification.sent and notification.failed both say of the notification and this attempt. */
function eventOf(row: NotificationTable) {
  return {
    notificationId: row.notification_id,
    customerId: row.customer_id,
    templateKey: row.template_key,
    channel: row.channel as "email" | "sms" | "push",
    trigger: { eventId: row.trigger_event_id, eventType: triggerTypeOf(row) },
    attemptCount: row.attempt_count + 1,
  };
}

/** Both events are keyed by the customer and follow from the event that queued the notification. */
function publishOptionsOf(row: NotificationTable) {
  return { partitionKey: row.customer_id, correlationId: row.correlation_id, causationId: row.trigger_event_id };
}
