import { signWebhook } from "@ecom/sdk";
import type { ContextTracing } from "../platform/index.js";
import type { WebhookDeliveryTable, WebhookSubscriptionTable } from "./store.js";

/** One attempt at a delivery: what is sent where, and when the lane took it up. */
export interface WebhookAttempt {
  readonly subscription: WebhookSubscriptionTable;
  readonly delivery: WebhookDeliveryTable;
  readonly attemptedAt: Date;
}

/** What one HTTP attempt came to. */
export interface AttemptResult {
  readonly responseStatus?: number;
  readonly durationMs: number;
  /** Why it failed; absent on a 2xx. */
  readonly error?: string;
}

/** What posting needs from its sender, made once with it. */
export interface WebhookPosting {
  /** How long a partner has to answer. */
  readonly timeoutMs: number;
  readonly tracing: ContextTracing | undefined;
  /** The attempts under way, which stopping the sender aborts. */
  readonly inFlight: Set<AbortController>;
  /** Whether the sender is stopping: an attempt it aborted then says so rather than that it timed out. */
  readonly stopping: () => boolean;
}

/** POST the attempt's delivery once, in a "send webhook" span of the event's trace when the platform traces. */
export function sendWebhook(posting: WebhookPosting, attempt: WebhookAttempt): Promise<AttemptResult> {
  const { tracing } = posting;
  if (!tracing) return postWebhook(posting, attempt);
  const { delivery } = attempt;
  return tracing.inSpan(
    "send webhook",
    {
      parent: traceparentOf(delivery.body) ?? null,
      attributes: { "ecom.delivery_id": delivery.delivery_id, "messaging.message.id": delivery.event_id },
    },
    () => postWebhook(posting, attempt),
  );
}

/**
 * POST the delivery to the subscription's URL, signed with its secret; a partner that answers no 2xx, too late or
 * not at all is a result with its error, not a throw.
 */
async function postWebhook(
  { timeoutMs, tracing, inFlight, stopping }: WebhookPosting,
  { subscription, delivery }: WebhookAttempt,
): Promise<AttemptResult> {
  // webhook-timestamp is the wall clock of this attempt: receivers compare it with their own clock to refuse
  // replays, while the envelope inside keeps the platform's virtual times.
  const timestamp = Math.floor(Date.now() / 1000);
  const traceparent = tracing?.traceparent();
  const headers = {
    "content-type": "application/json",
    "user-agent": "ecom-webhooks/1",
    "correlation-id": delivery.correlation_id,
    // The partner's spans can join the event's trace.
    ...(traceparent ? { traceparent } : {}),
    ...signWebhook(subscription.secret, { id: delivery.event_id, timestamp, body: delivery.body }),
  };
  const controller = new AbortController();
  inFlight.add(controller);
  const timer = setTimeout(() => controller.abort(new Error("timeout")), timeoutMs);
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  try {
    const response = await fetch(subscription.url, {
      method: "POST",
      headers,
      body: delivery.body,
      // A redirect is not an answer: the partner must register the URL that accepts the events.
      redirect: "manual",
      signal: controller.signal,
    });
    // The body is ignored, but read, so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    return {
      responseStatus: response.status,
      durationMs: took(),
      ...(ok ? {} : { error: `${response.status} ${response.statusText || "not a 2xx answer"}`.trim() }),
    };
  } catch (error) {
    if (controller.signal.aborted)
      return {
        durationMs: took(),
        error: stopping() ? "The platform stopped during the attempt" : `No response within ${timeoutMs / 1000} s`,
      };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      durationMs: took(),
      error: `Could not reach the endpoint: ${cause?.code ?? cause?.message ?? String(error)}`.slice(0, 500),
    };
  } finally {
    clearTimeout(timer);
    inFlight.delete(controller);
  }
}

/** The W3C traceparent of the publish span a delivered envelope names, if it names one. */
function traceparentOf(body: string): string | undefined {
  const { traceId, spanId } = JSON.parse(body) as { traceId?: string; spanId?: string };
  return traceId && spanId ? `00-${traceId}-${spanId}-01` : undefined;
}
