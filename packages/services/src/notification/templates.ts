import type { EcomMessage, notificationApi } from "@ecom/sdk";

/** A template as the contract shows it. */
export type NotificationTemplate = notificationApi.components["schemas"]["NotificationTemplate"];

/** A value a template's placeholder may take (the send command's variable values). */
export type TemplateValue = string | number | boolean;

/** When the templates below last changed; a release that edits one moves it. */
const TEMPLATES_UPDATED_AT = "2026-12-07T00:00:00Z";

const firstName = { name: "firstName", required: true, description: "The customer's first name." } as const;
const orderId = { name: "orderId", required: true, description: "The order id." } as const;

/**
 * What a customer is told, by key. Only e-mail is simulated, so every template is sent on it; `triggeredBy` names
 * the events that send it by themselves (the rest are sent by the send command). The customer's first name is looked
 * up from the customer context when sending; every other variable comes from the trigger.
 */
export const TEMPLATES: readonly NotificationTemplate[] = [
  {
    templateKey: "welcome",
    name: "Welcome",
    description: "Greets a new customer after registration.",
    channels: ["email"],
    subject: "Welcome to the bookshop, {{firstName}}",
    body: "Hi {{firstName}}, your account is ready. Sign in with {{email}} to start browsing.",
    variables: [firstName, { name: "email", required: true, description: "The login email." }],
    triggeredBy: ["ecommerce.customer.customer.registered.v1"],
    updatedAt: TEMPLATES_UPDATED_AT,
  },
  {
    templateKey: "order_confirmation",
    name: "Order confirmation",
    description: "Confirms an order once checkout created it, with what was bought and the total.",
    channels: ["email"],
    subject: "Your order {{orderId}} is confirmed",
    body: "Hi {{firstName}}, thank you for your order {{orderId}}: {{itemSummary}}. Total {{total}}.",
    variables: [
      firstName,
      orderId,
      { name: "itemSummary", required: true, description: "The books and quantities." },
      { name: "total", required: true, description: "The order total with its currency." },
    ],
    triggeredBy: ["ecommerce.order.order.created.v1"],
    updatedAt: TEMPLATES_UPDATED_AT,
  },
  {
    templateKey: "order_shipped",
    name: "Order shipped",
    description: "Tells the customer their order left with the carrier, with the tracking number.",
    channels: ["email"],
    subject: "Your order is on its way",
    body: "Hi {{firstName}}, order {{orderId}} is with {{carrier}}, tracking number {{trackingNumber}}. {{trackingUrl}}",
    variables: [
      firstName,
      orderId,
      { name: "carrier", required: true, description: "The carrier's code." },
      { name: "trackingNumber", required: true, description: "The parcel's tracking number." },
      { name: "trackingUrl", required: false, description: "The carrier's tracking page." },
    ],
    triggeredBy: ["ecommerce.order.order.shipped.v1"],
    updatedAt: TEMPLATES_UPDATED_AT,
  },
  {
    templateKey: "order_delivered",
    name: "Order delivered",
    description: "Tells the customer their order was delivered.",
    channels: ["email"],
    subject: "Your order {{orderId}} was delivered",
    body: "Hi {{firstName}}, order {{orderId}} was delivered. Enjoy your books!",
    variables: [firstName, orderId],
    triggeredBy: ["ecommerce.order.order.delivered.v1"],
    updatedAt: TEMPLATES_UPDATED_AT,
  },
  {
    templateKey: "order_canceled",
    name: "Order canceled",
    description: "Tells the customer their order was canceled (and refunded when it had been paid).",
    channels: ["email"],
    subject: "Your order {{orderId}} was canceled",
    body: "Hi {{firstName}}, order {{orderId}} was canceled ({{reason}}). {{note}}",
    variables: [
      firstName,
      orderId,
      { name: "reason", required: true, description: "Why it was canceled." },
      {
        name: "note",
        required: false,
        description: "The cancellation's note: what became of the money when a failed checkout canceled it.",
      },
    ],
    triggeredBy: ["ecommerce.order.order.canceled.v1"],
    updatedAt: TEMPLATES_UPDATED_AT,
  },
  {
    templateKey: "refund_issued",
    name: "Refund issued",
    description: "Tells the customer a refund is on its way to their card.",
    channels: ["email"],
    subject: "Your refund of {{amount}}",
    body: "Hi {{firstName}}, we refunded {{amount}} for order {{orderId}} to your card.",
    variables: [firstName, orderId, { name: "amount", required: true, description: "The refunded amount." }],
    triggeredBy: ["ecommerce.payment.payment.refunded.v1"],
    updatedAt: TEMPLATES_UPDATED_AT,
  },
  {
    templateKey: "payment_failed",
    name: "Payment failed",
    description: "Tells the customer their payment did not go through, and why.",
    channels: ["email"],
    subject: "Your payment for order {{orderId}} did not go through",
    body: "Hi {{firstName}}, the payment of {{amount}} for order {{orderId}} failed: {{why}}.",
    variables: [
      firstName,
      orderId,
      { name: "amount", required: true, description: "The amount." },
      { name: "why", required: true, description: "What the processor said." },
    ],
    triggeredBy: ["ecommerce.payment.payment.failed.v1"],
    updatedAt: TEMPLATES_UPDATED_AT,
  },
  {
    templateKey: "back_in_stock",
    name: "Back in stock",
    description: "Tells a customer a book they wanted is available again (sent by command, for campaigns).",
    channels: ["email"],
    subject: "{{title}} is back in stock",
    body: "Hi {{firstName}}, {{title}} is back: {{copiesLeft}} copies left. {{productUrl}}",
    variables: [
      firstName,
      { name: "title", required: true, description: "The book's title." },
      { name: "productUrl", required: false, description: "Where to buy it." },
      { name: "copiesLeft", required: false, description: "Copies in stock." },
    ],
    triggeredBy: [],
    updatedAt: TEMPLATES_UPDATED_AT,
  },
];

/** The template of `key`, if there is one. */
export function templateOf(key: string): NotificationTemplate | undefined {
  return TEMPLATES.find((template) => template.templateKey === key);
}

/** An amount in minor units with its currency, as a customer reads it (`45.99 USD`). */
export function formatMoney(money: { readonly amount: number; readonly currency: string }): string {
  // ISO 4217 currencies without minor units would read wrong with two decimals; the platform sells in ones with.
  const digits = ["JPY", "KRW"].includes(money.currency) ? 0 : 2;
  return `${(money.amount / 10 ** digits).toFixed(digits)} ${money.currency}`;
}

/** What an event asks to be told: the template and the variables taken from its payload. */
export interface TriggeredNotification {
  readonly templateKey: string;
  readonly customerId: string;
  readonly variables: Readonly<Record<string, TemplateValue>>;
}

/** The notification a customer-facing event sends, built from its payload; undefined for any other message. */
export function notificationFor(message: EcomMessage): TriggeredNotification | undefined {
  switch (message.eventType) {
    case "ecommerce.customer.customer.registered.v1":
      return {
        templateKey: "welcome",
        customerId: message.payload.customerId,
        variables: { email: message.payload.email },
      };
    case "ecommerce.order.order.created.v1":
      return {
        templateKey: "order_confirmation",
        customerId: message.payload.customerId,
        variables: {
          orderId: message.payload.orderId,
          itemSummary: message.payload.items.map((item) => `${item.quantity} × ${item.title}`).join(", "),
          total: formatMoney(message.payload.total),
        },
      };
    case "ecommerce.order.order.shipped.v1":
      return {
        templateKey: "order_shipped",
        customerId: message.payload.customerId,
        variables: {
          orderId: message.payload.orderId,
          carrier: message.payload.carrier,
          trackingNumber: message.payload.trackingNumber,
          ...(message.payload.trackingUrl ? { trackingUrl: message.payload.trackingUrl } : {}),
        },
      };
    case "ecommerce.order.order.delivered.v1":
      return {
        templateKey: "order_delivered",
        customerId: message.payload.customerId,
        variables: { orderId: message.payload.orderId },
      };
    case "ecommerce.order.order.canceled.v1":
      return {
        templateKey: "order_canceled",
        customerId: message.payload.customerId,
        variables: {
          orderId: message.payload.orderId,
          reason: message.payload.reason.replaceAll("_", " "),
          // A failed checkout's note says whether the customer was charged, refunded, or is to contact support.
          ...(message.payload.note ? { note: message.payload.note } : {}),
        },
      };
    case "ecommerce.payment.payment.refunded.v1":
      return {
        templateKey: "refund_issued",
        customerId: message.payload.customerId,
        variables: { orderId: message.payload.orderId, amount: formatMoney(message.payload.amount) },
      };
    case "ecommerce.payment.payment.failed.v1":
      return {
        templateKey: "payment_failed",
        customerId: message.payload.customerId,
        variables: {
          orderId: message.payload.orderId,
          amount: formatMoney(message.payload.amount),
          why: message.payload.failure.message,
        },
      };
    default:
      return undefined;
  }
}

/** The event types that send a template by themselves (every template's `triggeredBy`). */
export const TRIGGER_TYPES: readonly string[] = TEMPLATES.flatMap((template) => template.triggeredBy);

/** Why a template could not be rendered: a required variable had no value. */
export class TemplateError extends Error {
  override name = "TemplateError";
}

/**
 * Fill a template's subject and body. Every required variable must have a value (else {@link TemplateError});
 * an optional one without a value renders as nothing.
 */
export function renderTemplate(
  template: NotificationTemplate,
  values: Readonly<Record<string, TemplateValue>>,
): { readonly subject: string; readonly body: string } {
  const missing = template.variables.filter((variable) => variable.required && values[variable.name] === undefined);
  if (missing.length > 0)
    throw new TemplateError(
      `${template.templateKey} needs ${missing.map((variable) => variable.name).join(", ")}, which ${missing.length === 1 ? "was" : "were"} not given`,
    );
  const fill = (text: string) =>
    text.replace(/\{\{([a-zA-Z][a-zA-Z0-9_]*)\}\}/g, (_match, name: string) => String(values[name] ?? "")).trim();
  return { subject: fill(template.subject ?? template.name), body: fill(template.body) };
}

/** An address as the audit shows it: `a***@example.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at <= 0) return "***";
  return `${email[0]}***${email.slice(at)}`;
}
