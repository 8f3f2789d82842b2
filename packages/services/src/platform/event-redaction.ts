import type { EcomMessage, MessagePayloads, MessageType } from "@ecom/sdk";

/**
 * The payload fields of each event type that stand for something a reader could act with, marked `x-redacted: true`
 * in the AsyncAPI contracts (a test holds this table to the marks). Inside the platform the events keep them — the
 * Checkout Saga authorizes the payment with the token from `cart.checked_out` — and they are harmless there:
 * payment refuses a token to anyone but the customer it was issued to, on every path. Out of the platform (`/_sim/log`
 * and `/_sim/events` without the admin token, partner webhooks) they are served redacted all the same: a reader has
 * no use for another customer's card, and should not be handed one.
 */
export const REDACTED_FIELDS = {
  "ecommerce.cart.cart.checked_out.v1": ["paymentToken"],
} as const satisfies { readonly [TType in MessageType]?: readonly (keyof MessagePayloads[TType] & string)[] };

const redactedTypes: ReadonlyMap<string, readonly string[]> = new Map(Object.entries(REDACTED_FIELDS));

/**
 * What a redacted value becomes: a payment token keeps its `tok_` prefix and last four characters (still valid for
 * the field's schema, and enough to tell two cards apart), anything else is `redacted`.
 */
export function redactedValue(value: unknown): string {
  if (typeof value === "string" && value.startsWith("tok_")) return `tok_redacted_${value.slice(-4)}`;
  return "redacted";
}

/** Whether events of `eventType` carry fields that are redacted out of the platform. */
export function hasRedactedFields(eventType: string): boolean {
  return redactedTypes.has(eventType);
}

/** `message` with its redacted fields replaced (the same object when it has none). */
export function redactMessage<TMessage extends Pick<EcomMessage, "eventType" | "payload">>(
  message: TMessage,
): TMessage {
  const fields = redactedTypes.get(message.eventType);
  if (!fields) return message;
  const payload: Record<string, unknown> = { ...(message.payload as Record<string, unknown>) };
  for (const field of fields) if (field in payload) payload[field] = redactedValue(payload[field]);
  return { ...message, payload };
}

/** An envelope's JSON text with its redacted fields replaced (the same text when its type has none). */
export function redactEnvelopeText(eventType: string, envelope: string): string {
  if (!redactedTypes.has(eventType)) return envelope;
  return JSON.stringify(redactMessage(JSON.parse(envelope) as EcomMessage));
}
