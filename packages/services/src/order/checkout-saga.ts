import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { inventoryV1, paymentV1 } from "@ecom/sdk/rpc";
import type { Selectable, Transaction, Updateable } from "kysely";
import type { ContextRuntime } from "../platform/index.js";
import {
  type CheckoutFailureCode,
  type CheckoutStepName,
  cancellationReasonFor,
  FAILURE_MESSAGES,
  failureCodeOfPayment,
  nextAction,
  pendingCompensations,
  releaseReasonFor,
  STEP_STATE,
  type StepStatus,
  stateAfter,
} from "./checkout-saga-rules.js";
import { cancelOrderRow, loadOrderRecord, recordStatusChange } from "./order-records.js";
import {
  addressFromProto,
  compensationsOf,
  minorUnits,
  orderCreatedPayload,
  orderPaidPayload,
  protoMoney,
} from "./order-views.js";
import type {
  CheckoutLine,
  CheckoutsTable,
  CompensationRecord,
  OrderDatabase,
  PricingSnapshot,
  PromotionSnapshot,
} from "./store.js";

/** How the saga retries a dependency that does not answer. */
export interface SagaRetryOptions {
  /** Tries per call, the first included. */
  readonly attempts: number;
  /** The wait before the first retry, in real milliseconds; each later wait is four times longer, with jitter. */
  readonly baseDelayMs: number;
}

/** Tuning of the saga runner. */
export interface CheckoutSagaOptions {
  readonly retry: SagaRetryOptions;
  /**
   * A compensation or stock commit whose dependency stays down is tried again after this many real milliseconds
   * (doubling each time), at most `redriveLimit` times per process; the next start resumes it in any case.
   */
  readonly redriveDelayMs: number;
  readonly redriveLimit: number;
}

/** The defaults: four tries 10, 40 and 160 ms apart; a stuck compensation is tried again after 1 s, 2 s, … 32 s. */
export const DEFAULT_SAGA_OPTIONS: CheckoutSagaOptions = {
  retry: { attempts: 4, baseDelayMs: 10 },
  redriveDelayMs: 1_000,
  redriveLimit: 6,
};

type Runtime = ContextRuntime<OrderDatabase>;
type Checkout = Selectable<CheckoutsTable>;
type Trx = Transaction<OrderDatabase>;

/** A step's result: the saga goes on (with what the step learned), or fails and compensates. */
type StepOutcome =
  | {
      readonly ok: true;
      readonly detail: string;
      readonly patch?: Updateable<CheckoutsTable>;
      /** More to write in the transaction that records the success (the order, its events). */
      readonly write?: (trx: Trx, checkout: Checkout) => Promise<Updateable<CheckoutsTable>>;
    }
  | {
      readonly ok: false;
      readonly code: CheckoutFailureCode;
      readonly message?: string;
      readonly detail: string;
      readonly patch?: Updateable<CheckoutsTable>;
    };

/** A call's result: its answer, or the Connect error it ended with after the retries. */
type CallResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ConnectError };

/** Another runner changed the saga since this one read it; this run stops and leaves the saga to it. */
class SagaMovedError extends Error {
  override name = "SagaMovedError";
}

const TRANSIENT = new Set([Code.Unavailable, Code.DeadlineExceeded]);

function isConnectError(error: unknown): error is ConnectError {
  return error instanceof ConnectError || (error instanceof Error && error.name === "ConnectError");
}

/**
 * Events the saga's RPCs make other contexts publish (inventory.reserved, payment.authorized) are relayed to the
 * log on the next turns of the event loop; letting those turns pass before the saga publishes what follows keeps
 * the log in causal order.
 */
async function yieldToRelays(): Promise<void> {
  for (let turn = 0; turn < 2; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Lines with each product once (ReserveStock and CalculateDiscount refuse repeats), quantities summed. */
export function mergeLines(lines: readonly CheckoutLine[]): CheckoutLine[] {
  const merged = new Map<string, CheckoutLine>();
  for (const line of lines) {
    const seen = merged.get(line.productId);
    merged.set(line.productId, seen ? { ...seen, quantity: seen.quantity + line.quantity } : line);
  }
  return [...merged.values()];
}

function formatMoney(amount: number, currency: string): string {
  return `${(amount / 100).toFixed(2)} ${currency}`;
}

const PROMOTION_ID = /^prm_[0-9A-HJKMNP-TV-Z]{26}$/;
const COUPON_CODE = /^[A-Z0-9_-]{3,32}$/;

/**
 * Drives Checkout Sagas: reserve stock → calculate discount (with the product and address snapshots) → authorize
 * payment → create the order → capture → order.paid, then commit the stock; on a failure it compensates in reverse.
 *
 * Every step records its state and a new attempt BEFORE it acts and its result after, in transactions of the order
 * store, and every call it makes is idempotent by the checkout (ReserveStock by checkout id, Authorize by
 * "<checkoutId>:authorize", Capture and Void by payment id, Release and Commit by reservation id), so running a
 * step again after a crash repeats nothing. At most one run per checkout at a time in this process (a lock per
 * checkout id); across processes every change names the version it read, so a second runner stops instead of
 * acting twice.
 */
export class CheckoutSaga {
  readonly #runtime: Runtime;
  readonly #options: CheckoutSagaOptions;
  readonly #locks = new Map<string, Promise<void>>();
  readonly #queued = new Set<string>();
  readonly #watchers = new Map<string, Set<() => void>>();
  readonly #redrives = new Map<string, number>();

  constructor(runtime: Runtime, options: CheckoutSagaOptions = DEFAULT_SAGA_OPTIONS) {
    this.#runtime = runtime;
    this.#options = options;
  }

  /** Run the saga of `checkoutId` soon (after the current transaction, if any, has committed). */
  kick(checkoutId: string): void {
    if (this.#queued.has(checkoutId)) return;
    this.#queued.add(checkoutId);
    this.withLock(checkoutId, async () => {
      this.#queued.delete(checkoutId);
      await this.#drive(checkoutId);
    }).catch((error: unknown) => this.#interrupted(checkoutId, error));
  }

  /**
   * Resolves when no saga run is queued or under way in this process (scheduled re-drives after an outage are not
   * waited for). The subscription kicks a run after its transaction commits, so a few event-loop turns pass first.
   */
  async idle(): Promise<void> {
    for (;;) {
      for (let turn = 0; turn < 3; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#locks.size === 0 && this.#queued.size === 0) return;
      await Promise.allSettled([...this.#locks.values()]);
    }
  }

  /** Resume every saga that has not ended, and every paid order whose stock is still to be committed. */
  async resumeAll(): Promise<number> {
    const unfinished = await this.#runtime.db
      .selectFrom("checkouts")
      .select("checkout_id")
      .where((eb) => eb.or([eb("state", "not in", ["COMPLETED", "FAILED"]), eb("stock_commit", "=", "PENDING")]))
      .orderBy("checkout_id")
      .execute();
    for (const { checkout_id } of unfinished) this.kick(checkout_id);
    return unfinished.length;
  }

  /** Run `work` while no saga run (and no other locked work) touches `checkoutId`. */
  async withLock<T>(checkoutId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(checkoutId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#locks.set(checkoutId, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.#locks.get(checkoutId) === tail) this.#locks.delete(checkoutId);
    }
  }

  /** Resolves true when the saga of `checkoutId` records a change, false after `timeoutMs` without one. */
  waitForChange(checkoutId: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const watchers = this.#watchers.get(checkoutId) ?? new Set<() => void>();
      this.#watchers.set(checkoutId, watchers);
      const done = (changed: boolean) => {
        clearTimeout(timer);
        watchers.delete(onChange);
        if (watchers.size === 0) this.#watchers.delete(checkoutId);
        resolve(changed);
      };
      const onChange = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      timer.unref?.();
      watchers.add(onChange);
    });
  }

  /** Tell whoever waits on `checkoutId` that it changed. */
  notify(checkoutId: string): void {
    for (const watcher of [...(this.#watchers.get(checkoutId) ?? [])]) watcher();
  }

  async #drive(checkoutId: string): Promise<void> {
    try {
      // Each turn does one step (or one compensation) and reads the saga again; the bound only guards against a bug.
      for (let turn = 0; turn < 32; turn++) {
        const checkout = await this.#runtime.db
          .selectFrom("checkouts")
          .selectAll()
          .where("checkout_id", "=", checkoutId)
          .executeTakeFirst();
        if (!checkout) return;
        const action = nextAction({ state: checkout.state, stockCommit: checkout.stock_commit });
        if (action.kind === "none") {
          this.#redrives.delete(checkoutId);
          return;
        }
        const act = () =>
          action.kind === "run"
            ? this.#runStep(checkout, action.step)
            : action.kind === "compensate"
              ? this.#compensate(checkout)
              : this.#commitStock(checkout);
        const step = action.kind === "run" ? action.step : action.kind;
        const tracing = this.#runtime.tracing;
        const traced = tracing
          ? () => tracing.inSpan(`saga ${step}`, { attributes: { "ecom.checkout_id": checkoutId } }, act)
          : act;
        const goOn = await (this.#runtime.traceAs?.(checkout.correlation_id, traced) ?? traced());
        this.notify(checkoutId);
        if (!goOn) return;
      }
    } catch (error) {
      if (error instanceof SagaMovedError) return;
      throw error;
    }
  }

  #interrupted(checkoutId: string, error: unknown): void {
    this.notify(checkoutId);
    const message = error instanceof Error ? error.message : String(error);
    // A store closed under a running saga is a shutdown (or a test's simulated crash): the next start resumes it.
    if (/destroyed|not open/i.test(message)) {
      this.#runtime.log.warn("checkout saga interrupted; it resumes on the next start", { checkoutId, error: message });
    } else {
      this.#runtime.log.error("checkout saga stopped by an unexpected error; it resumes on the next start", {
        checkoutId,
        error: error instanceof Error ? (error.stack ?? message) : message,
      });
    }
  }

  #redrive(checkoutId: string, why: string): void {
    const count = this.#redrives.get(checkoutId) ?? 0;
    if (count >= this.#options.redriveLimit) {
      this.#runtime.log.warn("checkout saga is waiting for a dependency; it resumes on the next start", {
        checkoutId,
        why,
      });
      return;
    }
    this.#redrives.set(checkoutId, count + 1);
    const timer = setTimeout(() => this.kick(checkoutId), this.#options.redriveDelayMs * 2 ** count);
    timer.unref?.();
  }

  #now(): string {
    return this.#runtime.clock.now().toISOString();
  }

  /**
   * Change the saga in one transaction if nobody changed it since `checkout` was read (its version), then do `more`
   * in the same transaction; the row is updated with `changes` and whatever `more` returns.
   */
  async #transition(
    checkout: Checkout,
    changes: Updateable<CheckoutsTable>,
    more?: (trx: Trx) => Promise<Updateable<CheckoutsTable> | undefined>,
  ): Promise<void> {
    await this.#runtime.db.transaction().execute(async (trx) => {
      const claimed = await trx
        .updateTable("checkouts")
        .set({ version: checkout.version + 1, updated_at: this.#now() })
        .where("checkout_id", "=", checkout.checkout_id)
        .where("version", "=", checkout.version)
        .executeTakeFirst();
      if (claimed.numUpdatedRows !== 1n) throw new SagaMovedError(`checkout ${checkout.checkout_id} moved`);
      const extra = (await more?.(trx)) ?? {};
      const all = { ...changes, ...extra };
      if (Object.keys(all).length > 0) {
        await trx.updateTable("checkouts").set(all).where("checkout_id", "=", checkout.checkout_id).execute();
      }
    });
  }

  async #updateStep(
    trx: Trx,
    checkoutId: string,
    step: CheckoutStepName,
    changes: {
      status?: StepStatus;
      finished_at?: string;
      compensated_at?: string;
      detail?: string;
    },
  ): Promise<void> {
    await trx
      .updateTable("checkout_steps")
      .set(changes)
      .where("checkout_id", "=", checkoutId)
      .where("name", "=", step)
      .execute();
  }

  /** Run one step: record it (state, one more attempt) before acting, then its outcome. Returns whether to go on. */
  async #runStep(checkout: Checkout, step: CheckoutStepName): Promise<boolean> {
    const startedAt = this.#now();
    await this.#transition(checkout, { state: STEP_STATE[step] }, async (trx) => {
      await trx
        .updateTable("checkout_steps")
        .set((eb) => ({
          attempts: eb("attempts", "+", 1),
          started_at: eb.fn.coalesce("started_at", eb.val(startedAt)),
        }))
        .where("checkout_id", "=", checkout.checkout_id)
        .where("name", "=", step)
        .execute();
      return undefined;
    });
    const current = { ...checkout, state: STEP_STATE[step], version: checkout.version + 1 };
    const outcome = await this.#perform(current, step);
    const finishedAt = this.#now();
    if (outcome.ok) {
      await this.#transition(current, { ...outcome.patch, state: stateAfter(step) }, async (trx) => {
        await this.#updateStep(trx, checkout.checkout_id, step, {
          status: "SUCCEEDED",
          finished_at: finishedAt,
          detail: outcome.detail,
        });
        return outcome.write?.(trx, { ...current, ...(outcome.patch as Partial<Checkout>) });
      });
      return true;
    }
    await this.#transition(
      current,
      {
        ...outcome.patch,
        state: "COMPENSATING",
        failure_code: outcome.code,
        failure_message: outcome.message ?? FAILURE_MESSAGES[outcome.code],
        failure_step: step,
      },
      async (trx) => {
        await this.#updateStep(trx, checkout.checkout_id, step, {
          status: "FAILED",
          finished_at: finishedAt,
          detail: outcome.detail,
        });
        return undefined;
      },
    );
    this.#runtime.log.info("checkout failed; compensating", {
      checkoutId: checkout.checkout_id,
      step,
      code: outcome.code,
    });
    return true;
  }

  /**
   * Call a dependency, retrying while it is unavailable (each retry counted as an attempt of `step`, when given).
   * Resolves to the answer or the final Connect error; anything else thrown (the store closing) propagates.
   */
  async #call<T>(
    checkoutId: string,
    step: CheckoutStepName | undefined,
    dependency: string,
    call: () => Promise<T>,
  ): Promise<CallResult<T>> {
    const { attempts, baseDelayMs } = this.#options.retry;
    for (let attempt = 1; ; attempt++) {
      try {
        return { ok: true, value: await call() };
      } catch (error) {
        if (!isConnectError(error)) throw error;
        const connectError = ConnectError.from(error);
        if (!TRANSIENT.has(connectError.code) || attempt >= attempts) return { ok: false, error: connectError };
        if (step) {
          await this.#runtime.db
            .updateTable("checkout_steps")
            .set((eb) => ({
              attempts: eb("attempts", "+", 1),
              detail: `${dependency} did not answer (${connectError.rawMessage}); retrying with backoff.`,
            }))
            .where("checkout_id", "=", checkoutId)
            .where("name", "=", step)
            .execute();
        }
        const jitter = 0.5 + this.#runtime.random() / 2;
        await new Promise((resolve) => setTimeout(resolve, baseDelayMs * 4 ** (attempt - 1) * jitter));
      }
    }
  }

  #perform(checkout: Checkout, step: CheckoutStepName): Promise<StepOutcome> {
    switch (step) {
      case "reserve_stock":
        return this.#reserveStock(checkout);
      case "calculate_discount":
        return this.#calculateDiscount(checkout);
      case "authorize_payment":
        return this.#authorizePayment(checkout);
      case "create_order":
        return Promise.resolve(this.#createOrder(checkout));
      case "capture_payment":
        return this.#capturePayment(checkout);
    }
  }

  async #reserveStock(checkout: Checkout): Promise<StepOutcome> {
    const lines = mergeLines(JSON.parse(checkout.items_json) as CheckoutLine[]);
    const result = await this.#call(checkout.checkout_id, "reserve_stock", "inventory", () =>
      this.#runtime.rpc.inventory.reserveStock({
        checkoutId: checkout.checkout_id,
        correlationId: checkout.correlation_id,
        items: lines.map((line) => ({ productId: line.productId, quantity: line.quantity })),
        ttlSeconds: 0,
      }),
    );
    if (!result.ok) {
      return {
        ok: false,
        code: "inventory_unavailable",
        detail: `inventory answered ${Code[result.error.code]}: ${result.error.rawMessage}`,
      };
    }
    await yieldToRelays();
    const reservation = result.value;
    const { ReservationStatus } = inventoryV1;
    if (reservation.status === ReservationStatus.RESERVED) {
      const expiresAt = reservation.expiresAt ? timestampDate(reservation.expiresAt).toISOString() : null;
      const units = lines.reduce((sum, line) => sum + line.quantity, 0);
      return {
        ok: true,
        detail: `Reserved ${units} ${units === 1 ? "copy" : "copies"} as ${reservation.reservationId}${expiresAt ? ` until ${expiresAt}` : ""}.`,
        patch: { reservation_id: reservation.reservationId, reservation_expires_at: expiresAt },
      };
    }
    if (reservation.status === ReservationStatus.UNAVAILABLE) {
      const short = reservation.unavailableItems
        .map((item) => `${item.productId}: ${item.availableQuantity} of ${item.requestedQuantity} available`)
        .join("; ");
      const first = reservation.unavailableItems[0];
      return {
        ok: false,
        code: "out_of_stock",
        ...(first
          ? {
              message: `Only ${first.availableQuantity} of an item ${first.availableQuantity === 1 ? "is" : "are"} left; you asked for ${first.requestedQuantity}. Nothing was charged.`,
            }
          : {}),
        detail: `Out of stock: ${short || "inventory held nothing"}.`,
        patch: { reservation_id: reservation.reservationId || null },
      };
    }
    // A retry after a long pause may find the hold already lapsed (or given back): the stock is no longer ours.
    return {
      ok: false,
      code: "reservation_expired",
      detail: `Reservation ${reservation.reservationId} is ${ReservationStatus[reservation.status]}.`,
      patch: { reservation_id: reservation.reservationId || null },
    };
  }

  async #calculateDiscount(checkout: Checkout): Promise<StepOutcome> {
    const { rpc } = this.#runtime;
    const lines = mergeLines(JSON.parse(checkout.items_json) as CheckoutLine[]);
    const unavailable = (dependency: string, error: ConnectError): StepOutcome => ({
      ok: false,
      code: TRANSIENT.has(error.code) ? "processor_unavailable" : "processor_error",
      ...(TRANSIENT.has(error.code)
        ? { message: "Prices could not be checked right now; nothing was charged. Try again in a moment." }
        : {}),
      detail: `${dependency} answered ${Code[error.code]}: ${error.rawMessage}`,
    });

    const products = await this.#call(checkout.checkout_id, "calculate_discount", "catalog", () =>
      rpc.catalog.batchGetProducts({ productIds: lines.map((line) => line.productId) }),
    );
    if (!products.ok) return unavailable("catalog", products.error);
    if (products.value.missingProductIds.length > 0) {
      return {
        ok: false,
        code: "out_of_stock",
        message: "An item is no longer sold; nothing was charged. Remove it from your cart.",
        detail: `Not in the catalog: ${products.value.missingProductIds.join(", ")}.`,
      };
    }
    const byId = new Map(products.value.products.map((product) => [product.id, product]));

    const address = async (addressId: string) =>
      this.#call(checkout.checkout_id, "calculate_discount", "customer", () =>
        rpc.customer.getAddress({ customerId: checkout.customer_id, addressId }),
      );
    const addressFailure = (addressId: string, error: ConnectError): StepOutcome =>
      TRANSIENT.has(error.code)
        ? unavailable("customer", error)
        : {
            ok: false,
            code: "address_not_found",
            detail: `Address ${addressId}: customer answered ${Code[error.code]}: ${error.rawMessage}`,
          };
    const shipping = await address(checkout.shipping_address_id);
    if (!shipping.ok) return addressFailure(checkout.shipping_address_id, shipping.error);
    if (!shipping.value.address) {
      return { ok: false, code: "address_not_found", detail: `Address ${checkout.shipping_address_id} is empty.` };
    }
    let billingAddress = addressFromProto(shipping.value.address);
    const shippingAddress = billingAddress;
    if (checkout.billing_address_id && checkout.billing_address_id !== checkout.shipping_address_id) {
      const billing = await address(checkout.billing_address_id);
      if (!billing.ok) return addressFailure(checkout.billing_address_id, billing.error);
      if (!billing.value.address) {
        return { ok: false, code: "address_not_found", detail: `Address ${checkout.billing_address_id} is empty.` };
      }
      billingAddress = addressFromProto(billing.value.address);
    }

    const quote = await this.#call(checkout.checkout_id, "calculate_discount", "promotion", () =>
      rpc.promotion.calculateDiscount({
        customerId: checkout.customer_id,
        currency: checkout.currency,
        couponCode: checkout.coupon_code ?? "",
        items: lines.map((line) => {
          const product = byId.get(line.productId);
          return {
            productId: line.productId,
            categoryIds: [...(product?.categoryIds ?? []), ...(product?.ancestorCategoryIds ?? [])],
            quantity: line.quantity,
            unitPrice: protoMoney(line.unitPrice, checkout.currency),
          };
        }),
      }),
    );
    if (!quote.ok) return unavailable("promotion", quote.error);
    if (quote.value.couponRejection) {
      const rejection = quote.value.couponRejection;
      return {
        ok: false,
        code: "coupon_invalid",
        ...(rejection.message ? { message: `${rejection.message} Nothing was charged.` } : {}),
        detail: `Coupon ${rejection.code} was refused (${rejection.reason}): ${rejection.message}`,
      };
    }
    const subtotal = lines.reduce((sum, line) => sum + line.unitPrice * line.quantity, 0);
    const discount = Math.min(subtotal, Math.max(0, minorUnits(quote.value.discountTotal)));
    const appliedPromotions: PromotionSnapshot[] = [];
    for (const promotion of quote.value.appliedPromotions) {
      // The order contract takes promotion ids only; a flash sale ("fls_…") still counts in the discount.
      if (!PROMOTION_ID.test(promotion.promotionId)) {
        this.#runtime.log.warn("an applied promotion has no promotion id the order contract accepts; left out", {
          checkoutId: checkout.checkout_id,
          promotionId: promotion.promotionId,
        });
        continue;
      }
      appliedPromotions.push({
        promotionId: promotion.promotionId,
        ...(COUPON_CODE.test(promotion.code) ? { couponCode: promotion.code } : {}),
        ...(promotion.description ? { description: promotion.description.slice(0, 200) } : {}),
        discount: minorUnits(promotion.amount),
      });
    }
    const pricing: PricingSnapshot = {
      products: lines.map((line) => {
        const product = byId.get(line.productId);
        return { productId: line.productId, isbn: product?.isbn ?? "", title: product?.title ?? "" };
      }),
      discount,
      appliedPromotions,
      shippingAddress,
      billingAddress,
    };
    const total = subtotal - discount;
    const took = appliedPromotions.map((promotion) => promotion.couponCode ?? promotion.description ?? "A promotion");
    return {
      ok: true,
      detail:
        discount > 0
          ? `${took.join(", ") || "Promotions"} took ${formatMoney(discount, checkout.currency)} off; total ${formatMoney(total, checkout.currency)}.`
          : `No promotion applied; total ${formatMoney(total, checkout.currency)}.`,
      patch: { pricing_json: JSON.stringify(pricing), total },
    };
  }

  async #authorizePayment(checkout: Checkout): Promise<StepOutcome> {
    const total = checkout.total ?? checkout.subtotal;
    const result = await this.#call(checkout.checkout_id, "authorize_payment", "payment", () =>
      this.#runtime.rpc.payment.authorize({
        // The order id (allocated when the saga started) rather than the checkout id: payment's events carry it.
        subject: { case: "orderId", value: checkout.order_id },
        amount: protoMoney(total, checkout.currency),
        paymentToken: checkout.payment_token,
        // Payment checks the token is this customer's: a token read from another customer's event is refused.
        customerId: checkout.customer_id,
        idempotencyKey: `${checkout.checkout_id}:authorize`,
        correlationId: checkout.correlation_id,
      }),
    );
    if (!result.ok) {
      const { error } = result;
      const code: CheckoutFailureCode = TRANSIENT.has(error.code)
        ? "processor_unavailable"
        : error.code === Code.InvalidArgument
          ? "card_declined"
          : "processor_error";
      return {
        ok: false,
        code,
        ...(code === "card_declined" ? { message: "The card could not be used. Try another card." } : {}),
        detail: `payment answered ${Code[error.code]}: ${error.rawMessage}`,
      };
    }
    await yieldToRelays();
    const payment = result.value;
    const { PaymentStatus } = paymentV1;
    if (payment.status === PaymentStatus.AUTHORIZED) {
      return {
        ok: true,
        detail: `Authorized ${formatMoney(total, checkout.currency)} as ${payment.paymentId}.`,
        patch: { payment_id: payment.paymentId },
      };
    }
    const code = failureCodeOfPayment(payment.failure?.code);
    return {
      ok: false,
      code,
      ...(payment.failure?.message ? { message: payment.failure.message } : {}),
      detail: `${code}: ${payment.failure?.message || `the payment is ${PaymentStatus[payment.status]}`}`,
      patch: { payment_id: payment.paymentId || null },
    };
  }

  #createOrder(checkout: Checkout): StepOutcome {
    return {
      ok: true,
      detail: `Order ${checkout.order_id} created.`,
      write: async (trx, current) => {
        // The order is written in the transaction that marks this step done, so it exists exactly when the step
        // succeeded; the unique checkout_id makes a second one impossible anyway.
        const existing = await trx
          .selectFrom("orders")
          .select("order_id")
          .where("checkout_id", "=", current.checkout_id)
          .executeTakeFirst();
        if (existing) return {};
        const pricing = JSON.parse(current.pricing_json ?? "null") as PricingSnapshot | null;
        if (!pricing || !current.payment_id || !current.reservation_id) {
          throw new Error(`checkout ${current.checkout_id} reached create_order without its pricing and payment`);
        }
        const now = this.#now();
        const lines = mergeLines(JSON.parse(current.items_json) as CheckoutLine[]);
        const subtotal = lines.reduce((sum, line) => sum + line.unitPrice * line.quantity, 0);
        const coupon = pricing.appliedPromotions.find((promotion) => promotion.couponCode)?.couponCode;
        await trx
          .insertInto("orders")
          .values({
            order_id: current.order_id,
            checkout_id: current.checkout_id,
            customer_id: current.customer_id,
            status: "PENDING",
            currency: current.currency,
            subtotal,
            discount: pricing.discount,
            // No shipping or tax rules exist in any context yet: both are zero and the total is what was authorized.
            shipping: 0,
            tax: 0,
            total: subtotal - pricing.discount,
            coupon_code: coupon ?? current.coupon_code ?? null,
            applied_promotions_json: JSON.stringify(pricing.appliedPromotions),
            shipping_address_json: JSON.stringify(pricing.shippingAddress),
            billing_address_json: JSON.stringify(pricing.billingAddress),
            payment_id: current.payment_id,
            reservation_id: current.reservation_id,
            shipment_json: null,
            fulfilment_id: null,
            cancellation_json: null,
            correlation_id: current.correlation_id,
            created_event_id: "",
            claimed_at: null,
            created_at: now,
            updated_at: now,
            paid_at: null,
            fulfilled_at: null,
            shipped_at: null,
            delivered_at: null,
            canceled_at: null,
          })
          .execute();
        const titles = new Map(pricing.products.map((product) => [product.productId, product]));
        await trx
          .insertInto("order_items")
          .values(
            lines.map((line, index) => ({
              order_id: current.order_id,
              position: index + 1,
              product_id: line.productId,
              isbn: titles.get(line.productId)?.isbn ?? "",
              title: titles.get(line.productId)?.title ?? "",
              quantity: line.quantity,
              unit_price: line.unitPrice,
              line_total: line.unitPrice * line.quantity,
            })),
          )
          .execute();
        await recordStatusChange(trx, current.order_id, {
          from: null,
          to: "PENDING",
          at: now,
          actor: { kind: "system" },
          reason: "Created by the Checkout Saga.",
          causationId: current.cause_event_id,
        });
        const record = await loadOrderRecord(trx, current.order_id);
        const eventId = await this.#runtime.outbox.publish(
          trx,
          "ecommerce.order.order.created.v1",
          orderCreatedPayload(record!),
          { partitionKey: current.order_id, correlationId: current.correlation_id, causationId: current.last_event_id },
        );
        await trx
          .updateTable("orders")
          .set({ created_event_id: eventId })
          .where("order_id", "=", current.order_id)
          .execute();
        return { last_event_id: eventId };
      },
    };
  }

  async #capturePayment(checkout: Checkout): Promise<StepOutcome> {
    const expiresAt = checkout.reservation_expires_at;
    if (checkout.reservation_expired_at || (expiresAt && this.#now() >= expiresAt)) {
      // Capturing now would take money for stock that may be in someone else's cart: give up instead.
      return {
        ok: false,
        code: "reservation_expired",
        detail: `Reservation ${checkout.reservation_id} lapsed before the capture; nothing was captured.`,
      };
    }
    const result = await this.#call(checkout.checkout_id, "capture_payment", "payment", () =>
      this.#runtime.rpc.payment.capture({ paymentId: checkout.payment_id ?? "" }),
    );
    if (!result.ok) {
      const { error } = result;
      return {
        ok: false,
        code: TRANSIENT.has(error.code) ? "processor_unavailable" : "processor_error",
        detail: `payment answered ${Code[error.code]}: ${error.rawMessage}`,
      };
    }
    await yieldToRelays();
    const capture = result.value;
    if (capture.status !== paymentV1.PaymentStatus.CAPTURED) {
      const code = failureCodeOfPayment(capture.failure?.code);
      return {
        ok: false,
        code,
        ...(capture.failure?.message ? { message: capture.failure.message } : {}),
        detail: `The capture failed: ${code}: ${capture.failure?.message || paymentV1.PaymentStatus[capture.status]}`,
      };
    }
    const captured = minorUnits(capture.capturedAmount);
    return {
      ok: true,
      detail: `Captured ${formatMoney(captured || (checkout.total ?? 0), checkout.currency)}.`,
      write: async (trx, current) => {
        const now = this.#now();
        const paid = await trx
          .updateTable("orders")
          .set({ status: "PAID", paid_at: now, updated_at: now })
          .where("order_id", "=", current.order_id)
          .where("status", "=", "PENDING")
          .executeTakeFirst();
        const record = await loadOrderRecord(trx, current.order_id);
        if (!record) throw new Error(`checkout ${current.checkout_id} captured without an order`);
        let lastEventId = current.last_event_id;
        if (paid.numUpdatedRows === 1n) {
          await recordStatusChange(trx, current.order_id, {
            from: "PENDING",
            to: "PAID",
            at: now,
            actor: { kind: "system" },
            reason: "Payment captured.",
            causationId: record.order.created_event_id,
          });
          lastEventId = await this.#runtime.outbox.publish(
            trx,
            "ecommerce.order.order.paid.v1",
            orderPaidPayload(record, now),
            {
              partitionKey: current.order_id,
              correlationId: current.correlation_id,
              causationId: record.order.created_event_id,
            },
          );
        }
        lastEventId = await this.#runtime.outbox.publish(
          trx,
          "ecommerce.order.checkout.completed.v1",
          {
            checkoutId: current.checkout_id,
            cartId: current.cart_id,
            customerId: current.customer_id,
            orderId: current.order_id,
            paymentId: record.order.payment_id,
            total: { amount: record.order.total, currency: record.order.currency },
            completedAt: now,
          },
          { partitionKey: current.checkout_id, correlationId: current.correlation_id, causationId: lastEventId },
        );
        return { finished_at: now, stock_commit: "PENDING", last_event_id: lastEventId };
      },
    };
  }

  /** Undo the latest thing still owed; when nothing is owed, end the saga FAILED and say why. */
  async #compensate(checkout: Checkout): Promise<boolean> {
    const steps = await this.#runtime.db
      .selectFrom("checkout_steps")
      .select(["name", "status"])
      .where("checkout_id", "=", checkout.checkout_id)
      .execute();
    const order = await this.#runtime.db
      .selectFrom("orders")
      .select("status")
      .where("checkout_id", "=", checkout.checkout_id)
      .executeTakeFirst();
    const owed = pendingCompensations({
      steps: Object.fromEntries(steps.map((step) => [step.name, step.status as StepStatus])),
      orderStatus: order?.status,
      paymentId: checkout.payment_id,
      reservationId: checkout.reservation_id,
    });
    const next = owed[0];
    const now = this.#now();
    if (!next) {
      await this.#transition(checkout, { state: "FAILED", finished_at: now }, async (trx) => {
        const eventId = await this.#runtime.outbox.publish(
          trx,
          "ecommerce.order.checkout.failed.v1",
          {
            checkoutId: checkout.checkout_id,
            cartId: checkout.cart_id,
            customerId: checkout.customer_id,
            failure: {
              code: (checkout.failure_code ?? "processor_error") as CheckoutFailureCode,
              message: checkout.failure_message ?? FAILURE_MESSAGES.processor_error,
              step: (checkout.failure_step ?? "reserve_stock") as CheckoutStepName,
            },
            compensations: compensationsOf(checkout),
            failedAt: now,
          },
          {
            partitionKey: checkout.checkout_id,
            correlationId: checkout.correlation_id,
            causationId: checkout.last_event_id,
          },
        );
        return { last_event_id: eventId };
      });
      this.#runtime.log.info("checkout failed", { checkoutId: checkout.checkout_id, code: checkout.failure_code });
      return false;
    }

    if (next.action === "cancel_order") {
      await this.#transition(checkout, {}, async (trx) => {
        const eventId = await cancelOrderRow(trx, this.#runtime, checkout.order_id, {
          expectedStatus: "PENDING",
          cancellation: {
            reason: cancellationReasonFor(checkout.failure_code),
            ...(checkout.failure_message ? { note: checkout.failure_message.slice(0, 500) } : {}),
            canceledBy: { kind: "system" },
            previousStatus: "PENDING",
          },
          historyReason: `The Checkout Saga failed at ${checkout.failure_step}: ${checkout.failure_code}.`,
          causationId: checkout.last_event_id,
        });
        return eventId ? { last_event_id: eventId } : undefined;
      });
      return true;
    }

    const undo =
      next.action === "void_payment"
        ? {
            step: "authorize_payment" as const,
            dependency: "payment",
            call: () =>
              this.#runtime.rpc.payment.void({
                paymentId: next.paymentId,
                reason: paymentV1.VoidReason.CHECKOUT_FAILED,
              }),
            record: { action: "void_payment" as const, paymentId: next.paymentId },
            done: `Authorization ${next.paymentId} voided.`,
          }
        : {
            step: "reserve_stock" as const,
            dependency: "inventory",
            call: () =>
              this.#runtime.rpc.inventory.releaseStock({
                reservationId: next.reservationId,
                reason: releaseReasonFor(checkout.failure_step),
              }),
            record: { action: "release_stock" as const, reservationId: next.reservationId },
            done: `Reservation ${next.reservationId} released.`,
          };
    const result = await this.#call<unknown>(checkout.checkout_id, undefined, undo.dependency, undo.call);
    let detail = undo.done;
    if (!result.ok) {
      if (TRANSIENT.has(result.error.code)) {
        // Compensations are retried until they succeed: leave the saga COMPENSATING and come back later.
        this.#redrive(checkout.checkout_id, `${undo.dependency}: ${result.error.rawMessage}`);
        return false;
      }
      // not_found: there is nothing to undo. failed_precondition: it can no longer be undone this way (a
      // committed reservation, a captured payment); say so loudly and go on with the rest.
      if (result.error.code !== Code.NotFound) {
        this.#runtime.log.error("a checkout compensation was refused", {
          checkoutId: checkout.checkout_id,
          action: undo.record.action,
          error: result.error.message,
        });
      }
      detail = `${undo.done.replace(/\.$/, "")} was refused (${Code[result.error.code]}: ${result.error.rawMessage}).`;
    }
    const compensations: CompensationRecord[] = [...compensationsOf(checkout), { ...undo.record, completedAt: now }];
    await this.#transition(checkout, { compensations_json: JSON.stringify(compensations) }, async (trx) => {
      await this.#updateStep(trx, checkout.checkout_id, undo.step, {
        status: "COMPENSATED",
        compensated_at: now,
        detail,
      });
      return undefined;
    });
    return true;
  }

  /** Turn the paid order's reservation into a sale. */
  async #commitStock(checkout: Checkout): Promise<boolean> {
    const result = await this.#call(checkout.checkout_id, undefined, "inventory", () =>
      this.#runtime.rpc.inventory.commitStock({
        reservationId: checkout.reservation_id ?? "",
        orderId: checkout.order_id,
      }),
    );
    if (!result.ok && TRANSIENT.has(result.error.code)) {
      this.#redrive(checkout.checkout_id, `inventory: ${result.error.rawMessage}`);
      return false;
    }
    if (!result.ok) {
      // The hold lapsed before the commit: the order is paid for stock inventory no longer holds for it.
      this.#runtime.log.error("the stock of a paid order could not be committed", {
        checkoutId: checkout.checkout_id,
        orderId: checkout.order_id,
        reservationId: checkout.reservation_id,
        error: result.error.message,
      });
    }
    await this.#transition(checkout, { stock_commit: result.ok ? "COMMITTED" : "FAILED" });
    return true;
  }
}
