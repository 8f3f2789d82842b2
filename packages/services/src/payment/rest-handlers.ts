import { type paymentApi, verifyWebhook } from "@ecom/sdk";
import {
  type ContextRuntime,
  fail,
  type Principal,
  type RestHandlers,
  requireAdmin,
  ServiceError,
  signedIn,
} from "../platform/index.js";
import { answeringAs, isPaymentError } from "./payment-errors.js";
import type { ProcessorEvent } from "./payment-model.js";
import { toPayment, toPaymentMethod, toRefund } from "./payment-views.js";
import type { Payments } from "./payments.js";
import type { PaymentDatabase } from "./store.js";

/** Run a payment operation, turning its expected failures into the problems payment.yaml documents. */
const answering = <TValue>(operation: () => Promise<TValue>) => answeringAs("rest", operation);

/** The payment context's REST operations, per contracts/openapi/payment.yaml. */
export function createRestHandlers(
  runtime: ContextRuntime<PaymentDatabase>,
  payments: Payments,
): RestHandlers<paymentApi.operations> {
  const { clock, ids } = runtime;

  /**
   * The payment's own idempotency key for a REST mutation: the caller's Idempotency-Key scoped to the caller, or
   * a fresh one (a request without a key is a new request). The gateway replays stored responses too; this key
   * is what keeps the processor from being asked twice.
   */
  const keyOf = (headers: Readonly<Record<string, string>>, caller: Principal) =>
    `rest:${caller.customerId}:${headers["idempotency-key"] ?? ids.next("idk")}`;

  const paymentView = async (paymentId: string, caller: Principal) => {
    const record = await payments.record(paymentId);
    // Another customer's payment is answered as missing, so ids cannot be probed.
    if (!record || (caller.role !== "admin" && record.payment.customer_id !== caller.customerId)) {
      throw fail.notFound(`payment ${paymentId}`);
    }
    return toPayment(record);
  };

  return {
    tokenizePaymentMethod: async ({ body, principal }) => {
      const caller = signedIn(principal);
      const method = await answering(() =>
        payments.tokenize({
          customerId: caller.customerId,
          cardNumber: body.cardNumber,
          expMonth: body.expMonth,
          expYear: body.expYear,
          holderName: body.holderName,
        }),
      );
      return { status: 201, body: toPaymentMethod(method) };
    },

    createPayment: async ({ body, headers, principal, correlationId }) => {
      const caller = signedIn(principal);
      let payment = await answering(() =>
        payments.authorize({
          orderId: body.orderId,
          amount: body.amount,
          paymentToken: body.paymentToken,
          idempotencyKey: keyOf(headers, caller),
          correlationId,
          payer: caller,
        }),
      );
      if (body.capture && payment.status === "AUTHORIZED") {
        // The authorization stands even if the capture cannot be made now: POST /capture retries it.
        const authorized = payment;
        payment = await payments.capture(authorized.payment_id, undefined).catch((error: unknown) => {
          if (isPaymentError(error)) return authorized;
          throw error;
        });
      }
      return {
        status: 201,
        body: await paymentView(payment.payment_id, caller),
        headers: { location: `/payments/${payment.payment_id}` },
      };
    },

    getPayment: async ({ path, principal }) => ({
      status: 200,
      body: await paymentView(path.paymentId, signedIn(principal)),
    }),

    capturePayment: async ({ path, body, principal }) => {
      const caller = requireAdmin(principal);
      await answering(() => payments.capture(path.paymentId, body?.amount));
      return { status: 200, body: await paymentView(path.paymentId, caller) };
    },

    voidPayment: async ({ path, body, principal }) => {
      const caller = requireAdmin(principal);
      await answering(() => payments.void(path.paymentId, body?.reason ?? "requested_by_customer"));
      return { status: 200, body: await paymentView(path.paymentId, caller) };
    },

    refundPayment: async ({ path, body, headers, principal, correlationId }) => {
      const caller = requireAdmin(principal);
      const { refund, payment } = await answering(() =>
        payments.refund({
          paymentId: path.paymentId,
          amount: body.amount,
          reason: body.reason,
          note: body.note,
          idempotencyKey: keyOf(headers, caller),
          correlationId,
        }),
      );
      return { status: 201, body: toRefund(refund, payment.order_id) };
    },

    receiveProcessorWebhook: async ({ body, headers, rawBody }) => {
      const secret = await payments.webhookSecret();
      // The signature covers the bytes as sent, so it is checked over the raw body, not a re-serialisation.
      const verified = verifyWebhook(secret, headers, rawBody, { now: clock.now() });
      if (verified.error) {
        throw new ServiceError("unauthenticated", `The webhook signature is not valid: ${verified.error.message}.`, {
          problem: "invalid_webhook_signature",
        });
      }
      if (body.id !== headers["webhook-id"]) throw fail.validation("/id", "must equal the webhook-id header");
      const { duplicate } = await answering(() => payments.applyWebhook(body as ProcessorEvent));
      return { status: 200, body: { received: body.id, duplicate } };
    },
  };
}
