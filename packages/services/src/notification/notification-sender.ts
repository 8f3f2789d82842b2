import { Code, ConnectError } from "@connectrpc/connect";
import { type ContextRuntime, compileQuery, type Param } from "../platform/index.js";
import { createBackgroundPass } from "./background-pass.js";
import { simulatedMessageId } from "./notification-views.js";
import type { MailboxTable, NotificationAttemptTable, NotificationDatabase, NotificationTable } from "./store.js";
import { triggerTypeOf } from "./stored-trigger.js";
import { maskEmail, renderTemplate, TemplateError, type TemplateValue, templateOf } from "./templates.js";

type Runtime = ContextRuntime<NotificationDatabase>;

/** Waits between a notification's attempts (5 attempts in all), in platform time: 1 min, 5 min, 30 min, 2 h 30 min. */
export const NOTIFICATION_RETRY_DELAYS_MS: readonly number[] = [60_000, 300_000, 1_800_000, 9_000_000];

/** A sent notification's template variables: none kept (rows sent before keep theirs). */
export const SENT_VARIABLES = "{}";

/** The contract's error codes of a failed attempt. */
type ErrorCode =
  | "provider_unavailable"
  | "provider_rejected"
  | "invalid_recipient"
  | "recipient_opted_out"
  | "template_error";

/** What one attempt came to. */
type Outcome =
  | {
      readonly ok: true;
      readonly providerMessageId: string;
      readonly recipient: string;
      readonly subject: string;
      /** The message the channel accepted: the mailbox keeps it. */
      readonly mail: { readonly to: string; readonly body: string };
    }
  | {
      readonly ok: false;
      readonly code: ErrorCode;
      readonly message: string;
      /** Whether another attempt could succeed (the channel was down), or the notification fails now. */
      readonly retry: boolean;
      readonly recipient?: string;
      readonly subject?: string;
    };

const BATCH = 100;

/**
 * Sends queued notifications through the simulated e-mail channel: looks the customer up (customer context's
 * GetCustomer), renders the template, and hands the message to the channel, which puts it in the mailbox
 * (`/_sim/mailbox`) unless the `emailChannelDown` fault is on. Every attempt is recorded; a channel failure is
 * tried again on the schedule above, and the outcome is published as notification.sent or notification.failed in
 * the same transaction as the state it describes.
 */
export function createNotificationSender(runtime: Runtime) {
  const { db, clock, rpc, faults, outbox, log, tracing } = runtime;
  // What attempts write: built and compiled once (see compileQuery), run with each attempt's values. Only a failed
  // attempt is stored; the one that sends is the SENT row's (notification-views.ts), a statement fewer a notification.
  const insertAttempt = compileQuery((param: Param<NotificationAttemptTable>) =>
    db.insertInto("notification_attempts").values({
      notification_id: param("notification_id"),
      attempt_number: param("attempt_number"),
      attempted_at: param("attempted_at"),
      status: param("status"),
      error_code: param("error_code"),
      provider_message_id: param("provider_message_id"),
    }),
  );
  // The message's id, customer and subject follow from the notification (simulatedMessageId, the SENT row): not
  // stored again in the mailbox nor the attempt (~150 bytes a notification).
  const insertMail = compileQuery((param: Param<Omit<MailboxTable, "message_id">>) =>
    db.insertInto("mailbox").values({
      notification_id: param("notification_id"),
      to_address: param("to_address"),
      body: param("body"),
      sent_at: param("sent_at"),
    }),
  );
  // Only while the notification is QUEUED with the attempts this sender read: another sender (another process on the
  // store, or a pass that read the row before another's write committed) that recorded this attempt first wins, and
  // this one writes nothing (record()).
  const markSent = compileQuery(
    (
      param: Param<{
        notificationId: string;
        recipient: string;
        subject: string | null;
        read: number;
        at: string;
      }>,
    ) =>
      db
        .updateTable("notifications")
        .set({
          recipient: param("recipient"),
          subject: param("subject"),
          status: "SENT",
          // The attempt after the count this sender read (the where below holds the row to that count).
          attempt_count: (eb) => eb("attempt_count", "+", 1),
          next_attempt_at: null,
          sent_at: param("at"),
          // Read only to render the message, which the mailbox now holds; a sent notification is never rendered
          // again, and no answer nor the canonical export shows them (~100 bytes a checkout).
          variables: SENT_VARIABLES,
        })
        .where("notification_id", "=", param("notificationId"))
        .where("status", "=", "QUEUED")
        .where("attempt_count", "=", param("read")),
  );

  /** The customer's e-mail and first name; undefined when the customer context cannot answer now. */
  const lookUp = async (customerId: string) => {
    try {
      const { customer } = await rpc.customer.getCustomer({ customerId });
      return customer ? { email: customer.email, firstName: customer.firstName } : null;
    } catch (error) {
      const connect = ConnectError.from(error);
      if (connect.code === Code.NotFound || connect.code === Code.InvalidArgument) return null;
      log.warn("a notification waits for the customer context", { customerId, error: connect.message });
      return undefined;
    }
  };

  const attempt = async (row: NotificationTable): Promise<Outcome | undefined> => {
    const template = templateOf(row.template_key);
    if (!template) return failed("template_error", `There is no template ${row.template_key}.`);
    if (!template.channels.includes(row.channel as "email"))
      return failed("provider_rejected", `${row.template_key} is not sent on ${row.channel}; only email is simulated.`);
    const customer = await lookUp(row.customer_id);
    if (customer === undefined) return undefined;
    if (customer === null) return failed("invalid_recipient", `No customer ${row.customer_id} to send to.`);
    const recipient = maskEmail(customer.email);
    let rendered: { subject: string; body: string };
    try {
      const variables = JSON.parse(row.variables) as Record<string, TemplateValue>;
      rendered = renderTemplate(template, { firstName: customer.firstName, ...variables });
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      return { ...failed("template_error", error.message), recipient };
    }
    if (faults.emailChannelDown)
      return {
        ok: false,
        code: "provider_unavailable",
        message: "The e-mail channel is down (fault injected with POST /_sim/faults).",
        retry: true,
        recipient,
        subject: rendered.subject,
      };
    const providerMessageId = simulatedMessageId(row.notification_id);
    return {
      ok: true,
      providerMessageId,
      recipient,
      subject: rendered.subject,
      mail: { to: customer.email, body: rendered.body },
    };
  };

  const record = async (row: NotificationTable, outcome: Outcome) => {
    const now = clock.now();
    const attemptNumber = row.attempt_count + 1;
    const trigger = { eventId: row.trigger_event_id, eventType: triggerTypeOf(row) };
    const common = {
      notificationId: row.notification_id,
      customerId: row.customer_id,
      templateKey: row.template_key,
      channel: row.channel as "email" | "sms" | "push",
      trigger,
      attemptCount: attemptNumber,
    };
    const publish = {
      partitionKey: row.customer_id,
      correlationId: row.correlation_id,
      causationId: row.trigger_event_id,
    };
    await db.transaction().execute(async (trx) => {
      const seen = { recipient: outcome.recipient ?? row.recipient, subject: outcome.subject ?? row.subject };
      if (outcome.ok) {
        // The successful attempt is not stored: the SENT row says it (its count and sent_at; notification-views.ts).
        // The simulated channel is this store: the message and the SENT mark commit together, so it is sent once.
        // Marked first, and only from the row as read: a notification another sender has sent (or recorded this
        // attempt of) is left as it is, with no second message; the mailbox's key stays the last guard.
        const marked = await markSent.executeChanges(trx, {
          notificationId: row.notification_id,
          ...seen,
          read: row.attempt_count,
          at: now.toISOString(),
        });
        if (marked === 0n) return;
        await insertMail.execute(trx, {
          notification_id: row.notification_id,
          to_address: outcome.mail.to,
          body: outcome.mail.body,
          sent_at: now.toISOString(),
        });
        await outbox.publish(
          trx,
          "ecommerce.notification.notification.sent.v1",
          { ...common, providerMessageId: outcome.providerMessageId, sentAt: now.toISOString() },
          publish,
        );
        return;
      }
      // A failed attempt is rare enough for the query builder; a sent one runs the compiled statements above. As for
      // a sent one, only from the row as read: another sender's record of this attempt (a send) is not overwritten.
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
      await insertAttempt.execute(trx, {
        notification_id: row.notification_id,
        attempt_number: attemptNumber,
        attempted_at: now.toISOString(),
        status: "FAILED",
        error_code: outcome.code,
        provider_message_id: null,
      });
      if (retries) return;
      await outbox.publish(
        trx,
        "ecommerce.notification.notification.failed.v1",
        { ...common, error: { code: outcome.code, message: error.error_message }, failedAt: now.toISOString() },
        publish,
      );
    });
  };

  const dueNotifications = compileQuery((param: Param<{ now: string }>) =>
    db
      .selectFrom("notifications")
      .selectAll()
      .where("status", "=", "QUEUED")
      .where("next_attempt_at", "<=", param("now"))
      .orderBy("next_attempt_at")
      .orderBy("notification_id")
      .limit(BATCH),
  );

  const pass = async () => {
    for (;;) {
      const due = await dueNotifications.execute(db, { now: clock.now().toISOString() });
      let progressed = false;
      for (const row of due) {
        const send = async () => {
          const outcome = await attempt(row);
          // The customer context could not answer: the notification stays due and is tried when the clock moves.
          if (!outcome) return false;
          await record(row, outcome);
          return true;
        };
        const attributes = { "ecom.notification_id": row.notification_id, "ecom.template": row.template_key };
        if (await (tracing ? tracing.inSpan("send email", { parent: row.traceparent, attributes }, send) : send()))
          progressed = true;
      }
      if (due.length < BATCH || !progressed) return;
    }
  };

  return createBackgroundPass("the notification sender", pass, log);
}

function failed(code: ErrorCode, message: string): Outcome {
  return { ok: false, code, message, retry: false };
}

/** Sends queued notifications. */
export type NotificationSender = ReturnType<typeof createNotificationSender>;
