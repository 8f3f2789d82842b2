/**
 * The notification context's own database. Timestamps are ISO strings (UTC) of platform (virtual) time, so they
 * compare as text in the order they happened. Templates are not stored: they ship with the code (templates.ts).
 */
export interface NotificationDatabase {
  notifications: NotificationTable;
  notification_attempts: NotificationAttemptTable;
  mailbox: MailboxTable;
  webhook_subscriptions: WebhookSubscriptionTable;
  webhook_subscription_types: WebhookSubscriptionTypeTable;
  webhook_deliveries: WebhookDeliveryTable;
  webhook_attempts: WebhookAttemptTable;
}

/** A notification to a customer: queued from an event or a send command, then sent (or failed) by the sender. */
export interface NotificationTable {
  notification_id: string;
  customer_id: string;
  template_key: string;
  /** email, sms or push. */
  channel: string;
  /** The masked address it went to; empty until the first attempt looked the customer up. */
  recipient: string;
  /** The rendered subject, once rendered (email only). */
  subject: string | null;
  /** QUEUED, SENT or FAILED. */
  status: string;
  trigger_event_id: string;
  /** The trigger's event type, or TEMPLATE_TRIGGER (stored-trigger.ts): read it with triggerTypeOf. */
  trigger_event_type: string;
  /** JSON object of the template's variables taken from the trigger (the first name is looked up when sending). */
  variables: string;
  /** The flow of the trigger; notification.sent/failed carry it. */
  correlation_id: string;
  attempt_count: number;
  /** When the next attempt is due; null once SENT or FAILED. */
  next_attempt_at: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: string;
  sent_at: string | null;
  failed_at: string | null;
  /** The span that queued it (W3C traceparent), when the platform traces; its sending is that span's child. */
  traceparent: string | null;
}

/** One attempt to hand a notification to its channel. */
export interface NotificationAttemptTable {
  notification_id: string;
  attempt_number: number;
  attempted_at: string;
  /** SUCCEEDED or FAILED. */
  status: string;
  error_code: string | null;
  /**
   * The channel's id of the message, stored by attempts made before migration 0006; a SUCCEEDED attempt since has
   * null here, its id being the notification's own (notification-views.ts `simulatedMessageId`).
   */
  provider_message_id: string | null;
}

/**
 * The simulated e-mail channel's outbox: every message it accepted, one per SENT notification, readable at
 * `/_sim/mailbox`. The customer and the subject are the notification's (the view joins them).
 */
export interface MailboxTable {
  notification_id: string;
  /** Stored for messages sent before migration 0006; null since (notification-views.ts `simulatedMessageId`). */
  message_id: string | null;
  /** The full address (the simulator's own view; the REST API shows it masked). */
  to_address: string;
  body: string;
  sent_at: string;
}

/** A partner endpoint. Deleting keeps the row (with `deleted_at`) so its delivery history stays readable to ops. */
export interface WebhookSubscriptionTable {
  subscription_id: string;
  url: string;
  description: string | null;
  active: number;
  /** by_admin or endpoint_gone while inactive. */
  deactivated_reason: string | null;
  /** `whsec_…`; returned once, at creation. */
  secret: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

/** The event types a subscription receives, one row each, so "who wants this event" is an indexed look-up. */
export interface WebhookSubscriptionTypeTable {
  subscription_id: string;
  event_type: string;
}

/** One event to post to one subscription, with its retry schedule. */
export interface WebhookDeliveryTable {
  /** Creation order: deliveries to one endpoint are attempted in it. */
  seq: number | null;
  delivery_id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  url: string;
  /** The envelope exactly as posted (and signed). */
  body: string;
  correlation_id: string;
  /** PENDING, RETRYING, SUCCEEDED or FAILED. */
  status: string;
  attempt_count: number;
  /** attempt_count when the current schedule began (0, or the count at a redelivery): retries count from it. */
  schedule_base: number;
  next_attempt_at: string | null;
  first_attempt_at: string | null;
  created_at: string;
  updated_at: string;
  succeeded_at: string | null;
  failed_at: string | null;
}

/** One HTTP attempt of a delivery. */
export interface WebhookAttemptTable {
  delivery_id: string;
  attempt_number: number;
  attempted_at: string;
  response_status: number | null;
  duration_ms: number;
  error: string | null;
}
