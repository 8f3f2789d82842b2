import { Code, ConnectError } from "@connectrpc/connect";
import type { ContextRuntime } from "../platform/index.js";
import { simulatedMessageId } from "./notification-views.js";
import type { NotificationDatabase, NotificationTable } from "./store.js";
import { maskEmail, renderTemplate, TemplateError, type TemplateValue, templateOf } from "./templates.js";

type Runtime = ContextRuntime<NotificationDatabase>;

/** The contract's error codes of a failed attempt. */
export type ErrorCode =
  | "provider_unavailable"
  | "provider_rejected"
  | "invalid_recipient"
  | "recipient_opted_out"
  | "template_error";

/** What one attempt came to. */
export type Outcome =
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

/**
 * Attempt to send `row` through the simulated e-mail channel: look the customer up (customer context's
 * GetCustomer), render the template, and hand the message to the channel unless the `emailChannelDown` fault is on.
 * Undefined when the customer context cannot answer now: nothing was attempted.
 */
export async function attemptNotification(runtime: Runtime, row: NotificationTable): Promise<Outcome | undefined> {
  const template = templateOf(row.template_key);
  if (!template) return failed("template_error", `There is no template ${row.template_key}.`);
  if (!template.channels.includes(row.channel as "email"))
    return failed("provider_rejected", `${row.template_key} is not sent on ${row.channel}; only email is simulated.`);
  const customer = await lookUp(runtime, row.customer_id);
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
  if (runtime.faults.emailChannelDown)
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
}

/** The customer's e-mail and first name; null when there is no such customer, undefined when the context cannot answer now. */
async function lookUp(runtime: Runtime, customerId: string) {
  try {
    const { customer } = await runtime.rpc.customer.getCustomer({ customerId });
    return customer ? { email: customer.email, firstName: customer.firstName } : null;
  } catch (error) {
    const connect = ConnectError.from(error);
    if (connect.code === Code.NotFound || connect.code === Code.InvalidArgument) return null;
    runtime.log.warn("a notification waits for the customer context", { customerId, error: connect.message });
    return undefined;
  }
}

function failed(code: ErrorCode, message: string): Outcome {
  return { ok: false, code, message, retry: false };
}
