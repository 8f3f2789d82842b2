import { Code, ConnectError } from "@connectrpc/connect";
import { createClient, type EcomClient, signWebhook } from "@ecom/sdk";
import { paymentV1 } from "@ecom/sdk/rpc";
import { type AnyContextModule, defineContext, type Ids, type TokenService } from "@ecom/services/platform";
import type { Platform } from "@ecom/simulator";
import type { Kysely } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import {
  createPaymentContext,
  createSimulatedProcessor,
  ProcessorError,
  paymentContext,
} from "../../packages/services/src/payment/index.js";
import type { PaymentDatabase } from "../../packages/services/src/payment/store.js";
import { type Backend, describeBackends } from "../backends/backends.js";
import { PLATFORM_START_TIMEOUT, type PlatformOnBackend, startPlatformOn } from "../backends/platform-on.js";

// The payment context in the simulator, driven the way the Checkout Saga (PaymentService over platform.rpc),
// shoppers and admins (REST through the SDK) and the processor (signed webhooks) drive it.

const quiet = { info() {}, warn() {}, error: (message: string, fields?: unknown) => console.error(message, fields) };
const { PaymentStatus, PaymentFailureCode, RefundStatus, RefundReason, VoidReason } = paymentV1;

let tokens: TokenService | undefined;
let ids: Ids | undefined;

/** Gives the test the platform's token service and id maker, so it can act as an admin or a shopper. */
const testKit = defineContext<unknown>({
  name: "testkit",
  migrations: {},
  create(runtime) {
    tokens = runtime.tokens;
    ids = runtime.ids;
    return {};
  },
});

const ADMIN = "cus_01JH8Z1A2B3C4D5E6F7G8H9J0K";
const SHOPPER = "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E";
const STRANGER = "cus_01JH8Z4B5C6D7E8F9G0H1J2K3M";
const USD = (amount: number) => ({ amountMinor: BigInt(amount), currency: "USD" });

let platform: Platform | undefined;
let running: PlatformOnBackend | undefined;

async function start(
  payment: AnyContextModule = paymentContext,
  backend: Backend = { kind: "embedded" },
): Promise<Platform> {
  running = await startPlatformOn(backend, { contexts: [testKit, payment], seed: 9, log: quiet });
  platform = running.platform;
  return platform;
}

afterEach(async () => {
  await running?.close();
  running = undefined;
  platform = undefined;
});

function client(customerId: string, role: "admin" | "customer" = "customer"): EcomClient {
  return createClient({
    baseUrl: "http://ecom.test",
    fetch: platform!.fetch,
    retry: { maxAttempts: 1 },
    token: tokens!.issue({ customerId, role }, { expiresInSeconds: 3600 }),
  });
}

async function tokenize(cardNumber: string, customerId = SHOPPER): Promise<string> {
  const { data, error } = await client(customerId).payment.tokenizePaymentMethod({
    body: { cardNumber, expMonth: 12, expYear: 2030, cvc: "123", holderName: "Ada Lovelace" },
  });
  if (!data) throw new Error(`tokenize failed: ${JSON.stringify(error)}`);
  return data.paymentToken;
}

/** Authorize as the saga does: for a checkout, with "<checkout>:authorize" as the key. */
function authorize(paymentToken: string, options: { checkoutId?: string; amount?: number; key?: string } = {}) {
  const checkoutId = options.checkoutId ?? ids!.next("chk");
  return platform!.rpc.payment.authorize({
    subject: { case: "checkoutId", value: checkoutId },
    amount: USD(options.amount ?? 8778),
    paymentToken,
    idempotencyKey: options.key ?? `${checkoutId}:authorize`,
    correlationId: checkoutId,
  });
}

async function events(type: string) {
  await platform!.settle();
  const logged = await platform!.eventLog.read({ afterSeq: 0, types: [type], limit: 10_000 });
  return logged.map(
    (event) => JSON.parse(event.envelope) as { correlationId: string; payload: Record<string, unknown> },
  );
}

async function connectError(call: Promise<unknown>): Promise<ConnectError | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return ConnectError.from(error);
  }
}

describe("a payment through the saga's RPCs", () => {
  it("authorizes, captures and refunds in two parts, each step published once under the checkout's correlation id", async () => {
    await start();
    const token = await tokenize("4242424242424242");
    const checkoutId = ids!.next("chk");
    const authorized = await authorize(token, { checkoutId });
    expect(authorized).toMatchObject({
      status: PaymentStatus.AUTHORIZED,
      paymentId: expect.stringMatching(/^pay_/),
      // Authorized over the processor's SOAP interface, asked first.
      processorPath: "soap",
    });
    expect(authorized.failure).toBeUndefined();
    const { paymentId } = authorized;

    const captured = await platform!.rpc.payment.capture({ paymentId });
    expect(captured).toMatchObject({
      status: PaymentStatus.CAPTURED,
      capturedAmount: { amountMinor: 8778n, currency: "USD" },
    });
    expect((await platform!.rpc.payment.capture({ paymentId })).status).toBe(PaymentStatus.CAPTURED);

    const part = {
      paymentId,
      amount: USD(4599),
      reason: RefundReason.RETURN_RECEIVED,
      idempotencyKey: `${paymentId}:refund:1`,
    };
    const first = await platform!.rpc.payment.refund(part);
    expect(first).toMatchObject({
      refundStatus: RefundStatus.SUCCEEDED,
      paymentStatus: PaymentStatus.PARTIALLY_REFUNDED,
      refundedTotal: { amountMinor: 4599n },
    });
    const repeated = await platform!.rpc.payment.refund(part);
    expect(repeated.refundId).toBe(first.refundId);
    const tooMuch = { ...part, amount: USD(4180), idempotencyKey: `${paymentId}:refund:2` };
    expect((await connectError(platform!.rpc.payment.refund(tooMuch)))?.code).toBe(Code.FailedPrecondition);
    const rest = await platform!.rpc.payment.refund({
      ...tooMuch,
      amount: USD(4179),
      idempotencyKey: `${paymentId}:refund:3`,
    });
    expect(rest).toMatchObject({ paymentStatus: PaymentStatus.REFUNDED, refundedTotal: { amountMinor: 8778n } });

    const orderId = `ord_${checkoutId.slice(4)}`;
    const [authorizedEvent] = await events("ecommerce.payment.payment.authorized.v1");
    expect(authorizedEvent).toMatchObject({
      correlationId: checkoutId,
      payload: {
        paymentId,
        orderId,
        customerId: SHOPPER,
        amount: { amount: 8778, currency: "USD" },
        card: { brand: "visa", last4: "4242" },
      },
    });
    expect(await events("ecommerce.payment.payment.succeeded.v1")).toEqual([
      expect.objectContaining({
        correlationId: checkoutId,
        payload: expect.objectContaining({ paymentId, amount: { amount: 8778, currency: "USD" } }),
      }),
    ]);
    const refunded = await events("ecommerce.payment.payment.refunded.v1");
    expect(refunded.map((event) => [event.payload.amount, event.payload.paymentStatus, event.payload.reason])).toEqual([
      [{ amount: 4599, currency: "USD" }, "PARTIALLY_REFUNDED", "return_received"],
      [{ amount: 4179, currency: "USD" }, "REFUNDED", "return_received"],
    ]);

    const { data: view } = await client(SHOPPER).payment.getPayment({ params: { path: { paymentId } } });
    expect(view).toMatchObject({
      status: "REFUNDED",
      orderId,
      amountCaptured: { amount: 8778 },
      amountRefunded: { amount: 8778 },
      charges: [
        { kind: "AUTHORIZATION", status: "SUCCEEDED", attempts: 1 },
        { kind: "CAPTURE", status: "SUCCEEDED" },
      ],
      refunds: [{ status: "SUCCEEDED" }, { status: "SUCCEEDED" }],
    });
    expect((await client(STRANGER).payment.getPayment({ params: { path: { paymentId } } })).response.status).toBe(404);
  });

  const refusals: [
    string,
    { card: string; code: paymentV1.PaymentFailureCode; retryable: boolean; attempts: number },
  ][] = [
    [
      "a declined card",
      { card: "4000000000000002", code: PaymentFailureCode.CARD_DECLINED, retryable: false, attempts: 1 },
    ],
    [
      "a card without funds",
      { card: "4000000000009995", code: PaymentFailureCode.INSUFFICIENT_FUNDS, retryable: false, attempts: 1 },
    ],
    [
      "a card the processor errs on, after every retry",
      { card: "4000000000000119", code: PaymentFailureCode.PROCESSOR_ERROR, retryable: true, attempts: 5 },
    ],
  ];
  it.each(refusals)("records %s as FAILED, publishes payment.failed and charges nothing", async (_name, want) => {
    await start();
    const token = await tokenize(want.card);
    const answer = await authorize(token);
    expect(answer.status).toBe(PaymentStatus.FAILED);
    expect(answer.failure).toMatchObject({ code: want.code, retryable: want.retryable });
    expect(answer.failure?.message).not.toBe("");

    const failed = await events("ecommerce.payment.payment.failed.v1");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.payload).toMatchObject({
      paymentId: answer.paymentId,
      stage: "AUTHORIZATION",
      attempts: want.attempts,
    });
    expect(await events("ecommerce.payment.payment.authorized.v1")).toHaveLength(0);
    // Nothing to take and nothing to release: capture is refused, compensation succeeds blind.
    expect((await connectError(platform!.rpc.payment.capture({ paymentId: answer.paymentId })))?.code).toBe(
      Code.FailedPrecondition,
    );
    expect(
      (await platform!.rpc.payment.void({ paymentId: answer.paymentId, reason: VoidReason.CHECKOUT_FAILED })).status,
    ).toBe(PaymentStatus.FAILED);
    expect(await events("ecommerce.payment.payment.succeeded.v1")).toHaveLength(0);
    expect(await events("ecommerce.payment.payment.voided.v1")).toHaveLength(0);
  });

  it("answers a repeated declined authorization with the recorded failure without asking again", async () => {
    await start();
    const token = await tokenize("4000000000000002");
    const checkoutId = ids!.next("chk");
    const first = await authorize(token, { checkoutId });
    const again = await authorize(token, { checkoutId });
    expect(again).toMatchObject({ paymentId: first.paymentId, status: PaymentStatus.FAILED });
    expect(await events("ecommerce.payment.payment.failed.v1")).toHaveLength(1);
  });

  it("voids an authorization once however often compensation repeats it, after which it can be neither captured nor refunded", async () => {
    await start();
    const token = await tokenize("4242424242424242");
    const { paymentId } = await authorize(token);
    const voids = [
      await platform!.rpc.payment.void({ paymentId, reason: VoidReason.CHECKOUT_FAILED }),
      await platform!.rpc.payment.void({ paymentId, reason: VoidReason.CHECKOUT_FAILED }),
    ];
    expect(voids.map((answer) => answer.status)).toEqual([PaymentStatus.VOIDED, PaymentStatus.VOIDED]);
    const voided = await events("ecommerce.payment.payment.voided.v1");
    expect(voided.map((event) => event.payload.reason)).toEqual(["checkout_failed"]);
    expect((await connectError(platform!.rpc.payment.capture({ paymentId })))?.code).toBe(Code.FailedPrecondition);
    const refund = platform!.rpc.payment.refund({
      paymentId,
      amount: USD(1),
      reason: RefundReason.GOODWILL,
      idempotencyKey: "refund-after-void",
    });
    expect((await connectError(refund))?.code).toBe(Code.FailedPrecondition);
  });

  it("refuses to void a captured payment: that money is given back by a refund", async () => {
    await start();
    const { paymentId } = await authorize(await tokenize("4242424242424242"));
    await platform!.rpc.payment.capture({ paymentId });
    expect(
      (await connectError(platform!.rpc.payment.void({ paymentId, reason: VoidReason.ORDER_CANCELED })))?.code,
    ).toBe(Code.FailedPrecondition);
  });

  it("refuses requests that break the contract as invalid_argument", async () => {
    await start();
    const token = await tokenize("4242424242424242");
    expect((await connectError(authorize(token, { amount: 0 })))?.code).toBe(Code.InvalidArgument);
    expect((await connectError(authorize(token, { key: "short" })))?.code).toBe(Code.InvalidArgument);
    expect((await connectError(authorize("tok_01JH8Z3Q4R5S6T7V8W9X0Y1Z32")))?.code).toBe(Code.InvalidArgument);
    expect(
      (await connectError(platform!.rpc.payment.capture({ paymentId: "pay_01JH8Z3Q4R5S6T7V8W9X0Y1Z2P" })))?.code,
    ).toBe(Code.NotFound);
  });
});

// What must hold on a pool of connections as on SQLite's one: a key is claimed once however the calls interleave.
// Each test starts its platform (on PostgreSQL: a database of its own), so the start counts in its time.
describeBackends("a payment's idempotency", (backend) => {
  it(
    "makes one payment for one idempotency key, sent again or sent concurrently, and refuses the key for another request",
    async () => {
      await start(paymentContext, backend);
      const token = await tokenize("4242424242424242");
      const checkoutId = ids!.next("chk");
      const answers = await Promise.all(Array.from({ length: 5 }, () => authorize(token, { checkoutId })));
      const again = await authorize(token, { checkoutId });
      expect(new Set([...answers, again].map((answer) => answer.paymentId)).size).toBe(1);
      expect(await events("ecommerce.payment.payment.authorized.v1")).toHaveLength(1);

      const other = authorize(token, { checkoutId, amount: 100 });
      expect((await connectError(other))?.code).toBe(Code.AlreadyExists);
    },
    PLATFORM_START_TIMEOUT,
  );

  it(
    "takes a repeat for the request whose key the previous version stored with the request's hash in hex",
    async () => {
      let store: Kysely<PaymentDatabase> | undefined;
      const payment = createPaymentContext({
        processor: (runtime) => {
          store = runtime.db;
          return createSimulatedProcessor(runtime);
        },
      });
      await start(payment, backend);
      const token = await tokenize("4242424242424242");
      const checkoutId = ids!.next("chk");
      const first = await authorize(token, { checkoutId });
      // The key as the version before base64url kept it: the same SHA-256, in hex.
      const key = await store!.selectFrom("idempotency_keys").selectAll().executeTakeFirstOrThrow();
      const hex = Buffer.from(key.request_hash, "base64url").toString("hex");
      await store!.updateTable("idempotency_keys").set({ request_hash: hex }).execute();

      expect((await authorize(token, { checkoutId })).paymentId).toBe(first.paymentId);
      expect((await connectError(authorize(token, { checkoutId, amount: 100 })))?.code).toBe(Code.AlreadyExists);
      expect(await events("ecommerce.payment.payment.authorized.v1")).toHaveLength(1);
    },
    PLATFORM_START_TIMEOUT,
  );

  it(
    "lets a shopper pay with their own token only, replays a repeated Idempotency-Key, and leaves capture, void and refund to admins",
    async () => {
      await start(paymentContext, backend);
      const shopper = client(SHOPPER);
      const admin = client(ADMIN, "admin");
      const token = await tokenize("4242424242424242");
      const orderId = ids!.next("ord");
      const body = { orderId, amount: { amount: 2500, currency: "USD" }, paymentToken: token };
      const created = await shopper.payment.createPayment({
        body,
        params: { header: { "Idempotency-Key": "pay-order-0001" } },
      });
      expect(created.response.status).toBe(201);
      expect(created.data).toMatchObject({
        status: "AUTHORIZED",
        orderId,
        customerId: SHOPPER,
        paymentMethod: { last4: "4242" },
      });
      const replayed = await shopper.payment.createPayment({
        body,
        params: { header: { "Idempotency-Key": "pay-order-0001" } },
      });
      expect(replayed.data?.paymentId).toBe(created.data?.paymentId);
      expect(await events("ecommerce.payment.payment.authorized.v1")).toHaveLength(1);

      const stolen = await client(STRANGER).payment.createPayment({ body: { ...body, orderId: ids!.next("ord") } });
      expect(stolen.response.status).toBe(404);

      const paymentId = created.data!.paymentId;
      expect((await shopper.payment.capturePayment({ params: { path: { paymentId } } })).response.status).toBe(403);
      const captured = await admin.payment.capturePayment({
        params: { path: { paymentId } },
        body: { amount: { amount: 2000, currency: "USD" } },
      });
      expect(captured.data).toMatchObject({ status: "CAPTURED", amountCaptured: { amount: 2000 } });
      const conflict = await admin.payment.voidPayment({
        params: { path: { paymentId } },
        body: { reason: "order_canceled" },
      });
      expect(conflict.response.status).toBe(409);
      expect(conflict.error).toMatchObject({ code: "payment_state_conflict" });

      const refund = await admin.payment.refundPayment({
        params: { path: { paymentId } },
        body: { amount: { amount: 500, currency: "USD" }, reason: "goodwill", note: "dented cover" },
      });
      expect(refund.response.status).toBe(201);
      expect(refund.data).toMatchObject({
        paymentId,
        orderId,
        status: "SUCCEEDED",
        reason: "goodwill",
        note: "dented cover",
      });
      const wrongCurrency = await admin.payment.refundPayment({
        params: { path: { paymentId } },
        body: { amount: { amount: 1, currency: "EUR" }, reason: "goodwill" },
      });
      expect(wrongCurrency.response.status).toBe(422);
      expect(wrongCurrency.error).toMatchObject({ code: "currency_mismatch" });
      const tooMuch = await admin.payment.refundPayment({
        params: { path: { paymentId } },
        body: { amount: { amount: 1501, currency: "USD" }, reason: "goodwill" },
      });
      expect(tooMuch.response.status).toBe(422);
      expect(tooMuch.error).toMatchObject({ code: "refund_exceeds_captured", errors: [{ pointer: "/amount/amount" }] });
    },
    PLATFORM_START_TIMEOUT,
  );
});

/**
 * The payment context over a simulated processor the test also holds, and its store: a test can do what a process
 * that died would have left behind (a capture the processor made, the payment never told).
 */
function paymentWithProcessorHandle() {
  const handle: {
    store?: Kysely<PaymentDatabase>;
    processor?: ReturnType<typeof createSimulatedProcessor>;
    /** The processor's references of the captures it made. */
    captures: string[];
    /** How many of the next capture answers are lost on the way back. */
    captureAnswersLost: number;
    /** How many of the next void answers are lost on the way back (the processor voided). */
    voidAnswersLost: number;
  } = { captures: [], captureAnswersLost: 0, voidAnswersLost: 0 };
  const payment = createPaymentContext({
    sleep: async () => {},
    breaker: { failureThreshold: 50, coolDownMs: 30_000 },
    processor: (runtime) => {
      handle.store = runtime.db;
      const simulated = createSimulatedProcessor(runtime);
      handle.processor = simulated;
      return {
        ...simulated,
        // The processor captures, then its answer is lost on the way back (while `captureAnswersLost` lasts).
        capture: async (request) => {
          const answer = await simulated.capture(request);
          if (answer.status === "succeeded" && !handle.captures.includes(answer.processorReference)) {
            handle.captures.push(answer.processorReference);
          }
          if (handle.captureAnswersLost > 0) {
            handle.captureAnswersLost--;
            throw new ProcessorError("processor_unavailable", "The capture's answer was lost (scripted).");
          }
          return answer;
        },
        void: async (request) => {
          const answer = await simulated.void(request);
          if (handle.voidAnswersLost > 0) {
            handle.voidAnswersLost--;
            throw new ProcessorError("processor_unavailable", "The void's answer was lost (scripted).");
          }
          return answer;
        },
      };
    },
  });
  return { payment, handle };
}

/** A platform whose payment processor the test holds ({@link paymentWithProcessorHandle}), and a payment authorized on it. */
async function authorizedWithProcessorHandle(backend: Parameters<typeof start>[1]) {
  const { payment, handle } = paymentWithProcessorHandle();
  await start(payment, backend);
  const { paymentId } = await authorize(await tokenize("4242424242424242"));
  return { handle, paymentId };
}

/** The authorization charge of `paymentId` (its processor reference). */
function authorizationOf(store: Kysely<PaymentDatabase>, paymentId: string) {
  return store
    .selectFrom("charges")
    .select("processor_reference")
    .where("payment_id", "=", paymentId)
    .executeTakeFirstOrThrow();
}

/** What payment asks the processor to capture or void for the charge `chargeId` of the whole 4242 authorization. */
function processorRequest(
  chargeId: string,
  paymentId: string,
  authorization: { readonly processor_reference: string | null },
): Parameters<ReturnType<typeof createSimulatedProcessor>["capture"]>[0] {
  return {
    reference: chargeId,
    paymentId,
    authorization: authorization.processor_reference ?? "",
    amount: { amount: 8778, currency: "USD" },
    card: { brand: "visa", last4: "4242", expMonth: 12, expYear: 2030, outcome: "approve" },
  };
}

/** A CAPTURE (or VOID) charge left PENDING as Capture (or Void) inserts it before asking the processor; its id. */
async function pendingCharge(
  store: Kysely<PaymentDatabase>,
  paymentId: string,
  kind: "CAPTURE" | "VOID" = "CAPTURE",
): Promise<string> {
  const chargeId = ids!.next("chg");
  await store
    .insertInto("charges")
    .values({
      charge_id: chargeId,
      payment_id: paymentId,
      kind,
      amount: 8778,
      currency: "USD",
      status: "PENDING",
      processor_reference: null,
      failure_code: null,
      attempts: 0,
      created_at: new Date().toISOString(),
      completed_at: null,
    })
    .execute();
  return chargeId;
}

async function chargesOf(paymentId: string) {
  const { data } = await client(ADMIN, "admin").payment.getPayment({ params: { path: { paymentId } } });
  return {
    status: data?.status,
    charges: data?.charges.map((charge) => [charge.kind, charge.status, charge.processorReference, charge.failureCode]),
  };
}

// What Void does when a capture's answer never reached payment (the process died, or every retry lost it): the
// processor remembers whether it captured, and its answer to the void decides. The Checkout Saga probes with Void
// after such a capture (checkout-steps.ts settleLapsedCapture, checkout-compensation.ts): a void accepted there means
// nothing was taken. Each test starts its platform (on PostgreSQL: a database of its own).
describeBackends("a void after a capture whose answer was never recorded", (backend) => {
  it(
    "records the capture the processor made and refuses the void, instead of voiding a payment whose money was taken",
    async () => {
      const { handle, paymentId } = await authorizedWithProcessorHandle(backend);
      const store = handle.store!;
      const authorization = await authorizationOf(store, paymentId);
      // The process died after the processor captured and before payment recorded its answer.
      const chargeId = await pendingCharge(store, paymentId);
      const taken = await handle.processor!.capture(processorRequest(chargeId, paymentId, authorization));

      const refused = await connectError(platform!.rpc.payment.void({ paymentId, reason: VoidReason.CHECKOUT_FAILED }));
      expect(refused?.code).toBe(Code.FailedPrecondition);
      expect(refused?.rawMessage).toContain("is CAPTURED: money that was taken is given back by a refund");
      expect(await chargesOf(paymentId)).toEqual({
        status: "CAPTURED",
        charges: [
          ["AUTHORIZATION", "SUCCEEDED", authorization.processor_reference, undefined],
          ["CAPTURE", "SUCCEEDED", taken.processorReference, undefined],
          ["VOID", "FAILED", undefined, "processor_error"],
        ],
      });
      expect((await events("ecommerce.payment.payment.succeeded.v1")).map((event) => event.payload.chargeId)).toEqual([
        chargeId,
      ]);
      expect(await events("ecommerce.payment.payment.voided.v1")).toEqual([]);

      // Now CAPTURED as after any capture: asked again, refused again; Capture answers it; a refund gives it back.
      const again = connectError(platform!.rpc.payment.void({ paymentId, reason: VoidReason.CHECKOUT_FAILED }));
      expect((await again)?.code).toBe(Code.FailedPrecondition);
      expect((await platform!.rpc.payment.capture({ paymentId })).status).toBe(PaymentStatus.CAPTURED);
      const refund = await platform!.rpc.payment.refund({
        paymentId,
        amount: USD(8778),
        reason: RefundReason.ORDER_CANCELED,
        idempotencyKey: `${paymentId}:refund`,
      });
      expect(refund.paymentStatus).toBe(PaymentStatus.REFUNDED);
      expect(await events("ecommerce.payment.payment.succeeded.v1")).toHaveLength(1);
    },
    PLATFORM_START_TIMEOUT,
  );

  it(
    "voids when the capture never reached the processor, fails that capture, and the processor refuses it from then on",
    async () => {
      const { handle, paymentId } = await authorizedWithProcessorHandle(backend);
      // The process died after Capture recorded its charge and before it asked the processor.
      await pendingCharge(handle.store!, paymentId);

      expect((await platform!.rpc.payment.void({ paymentId, reason: VoidReason.CHECKOUT_FAILED })).status).toBe(
        PaymentStatus.VOIDED,
      );
      const { status, charges } = await chargesOf(paymentId);
      expect(status).toBe("VOIDED");
      expect(charges?.map(([kind, state, , code]) => [kind, state, code])).toEqual([
        ["AUTHORIZATION", "SUCCEEDED", undefined],
        ["CAPTURE", "FAILED", "processor_unavailable"],
        ["VOID", "SUCCEEDED", undefined],
      ]);
      expect(await events("ecommerce.payment.payment.voided.v1")).toHaveLength(1);
      expect(await events("ecommerce.payment.payment.succeeded.v1")).toEqual([]);
      expect((await connectError(platform!.rpc.payment.capture({ paymentId })))?.code).toBe(Code.FailedPrecondition);
      expect(handle.captures).toEqual([]);
    },
    PLATFORM_START_TIMEOUT,
  );

  it(
    "records a capture whose every answer was lost, on the next Capture or on a Void, the processor capturing once",
    async () => {
      const { payment, handle } = paymentWithProcessorHandle();
      await start(payment, backend);
      const token = await tokenize("4242424242424242");

      // Every try of the first Capture (the retry policy's 5) loses its answer; Capture asked again is refused by
      // the processor as captured already, naming the capture, which is recorded.
      const first = await authorize(token);
      handle.captureAnswersLost = 5;
      expect((await connectError(platform!.rpc.payment.capture({ paymentId: first.paymentId })))?.code).toBe(
        Code.Unavailable,
      );
      expect((await platform!.rpc.payment.capture({ paymentId: first.paymentId })).status).toBe(PaymentStatus.CAPTURED);
      expect(handle.captures).toHaveLength(1);
      expect((await chargesOf(first.paymentId)).charges).toEqual([
        ["AUTHORIZATION", "SUCCEEDED", expect.any(String), undefined],
        ["CAPTURE", "FAILED", undefined, "processor_unavailable"],
        ["CAPTURE", "SUCCEEDED", handle.captures[0], undefined],
      ]);

      // Void asked instead: refused as captured; the capture is recorded as a charge of its own.
      const second = await authorize(token);
      handle.captureAnswersLost = 5;
      expect((await connectError(platform!.rpc.payment.capture({ paymentId: second.paymentId })))?.code).toBe(
        Code.Unavailable,
      );
      const refused = platform!.rpc.payment.void({ paymentId: second.paymentId, reason: VoidReason.CHECKOUT_FAILED });
      expect((await connectError(refused))?.code).toBe(Code.FailedPrecondition);
      expect(handle.captures).toHaveLength(2);
      expect(await chargesOf(second.paymentId)).toEqual({
        status: "CAPTURED",
        charges: [
          ["AUTHORIZATION", "SUCCEEDED", expect.any(String), undefined],
          ["CAPTURE", "FAILED", undefined, "processor_unavailable"],
          ["VOID", "FAILED", undefined, "processor_error"],
          ["CAPTURE", "SUCCEEDED", handle.captures[1], undefined],
        ],
      });
      const succeeded = await events("ecommerce.payment.payment.succeeded.v1");
      expect(succeeded.map((event) => event.payload.paymentId)).toEqual([first.paymentId, second.paymentId]);
      expect(await events("ecommerce.payment.payment.voided.v1")).toEqual([]);
    },
    PLATFORM_START_TIMEOUT,
  );

  it(
    "records a lost capture of part of the hold for what it took, not for what the next Capture asks",
    async () => {
      const { handle, paymentId } = await authorizedWithProcessorHandle(backend);
      handle.captureAnswersLost = 5;
      const part = platform!.rpc.payment.capture({ paymentId, amount: USD(5000) });
      expect((await connectError(part))?.code).toBe(Code.Unavailable);
      // Asked again for the whole hold: the processor took 5000 once, and that is what is recorded and published.
      const whole = await platform!.rpc.payment.capture({ paymentId });
      expect(whole).toMatchObject({ status: PaymentStatus.CAPTURED, capturedAmount: USD(5000) });
      const { data } = await client(ADMIN, "admin").payment.getPayment({ params: { path: { paymentId } } });
      expect(data?.amountCaptured).toEqual({ amount: 5000, currency: "USD" });
      expect(data?.charges.map((charge) => [charge.kind, charge.status, charge.amount.amount])).toEqual([
        ["AUTHORIZATION", "SUCCEEDED", 8778],
        ["CAPTURE", "FAILED", 5000],
        ["CAPTURE", "SUCCEEDED", 5000],
      ]);
      const succeeded = await events("ecommerce.payment.payment.succeeded.v1");
      expect(succeeded.map((event) => event.payload.amount)).toEqual([{ amount: 5000, currency: "USD" }]);
      expect(handle.captures).toHaveLength(1);
    },
    PLATFORM_START_TIMEOUT,
  );
});

// The mirror of the above: what Capture does when a void's answer never reached payment. The processor remembers that
// it voided, and refuses the capture; the payment then ends VOIDED with payment.voided, as the processor left it,
// not FAILED at capture as though the hold had lapsed.
describeBackends("a capture after a void whose answer was never recorded", (backend) => {
  it(
    "records the void the processor made and refuses the capture, with the reason the void was asked for",
    async () => {
      const { handle, paymentId } = await authorizedWithProcessorHandle(backend);
      const store = handle.store!;
      const authorization = await authorizationOf(store, paymentId);
      // The process died after the processor voided and before payment recorded its answer (Void had kept its
      // reason and its charge).
      await store
        .updateTable("payments")
        .set({ void_reason: "order_canceled" })
        .where("payment_id", "=", paymentId)
        .execute();
      const chargeId = await pendingCharge(store, paymentId, "VOID");
      const released = await handle.processor!.void(processorRequest(chargeId, paymentId, authorization));

      const refused = await connectError(platform!.rpc.payment.capture({ paymentId }));
      expect(refused?.code).toBe(Code.FailedPrecondition);
      expect(refused?.rawMessage).toContain("is VOIDED and cannot be captured");
      expect(await chargesOf(paymentId)).toEqual({
        status: "VOIDED",
        charges: [
          ["AUTHORIZATION", "SUCCEEDED", authorization.processor_reference, undefined],
          ["VOID", "SUCCEEDED", released.processorReference, undefined],
          ["CAPTURE", "FAILED", undefined, "authorization_expired"],
        ],
      });
      const voided = await events("ecommerce.payment.payment.voided.v1");
      expect(voided.map((event) => [event.payload.paymentId, event.payload.reason])).toEqual([
        [paymentId, "order_canceled"],
      ]);
      expect(await events("ecommerce.payment.payment.failed.v1")).toEqual([]);
      // VOIDED as after any void: Void answers it as it stands, Capture is refused again.
      expect((await platform!.rpc.payment.void({ paymentId, reason: VoidReason.CHECKOUT_FAILED })).status).toBe(
        PaymentStatus.VOIDED,
      );
      expect((await connectError(platform!.rpc.payment.capture({ paymentId })))?.code).toBe(Code.FailedPrecondition);
      expect(await events("ecommerce.payment.payment.voided.v1")).toHaveLength(1);
      expect(handle.captures).toEqual([]);
    },
    PLATFORM_START_TIMEOUT,
  );

  it(
    "records a void whose every answer was lost on the next Capture, which takes nothing",
    async () => {
      const { handle, paymentId } = await authorizedWithProcessorHandle(backend);
      // Every try of the Void (the retry policy's 5) loses its answer: the processor voided at the first.
      handle.voidAnswersLost = 5;
      const lost = platform!.rpc.payment.void({ paymentId, reason: VoidReason.REQUESTED_BY_CUSTOMER });
      expect((await connectError(lost))?.code).toBe(Code.Unavailable);

      expect((await connectError(platform!.rpc.payment.capture({ paymentId })))?.code).toBe(Code.FailedPrecondition);
      const { status, charges } = await chargesOf(paymentId);
      expect(status).toBe("VOIDED");
      expect(charges?.map(([kind, state, , code]) => [kind, state, code])).toEqual([
        ["AUTHORIZATION", "SUCCEEDED", undefined],
        ["VOID", "FAILED", "processor_unavailable"],
        ["CAPTURE", "FAILED", "authorization_expired"],
        ["VOID", "SUCCEEDED", undefined],
      ]);
      const voided = await events("ecommerce.payment.payment.voided.v1");
      expect(voided.map((event) => event.payload.reason)).toEqual(["requested_by_customer"]);
      expect(await events("ecommerce.payment.payment.failed.v1")).toEqual([]);
      expect(handle.captures).toEqual([]);
    },
    PLATFORM_START_TIMEOUT,
  );
});

describe("the processor's faults", () => {
  it("opens the breaker when the processor is down, fails fast while open, and recovers after the cool-down", async () => {
    // Counted, not timed: "fails fast" means the processor is not asked while the breaker is open.
    let processorCalls = 0;
    await start(
      createPaymentContext({
        processor: (runtime) => {
          const simulated = createSimulatedProcessor({
            faults: runtime.faults,
            clock: runtime.clock,
            random: runtime.random,
          });
          return {
            ...simulated,
            authorize: (request) => {
              processorCalls++;
              return simulated.authorize(request);
            },
          };
        },
      }),
    );
    const token = await tokenize("4242424242424242");
    platform!.faults.paymentProcessorDown = true;

    const duringOutage = await authorize(token);
    expect(duringOutage.status).toBe(PaymentStatus.FAILED);
    expect(duringOutage.failure).toMatchObject({ code: PaymentFailureCode.PROCESSOR_UNAVAILABLE, retryable: true });
    const [failed] = await events("ecommerce.payment.payment.failed.v1");
    // Five attempts over SOAP, then five over REST: the processor behind both interfaces is down.
    expect(failed?.payload).toMatchObject({ attempts: 10, failure: { code: "processor_unavailable" } });

    // Open: refused before the processor is asked, and nothing is recorded.
    const checkoutId = ids!.next("chk");
    const callsBefore = processorCalls;
    const refused = await connectError(authorize(token, { checkoutId }));
    expect(refused?.code).toBe(Code.Unavailable);
    expect(processorCalls).toBe(callsBefore);
    expect(await events("ecommerce.payment.payment.failed.v1")).toHaveLength(1);
    const rest = await client(SHOPPER).payment.createPayment({
      body: { orderId: ids!.next("ord"), amount: { amount: 100, currency: "USD" }, paymentToken: token },
    });
    expect(rest.response.status).toBe(503);
    expect(Number(rest.response.headers.get("retry-after"))).toBeGreaterThan(0);

    platform!.faults.paymentProcessorDown = false;
    expect((await connectError(authorize(token, { checkoutId })))?.code).toBe(Code.Unavailable);
    await platform!.advanceClock(30_000);
    // The same key works now: the refused attempt recorded nothing under it.
    const recovered = await authorize(token, { checkoutId });
    expect(recovered.status).toBe(PaymentStatus.AUTHORIZED);
    expect((await authorize(token)).status).toBe(PaymentStatus.AUTHORIZED);
  });

  it("keeps an authorization when the processor is down at capture, and captures it once the processor is back", async () => {
    await start(createPaymentContext({ sleep: async () => {}, breaker: { failureThreshold: 50, coolDownMs: 30_000 } }));
    const { paymentId } = await authorize(await tokenize("4242424242424242"));
    platform!.faults.paymentProcessorDown = true;
    expect((await connectError(platform!.rpc.payment.capture({ paymentId })))?.code).toBe(Code.Unavailable);
    platform!.faults.paymentProcessorDown = false;
    expect((await platform!.rpc.payment.capture({ paymentId })).status).toBe(PaymentStatus.CAPTURED);
    expect(await events("ecommerce.payment.payment.succeeded.v1")).toHaveLength(1);
    const { data } = await client(ADMIN, "admin").payment.getPayment({ params: { path: { paymentId } } });
    expect(data?.charges.map((charge) => [charge.kind, charge.status, charge.attempts])).toEqual([
      ["AUTHORIZATION", "SUCCEEDED", 1],
      ["CAPTURE", "FAILED", 5],
      ["CAPTURE", "SUCCEEDED", 1],
    ]);
  });

  it("waits out the processor's injected latency before it answers", async () => {
    // Counted, not timed (issue 12, finding 7): the processor asks its sleep for the latency and answers after it.
    const waits: number[] = [];
    await start(
      createPaymentContext({
        processor: (runtime) =>
          createSimulatedProcessor({
            faults: runtime.faults,
            clock: runtime.clock,
            random: runtime.random,
            sleep: async (milliseconds) => {
              waits.push(milliseconds);
            },
          }),
      }),
    );
    const token = await tokenize("4242424242424242");
    expect((await authorize(token)).status).toBe(PaymentStatus.AUTHORIZED);
    expect(waits).toEqual([]);
    platform!.faults.paymentProcessorLatencyMs = 60;
    expect((await authorize(token)).status).toBe(PaymentStatus.AUTHORIZED);
    expect(waits).toEqual([60]);
  });
});

describe("payments over REST", () => {
  it("tokenizes a card without ever returning or keeping its number, and refuses bad cards", async () => {
    await start();
    const shopper = client(SHOPPER);
    const { data, response } = await shopper.payment.tokenizePaymentMethod({
      body: { cardNumber: "5555555555554444", expMonth: 1, expYear: 2026, cvc: "123", holderName: "Ada Lovelace" },
    });
    expect(response.status).toBe(201);
    expect(data).toMatchObject({
      customerId: SHOPPER,
      type: "card",
      brand: "mastercard",
      last4: "4444",
      expMonth: 1,
      expYear: 2026,
    });
    expect(JSON.stringify(data)).not.toContain("5555555555554444");

    const luhn = await shopper.payment.tokenizePaymentMethod({
      body: { cardNumber: "4242424242424241", expMonth: 12, expYear: 2030, cvc: "123", holderName: "Ada" },
    });
    expect(luhn.response.status).toBe(422);
    expect(luhn.error).toMatchObject({ code: "invalid_card_number", errors: [{ pointer: "/cardNumber" }] });
    const expired = await shopper.payment.tokenizePaymentMethod({
      body: { cardNumber: "4242424242424242", expMonth: 11, expYear: 2025, cvc: "123", holderName: "Ada" },
    });
    expect(expired.response.status).toBe(422);
    expect(expired.error).toMatchObject({ type: "https://ecom.dev/problems/expired_card", code: "expired_card" });
    const anonymous = createClient({ baseUrl: "http://ecom.test", fetch: platform!.fetch, retry: { maxAttempts: 1 } });
    const refused = await anonymous.payment.tokenizePaymentMethod({
      body: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123", holderName: "Ada" },
    });
    expect(refused.response.status).toBe(401);
  });

  it("captures at once when asked to", async () => {
    await start();
    const token = await tokenize("4242424242424242");
    const { data } = await client(SHOPPER).payment.createPayment({
      body: { orderId: ids!.next("ord"), amount: { amount: 999, currency: "USD" }, paymentToken: token, capture: true },
    });
    expect(data).toMatchObject({ status: "CAPTURED", amountCaptured: { amount: 999 } });
  });
});

describe("processor webhooks", () => {
  /** A processor that accepts authorizations for later and confirms them by webhook, as a 3-D Secure flow would. */
  function deferringProcessor() {
    const state: { secret?: string; deferred: string[] } = { deferred: [] };
    const context = createPaymentContext({
      processor: (runtime) => ({
        ...createSimulatedProcessor({ faults: runtime.faults, clock: runtime.clock, random: runtime.random }),
        authorize: async (request) => {
          state.deferred.push(request.paymentId);
          return { status: "pending", processorReference: "ch_sim_3b9d7f1e5a2c" };
        },
        useWebhookSecret: (secret) => {
          state.secret = secret;
        },
      }),
    });
    return { context, state };
  }

  function deliver(
    secret: string,
    event: Record<string, unknown>,
    options: { timestamp?: number; tamper?: boolean } = {},
  ) {
    const body = JSON.stringify(event);
    const timestamp = options.timestamp ?? Math.floor(platform!.clock.now().getTime() / 1000);
    const headers = signWebhook(secret, { id: String(event.id), timestamp, body });
    return platform!.handle({
      method: "POST",
      url: "/payments/webhooks/processor",
      headers: { "content-type": "application/json", ...headers },
      body: options.tamper ? body.replace("8778", "1") : body,
    });
  }

  const confirmation = (paymentId: string) => ({
    id: ids!.next("msg"),
    type: "authorization.succeeded",
    createdAt: platform!.clock.now().toISOString(),
    data: { paymentId, processorReference: "ch_sim_3b9d7f1e5a2c", amount: { amount: 8778, currency: "USD" } },
  });

  it("applies a signed confirmation once, refuses a forged or stale one, and the saga's retry then sees the decision", async () => {
    const { context, state } = deferringProcessor();
    await start(context);
    expect(state.secret).toMatch(/^whsec_/);
    const token = await tokenize("4242424242424242");
    const checkoutId = ids!.next("chk");
    // Authorize waits for a decision; a pending one is "try again", not a status the proto has.
    expect((await connectError(authorize(token, { checkoutId })))?.code).toBe(Code.Unavailable);
    const paymentId = state.deferred[0]!;
    const { data: pending } = await client(SHOPPER).payment.getPayment({ params: { path: { paymentId } } });
    expect(pending).toMatchObject({
      status: "REQUIRES_AUTHORIZATION",
      charges: [{ kind: "AUTHORIZATION", status: "PENDING" }],
    });

    const event = confirmation(paymentId);
    const now = Math.floor(platform!.clock.now().getTime() / 1000);
    const forged = await deliver(state.secret!, event, { tamper: true });
    expect(forged.status).toBe(401);
    expect(JSON.parse(forged.body)).toMatchObject({ code: "invalid_webhook_signature" });
    expect((await deliver(state.secret!, event, { timestamp: now - 600 })).status).toBe(401);
    expect((await deliver("whsec_c2VjcmV0LW9mLXNvbWVvbmUtZWxzZQ==", event)).status).toBe(401);
    expect(await events("ecommerce.payment.payment.authorized.v1")).toHaveLength(0);

    const applied = await deliver(state.secret!, event);
    expect(applied.status).toBe(200);
    expect(JSON.parse(applied.body)).toEqual({ received: event.id, duplicate: false });
    const again = await deliver(state.secret!, event);
    expect(JSON.parse(again.body)).toEqual({ received: event.id, duplicate: true });
    const authorized = await events("ecommerce.payment.payment.authorized.v1");
    expect(authorized.map((logged) => [logged.payload.paymentId, logged.correlationId])).toEqual([
      [paymentId, checkoutId],
    ]);

    const retried = await authorize(token, { checkoutId });
    expect(retried).toMatchObject({ paymentId, status: PaymentStatus.AUTHORIZED });
    expect(state.deferred).toHaveLength(1);
    const { data: view } = await client(SHOPPER).payment.getPayment({ params: { path: { paymentId } } });
    expect(view).toMatchObject({
      status: "AUTHORIZED",
      charges: [{ status: "SUCCEEDED", processorReference: "ch_sim_3b9d7f1e5a2c" }],
    });
  });

  it("answers a REST payment the processor deferred as REQUIRES_AUTHORIZATION, and a notice for an unknown payment as 404", async () => {
    const { context, state } = deferringProcessor();
    await start(context);
    const token = await tokenize("4242424242424242");
    const { data } = await client(SHOPPER).payment.createPayment({
      body: { orderId: ids!.next("ord"), amount: { amount: 8778, currency: "USD" }, paymentToken: token },
    });
    expect(data?.status).toBe("REQUIRES_AUTHORIZATION");
    const failed = { ...confirmation(data!.paymentId), type: "authorization.failed" };
    (failed.data as Record<string, unknown>).failureCode = "card_declined";
    expect((await deliver(state.secret!, failed)).status).toBe(200);
    expect((await events("ecommerce.payment.payment.failed.v1")).map((event) => event.payload.failure)).toEqual([
      { code: "card_declined", message: "The card was declined by its issuer." },
    ]);
    const unknown = confirmation("pay_01JH8Z3Q4R5S6T7V8W9X0Y1Z2P");
    expect((await deliver(state.secret!, unknown)).status).toBe(404);
  });
});
