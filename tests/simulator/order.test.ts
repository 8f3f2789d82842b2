import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { createClient, type EcomClient, type EcomMessage, type MessagePayloads, type MessageType } from "@ecom/sdk";
import { catalogV1, customerV1, inventoryV1, paymentV1, promotionV1 } from "@ecom/sdk/rpc";
import { type AnyContextModule, defineContext, type Logger, type TokenService } from "@ecom/services/platform";
import { createPlatform, type Platform } from "@ecom/simulator";
import Database from "better-sqlite3";
import type { CompiledQuery } from "kysely";
import { afterEach, describe, expect, it, vi } from "vitest";
import { notificationFor, renderTemplate, templateOf } from "../../packages/services/src/notification/templates.js";
import { CheckoutSaga } from "../../packages/services/src/order/checkout-saga.js";
import { createOrderContext, type OrderContextOptions } from "../../packages/services/src/order/index.js";
import {
  createPaymentContext,
  createSimulatedProcessor,
  PROCESSOR_BREAKER,
  ProcessorError,
} from "../../packages/services/src/payment/index.js";

/**
 * The order context and its Checkout Saga against test-only fakes of the contexts it depends on: inventory,
 * payment, promotion, catalog and customer serve their RPCs from an in-memory "world" that outlives a platform (as
 * their own databases would), and can be told to decline, run out of stock, be unavailable or block mid-call; a
 * fake cart publishes cart.checked_out through its outbox and a fake fulfilment publishes shipment events.
 */

const quiet = { info() {}, warn() {}, error: (message: string, fields?: unknown) => console.error(message, fields) };

const ALICE = "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E";
const BOB = "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2H";
const ADMIN = "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z3M";
const ADDRESSES: Record<string, { owner: string; city: string }> = {
  adr_01JH8Z3Q4R5S6T7V8W9X0Y1Z2F: { owner: ALICE, city: "New York" },
  adr_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G: { owner: BOB, city: "Boston" },
};
const ALICE_ADDRESS = "adr_01JH8Z3Q4R5S6T7V8W9X0Y1Z2F";
const BOB_ADDRESS = "adr_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G";
const C_BOOK = {
  id: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A",
  isbn: "9780131103627",
  title: "The C Programming Language",
  price: 4599,
};
const CLRS = {
  id: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z3T",
  isbn: "9780262033848",
  title: "Introduction to Algorithms",
  price: 9999,
};
const PRODUCTS = [C_BOOK, CLRS];
const WELCOME10 = "prm_01JH8Z3Q4R5S6T7V8W9X0Y1Z2J";
const GOOD_CARD = "tok_visa_4242";
const DECLINED_CARD = "tok_declined_0002";

type Method =
  | "reserveStock"
  | "releaseStock"
  | "commitStock"
  | "calculateDiscount"
  | "batchGetProducts"
  | "getAddress"
  | "authorize"
  | "capture"
  | "void"
  | "refund";

interface Reservation {
  reservationId: string;
  checkoutId: string;
  status: inventoryV1.ReservationStatus;
  items: { productId: string; quantity: number }[];
  shortages: { productId: string; requestedQuantity: number; availableQuantity: number }[];
  expiresAt: Date;
  orderId?: string;
}

interface Payment {
  paymentId: string;
  orderId: string;
  amount: number;
  status: paymentV1.PaymentStatus;
  failure?: { code: paymentV1.PaymentFailureCode; message: string; retryable: boolean };
}

/** What the fake dependencies hold and how they are scripted; it survives a platform restart. */
class World {
  readonly stock = new Map<string, number>(PRODUCTS.map((product) => [product.id, 10]));
  readonly reservations = new Map<string, Reservation>();
  readonly payments = new Map<string, Payment>();
  readonly paymentByKey = new Map<string, string>();
  readonly refunds = new Map<string, { refundId: string; paymentId: string; amount: number }>();
  readonly calls: Method[] = [];
  /** Real side effects, counted once each: what must never be duplicated. */
  readonly effects = { authorizations: 0, captures: 0, voids: 0, commits: 0, releases: 0, reservations: 0 };
  /** The next N calls of a method answer Unavailable. */
  readonly unavailable = new Map<Method, number>();
  refuseCapture = false;
  #block: { method: Method; entered: () => void; gate: Promise<void> } | undefined;

  /** Make the next call of `method` do its work, then hang until released (ok: answer; not ok: Unavailable). */
  block(method: Method): { entered: Promise<void>; release: (answer: boolean) => void } {
    let entered!: () => void;
    const enteredPromise = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let release!: (answer: boolean) => void;
    const gate = new Promise<void>((resolve, reject) => {
      release = (answer) => (answer ? resolve() : reject(new ConnectError("the process died", Code.Unavailable)));
    });
    gate.catch(() => {});
    this.#block = { method, entered, gate };
    return {
      entered: enteredPromise,
      release: (answer) => {
        this.#block = undefined;
        release(answer);
      },
    };
  }

  async enter(method: Method): Promise<void> {
    this.calls.push(method);
    const failures = this.unavailable.get(method) ?? 0;
    if (failures > 0) {
      this.unavailable.set(method, failures - 1);
      throw new ConnectError(`${method} is down (scripted)`, Code.Unavailable);
    }
  }

  /** The next N calls of a method do their work, then answer Unavailable: the work is done, its answer lost. */
  readonly answerLost = new Map<Method, number>();

  async hold(method: Method): Promise<void> {
    const block = this.#block;
    if (block?.method === method) {
      block.entered();
      await block.gate;
    }
    const lost = this.answerLost.get(method) ?? 0;
    if (lost > 0) {
      this.answerLost.set(method, lost - 1);
      throw new ConnectError(`${method} did its work and its answer was lost (scripted)`, Code.Unavailable);
    }
  }

  count(method: Method): number {
    return this.calls.filter((call) => call === method).length;
  }
}

interface Handles {
  tokens?: TokenService;
  publishCheckout?: (payload: MessagePayloads["ecommerce.cart.cart.checked_out.v1"]) => Promise<void>;
  publish?: <TType extends MessageType>(
    type: TType,
    payload: MessagePayloads[TType],
    correlationId: string,
  ) => Promise<void>;
  newId?: (prefix: string) => string;
  outcomes: { type: string; checkoutId: string }[];
}

type NoTables = Record<string, never>;

/** The fake contexts over `world`, and handles to drive them. */
function fakes(world: World) {
  const handles: Handles = { outcomes: [] };

  const cart = defineContext<NoTables>({
    name: "cart",
    migrations: {},
    create(runtime) {
      handles.newId = (prefix) => runtime.ids.next(prefix);
      handles.publishCheckout = (payload) =>
        runtime.db.transaction().execute((trx) =>
          runtime.outbox
            .publish(trx, "ecommerce.cart.cart.checked_out.v1", payload, {
              partitionKey: payload.cartId,
              correlationId: payload.checkoutId,
            })
            .then(() => undefined),
        );
      return {
        subscriptions: {
          "ecommerce.order.checkout.completed.v1": async (message) => {
            handles.outcomes.push({ type: "completed", checkoutId: message.payload.checkoutId });
          },
          "ecommerce.order.checkout.failed.v1": async (message) => {
            handles.outcomes.push({ type: "failed", checkoutId: message.payload.checkoutId });
          },
        },
      };
    },
  });

  const fulfilment = defineContext<NoTables>({
    name: "fulfilment",
    migrations: {},
    create(runtime) {
      handles.publish = (type, payload, correlationId) =>
        runtime.db
          .transaction()
          .execute((trx) =>
            runtime.outbox.publish(trx, type, payload, { partitionKey: "p", correlationId }).then(() => undefined),
          );
      return {};
    },
  });

  const customer = defineContext<NoTables>({
    name: "customer",
    migrations: {},
    create(runtime) {
      handles.tokens = runtime.tokens;
      return {
        rpc(router) {
          router.service(customerV1.CustomerService, {
            async getAddress(request) {
              await world.enter("getAddress");
              const address = ADDRESSES[request.addressId];
              if (!address || address.owner !== request.customerId) {
                throw new ConnectError(`no address ${request.addressId}`, Code.NotFound);
              }
              return {
                address: {
                  name: "Ada Lovelace",
                  line1: "350 Fifth Avenue",
                  line2: "Suite 2100",
                  city: address.city,
                  region: "NY",
                  postalCode: "10118",
                  country: "US",
                },
              };
            },
          });
        },
      };
    },
  });

  const catalog = defineContext<NoTables>({
    name: "catalog",
    migrations: {},
    create() {
      return {
        rpc(router) {
          router.service(catalogV1.CatalogService, {
            async batchGetProducts(request) {
              await world.enter("batchGetProducts");
              const found = PRODUCTS.filter((product) => request.productIds.includes(product.id));
              return {
                products: found.map((product) => ({
                  id: product.id,
                  isbn: product.isbn,
                  title: product.title,
                  categoryIds: ["cat_01JH8Z3Q4R5S6T7V8W9X0Y1Z2B"],
                  price: { amountMinor: BigInt(product.price), currency: "USD" },
                  status: catalogV1.ProductStatus.ACTIVE,
                })),
                missingProductIds: request.productIds.filter((id) => !found.some((product) => product.id === id)),
              };
            },
          });
        },
      };
    },
  });

  const promotion = defineContext<NoTables>({
    name: "promotion",
    migrations: {},
    create() {
      return {
        rpc(router) {
          router.service(promotionV1.PromotionService, {
            async calculateDiscount(request) {
              await world.enter("calculateDiscount");
              await world.hold("calculateDiscount");
              const subtotal = request.items.reduce(
                (sum, item) => sum + Number(item.unitPrice?.amountMinor ?? 0n) * item.quantity,
                0,
              );
              const money = (amount: number) => ({ amountMinor: BigInt(amount), currency: request.currency });
              if (request.couponCode && request.couponCode !== "WELCOME10") {
                return {
                  subtotal: money(subtotal),
                  discountTotal: money(0),
                  total: money(subtotal),
                  couponRejection: {
                    code: request.couponCode,
                    reason: promotionV1.CouponRejectionReason.UNKNOWN_CODE,
                    message: "No coupon has this code.",
                  },
                };
              }
              const discount = request.couponCode ? Math.round(subtotal / 10) : 0;
              return {
                subtotal: money(subtotal),
                discountTotal: money(discount),
                total: money(subtotal - discount),
                appliedPromotions: discount
                  ? [
                      {
                        promotionId: WELCOME10,
                        kind: promotionV1.PromotionKind.COUPON,
                        code: "WELCOME10",
                        description: "10% off your first order",
                        amount: money(discount),
                      },
                    ]
                  : [],
              };
            },
          });
        },
      };
    },
  });

  const inventory = defineContext<NoTables>({
    name: "inventory",
    migrations: {},
    create(runtime) {
      const answer = (reservation: Reservation) => ({
        reservationId: reservation.reservationId,
        status: reservation.status,
        unavailableItems: reservation.shortages,
        ...(reservation.status === inventoryV1.ReservationStatus.UNAVAILABLE
          ? {}
          : { expiresAt: timestampFromDate(reservation.expiresAt) }),
      });
      const byId = (reservationId: string) => {
        const reservation = [...world.reservations.values()].find((each) => each.reservationId === reservationId);
        if (!reservation) throw new ConnectError(`no reservation ${reservationId}`, Code.NotFound);
        return reservation;
      };
      const giveBack = (reservation: Reservation) => {
        for (const item of reservation.items)
          world.stock.set(item.productId, world.stock.get(item.productId)! + item.quantity);
      };
      return {
        rpc(router) {
          router.service(inventoryV1.InventoryService, {
            async reserveStock(request) {
              await world.enter("reserveStock");
              let reservation = world.reservations.get(request.checkoutId);
              if (!reservation) {
                const items = request.items.map((item) => ({ productId: item.productId, quantity: item.quantity }));
                const shortages = items
                  .filter((item) => (world.stock.get(item.productId) ?? 0) < item.quantity)
                  .map((item) => ({
                    productId: item.productId,
                    requestedQuantity: item.quantity,
                    availableQuantity: world.stock.get(item.productId) ?? 0,
                  }));
                const now = runtime.clock.now();
                reservation = {
                  reservationId: runtime.ids.next("rsv"),
                  checkoutId: request.checkoutId,
                  status: shortages.length
                    ? inventoryV1.ReservationStatus.UNAVAILABLE
                    : inventoryV1.ReservationStatus.RESERVED,
                  items,
                  shortages,
                  expiresAt: new Date(now.getTime() + 15 * 60_000),
                };
                world.reservations.set(request.checkoutId, reservation);
                if (!shortages.length) {
                  world.effects.reservations++;
                  for (const item of items)
                    world.stock.set(item.productId, world.stock.get(item.productId)! - item.quantity);
                  const held = reservation;
                  await runtime.db.transaction().execute((trx) =>
                    runtime.outbox.publish(
                      trx,
                      "ecommerce.inventory.stock.reserved.v1",
                      {
                        reservationId: held.reservationId,
                        checkoutId: held.checkoutId,
                        items,
                        reservedAt: now.toISOString(),
                        expiresAt: held.expiresAt.toISOString(),
                      },
                      { partitionKey: held.reservationId, correlationId: request.correlationId },
                    ),
                  );
                }
              }
              await world.hold("reserveStock");
              return answer(reservation);
            },
            async releaseStock(request) {
              await world.enter("releaseStock");
              const reservation = byId(request.reservationId);
              if (reservation.status === inventoryV1.ReservationStatus.COMMITTED) {
                throw new ConnectError("committed stock is sold", Code.FailedPrecondition);
              }
              if (reservation.status === inventoryV1.ReservationStatus.RESERVED) {
                reservation.status = inventoryV1.ReservationStatus.RELEASED;
                world.effects.releases++;
                giveBack(reservation);
              }
              return { reservationId: reservation.reservationId, status: reservation.status };
            },
            async commitStock(request) {
              await world.enter("commitStock");
              const reservation = byId(request.reservationId);
              if (reservation.status === inventoryV1.ReservationStatus.RESERVED) {
                reservation.status = inventoryV1.ReservationStatus.COMMITTED;
                reservation.orderId = request.orderId;
                world.effects.commits++;
              } else if (reservation.status !== inventoryV1.ReservationStatus.COMMITTED) {
                throw new ConnectError("the reservation is no longer held", Code.FailedPrecondition);
              }
              await world.hold("commitStock");
              return { reservationId: reservation.reservationId, status: reservation.status };
            },
          });
        },
        async tick(now) {
          for (const reservation of world.reservations.values()) {
            if (reservation.status !== inventoryV1.ReservationStatus.RESERVED || reservation.expiresAt > now) continue;
            reservation.status = inventoryV1.ReservationStatus.EXPIRED;
            giveBack(reservation);
            await runtime.db.transaction().execute((trx) =>
              runtime.outbox.publish(
                trx,
                "ecommerce.inventory.reservation.expired.v1",
                {
                  reservationId: reservation.reservationId,
                  checkoutId: reservation.checkoutId,
                  items: reservation.items,
                  reservedAt: new Date(reservation.expiresAt.getTime() - 15 * 60_000).toISOString(),
                  expiredAt: now.toISOString(),
                },
                { partitionKey: reservation.reservationId, correlationId: reservation.checkoutId },
              ),
            );
          }
        },
      };
    },
  });

  const payment = defineContext<NoTables>({
    name: "payment",
    migrations: {},
    create(runtime) {
      const byId = (paymentId: string) => {
        const found = world.payments.get(paymentId);
        if (!found) throw new ConnectError(`no payment ${paymentId}`, Code.NotFound);
        return found;
      };
      const card = { brand: "visa" as const, last4: "4242" };
      return {
        rpc(router) {
          router.service(paymentV1.PaymentService, {
            async authorize(request) {
              await world.enter("authorize");
              let found = world.payments.get(world.paymentByKey.get(request.idempotencyKey) ?? "");
              if (!found) {
                if (request.subject.case !== "orderId") {
                  throw new ConnectError("this fake needs the order id: payment events carry it", Code.InvalidArgument);
                }
                const declined = request.paymentToken.startsWith("tok_declined");
                found = {
                  paymentId: runtime.ids.next("pay"),
                  orderId: request.subject.value,
                  amount: Number(request.amount?.amountMinor ?? 0n),
                  status: declined ? paymentV1.PaymentStatus.FAILED : paymentV1.PaymentStatus.AUTHORIZED,
                  ...(declined
                    ? {
                        failure: {
                          code: paymentV1.PaymentFailureCode.CARD_DECLINED,
                          message: "Your card was declined. Try another card; your cart is unchanged.",
                          retryable: false,
                        },
                      }
                    : {}),
                };
                world.payments.set(found.paymentId, found);
                world.paymentByKey.set(request.idempotencyKey, found.paymentId);
                if (!declined) {
                  world.effects.authorizations++;
                  const now = runtime.clock.now();
                  const authorized = found;
                  await runtime.db.transaction().execute((trx) =>
                    runtime.outbox.publish(
                      trx,
                      "ecommerce.payment.payment.authorized.v1",
                      {
                        paymentId: authorized.paymentId,
                        orderId: authorized.orderId,
                        customerId: ALICE,
                        amount: { amount: authorized.amount, currency: "USD" },
                        card,
                        chargeId: runtime.ids.next("chg"),
                        authorizedAt: now.toISOString(),
                        expiresAt: new Date(now.getTime() + 7 * 86_400_000).toISOString(),
                      },
                      { partitionKey: authorized.paymentId, correlationId: request.correlationId },
                    ),
                  );
                }
              }
              await world.hold("authorize");
              return {
                paymentId: found.paymentId,
                status: found.status,
                ...(found.failure ? { failure: found.failure } : {}),
              };
            },
            async capture(request) {
              await world.enter("capture");
              const found = byId(request.paymentId);
              if (found.status === paymentV1.PaymentStatus.AUTHORIZED) {
                if (world.refuseCapture) {
                  return {
                    paymentId: found.paymentId,
                    status: paymentV1.PaymentStatus.FAILED,
                    failure: {
                      code: paymentV1.PaymentFailureCode.PROCESSOR_ERROR,
                      message: "The processor refused the capture.",
                      retryable: false,
                    },
                  };
                }
                found.status = paymentV1.PaymentStatus.CAPTURED;
                world.effects.captures++;
              } else if (found.status !== paymentV1.PaymentStatus.CAPTURED) {
                throw new ConnectError("not authorized", Code.FailedPrecondition);
              }
              await world.hold("capture");
              return {
                paymentId: found.paymentId,
                status: found.status,
                capturedAmount: { amountMinor: BigInt(found.amount), currency: "USD" },
              };
            },
            async void(request) {
              await world.enter("void");
              const found = byId(request.paymentId);
              if (found.status === paymentV1.PaymentStatus.CAPTURED) {
                throw new ConnectError("captured: refund it", Code.FailedPrecondition);
              }
              if (found.status === paymentV1.PaymentStatus.AUTHORIZED) {
                found.status = paymentV1.PaymentStatus.VOIDED;
                world.effects.voids++;
              }
              return { paymentId: found.paymentId, status: found.status };
            },
            async refund(request) {
              await world.enter("refund");
              let refund = world.refunds.get(request.idempotencyKey);
              if (!refund) {
                const found = byId(request.paymentId);
                if (found.status !== paymentV1.PaymentStatus.CAPTURED) {
                  throw new ConnectError("not captured", Code.FailedPrecondition);
                }
                found.status = paymentV1.PaymentStatus.REFUNDED;
                refund = {
                  refundId: runtime.ids.next("rfd"),
                  paymentId: found.paymentId,
                  amount: Number(request.amount?.amountMinor ?? 0n),
                };
                world.refunds.set(request.idempotencyKey, refund);
              }
              await world.hold("refund");
              return {
                refundId: refund.refundId,
                paymentId: refund.paymentId,
                refundStatus: paymentV1.RefundStatus.SUCCEEDED,
                paymentStatus: paymentV1.PaymentStatus.REFUNDED,
                refundedTotal: { amountMinor: BigInt(refund.amount), currency: "USD" },
              };
            },
          });
        },
      };
    },
  });

  return { contexts: [cart, fulfilment, customer, catalog, promotion, inventory, payment], handles };
}

let platform: Platform | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await platform?.close();
  platform = undefined;
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

const order = (options: OrderContextOptions = {}) =>
  createOrderContext({
    saga: { retry: { attempts: 4, baseDelayMs: 1 }, redriveDelayMs: 10, redriveLimit: 3 },
    createOrderWaitMs: 2_000,
    ...options,
  });

interface Started {
  readonly platform: Platform;
  readonly handles: Handles;
  readonly alice: EcomClient;
  readonly bob: EcomClient;
  readonly admin: EcomClient;
}

type OrderContext = ReturnType<typeof order>;

/**
 * `context` with the SQL of every compiled statement it runs on its store outside a transaction (a write there is one
 * of its own, committed alone) pushed to `ran`.
 */
function recordingStandalone(context: OrderContext, ran: string[]): OrderContext {
  return {
    ...context,
    create: (runtime) => {
      const db = new Proxy(runtime.db, {
        get(target, key) {
          const value: unknown = Reflect.get(target, key, target);
          if (key === "executeQuery") {
            return (query: CompiledQuery) => {
              ran.push(query.sql);
              return target.executeQuery(query);
            };
          }
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      return context.create({ ...runtime, db });
    },
  };
}

async function start(
  world: World,
  options: {
    dataDir?: string;
    seed?: number;
    order?: OrderContextOptions;
    log?: Logger;
    wrapOrder?: (context: OrderContext) => OrderContext;
    /** A payment context of its own (the real one) instead of the world's fake. */
    payment?: AnyContextModule;
  } = {},
): Promise<Started> {
  const { contexts, handles } = fakes(world);
  const dependencies = options.payment
    ? [...contexts.filter((context) => context.name !== "payment"), options.payment]
    : contexts;
  platform = await createPlatform({
    contexts: [...dependencies, (options.wrapOrder ?? ((context) => context))(order(options.order))],
    ...(options.dataDir ? { dataDir: options.dataDir } : { memory: true }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    log: options.log ?? quiet,
  });
  const started = platform;
  const client = (customerId: string, role: "customer" | "admin") =>
    createClient({
      baseUrl: "http://ecom.test",
      fetch: started.fetch,
      retry: { maxAttempts: 1 },
      token: handles.tokens!.issue({ customerId, role }, { expiresInSeconds: 3600 }),
    });
  return {
    platform: started,
    handles,
    alice: client(ALICE, "customer"),
    bob: client(BOB, "customer"),
    admin: client(ADMIN, "admin"),
  };
}

/** Publish a cart.checked_out for Alice (by default two copies of one book); resolves to the checkout id. */
async function checkOut(
  handles: Handles,
  options: {
    items?: { productId: string; quantity: number; unitPrice: number }[];
    coupon?: string;
    card?: string;
    customerId?: string;
    addressId?: string;
  } = {},
): Promise<string> {
  const items = options.items ?? [{ productId: C_BOOK.id, quantity: 2, unitPrice: C_BOOK.price }];
  const checkoutId = handles.newId!("chk");
  await handles.publishCheckout!({
    checkoutId,
    cartId: handles.newId!("crt"),
    customerId: options.customerId ?? ALICE,
    currency: "USD",
    items: items.map((item) => ({ ...item, unitPrice: { amount: item.unitPrice, currency: "USD" } })),
    subtotal: { amount: items.reduce((sum, item) => sum + item.unitPrice * item.quantity, 0), currency: "USD" },
    shippingAddressId: options.addressId ?? ALICE_ADDRESS,
    ...(options.coupon ? { couponCode: options.coupon } : {}),
    paymentToken: options.card ?? GOOD_CARD,
  });
  return checkoutId;
}

/** Poll `probe` (settling the platform between tries) until it returns something. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await platform!.settle();
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The checkout once its saga has ended (and, for a completed one, its stock is committed). */
async function ended(started: Started, checkoutId: string, world?: World) {
  return until(`checkout ${checkoutId} to end`, async () => {
    const { data } = await started.admin.order.getCheckout({ params: { path: { checkoutId } } });
    if (!data || (data.state !== "COMPLETED" && data.state !== "FAILED")) return undefined;
    if (
      world &&
      data.state === "COMPLETED" &&
      world.reservations.get(checkoutId)?.status !== inventoryV1.ReservationStatus.COMMITTED
    ) {
      return undefined;
    }
    return data;
  });
}

async function events(correlationId?: string) {
  await platform!.settle();
  const logged = await platform!.eventLog.read({ afterSeq: 0 });
  return logged
    .map(
      (event) =>
        JSON.parse(event.envelope) as {
          eventId: string;
          eventType: string;
          correlationId: string;
          causationId?: string;
          payload: Record<string, unknown>;
        },
    )
    .filter((event) => correlationId === undefined || event.correlationId === correlationId);
}

describe("the Checkout Saga", () => {
  it("takes a checked-out cart to a PAID order, with its events in causal order under one correlation id", async () => {
    const world = new World();
    const started = await start(world, { seed: 5 });
    const checkoutId = await checkOut(started.handles, { coupon: "WELCOME10" });
    const checkout = await ended(started, checkoutId, world);

    expect(checkout).toMatchObject({
      state: "COMPLETED",
      correlationId: checkoutId,
      total: { amount: 8278, currency: "USD" },
    });
    expect(checkout.steps.map((step) => [step.name, step.status, step.attempts])).toEqual([
      ["reserve_stock", "SUCCEEDED", 1],
      ["calculate_discount", "SUCCEEDED", 1],
      ["authorize_payment", "SUCCEEDED", 1],
      ["create_order", "SUCCEEDED", 1],
      ["capture_payment", "SUCCEEDED", 1],
    ]);

    const created = await started.alice.order.createOrder({ body: { checkoutId } });
    expect(created.response.status).toBe(201);
    expect(created.response.headers.get("location")).toBe(`/orders/${checkout.orderId}`);
    expect(created.data).toMatchObject({
      orderId: checkout.orderId,
      status: "PAID",
      subtotal: { amount: 9198 },
      discount: { amount: 920 },
      total: { amount: 8278 },
      couponCode: "WELCOME10",
      appliedPromotions: [{ promotionId: WELCOME10, couponCode: "WELCOME10", discount: { amount: 920 } }],
      items: [
        { productId: C_BOOK.id, isbn: C_BOOK.isbn, title: C_BOOK.title, quantity: 2, lineTotal: { amount: 9198 } },
      ],
      shippingAddress: { name: "Ada Lovelace", city: "New York", country: "US" },
      correlationId: checkoutId,
    });
    const again = await started.alice.order.createOrder({ body: { checkoutId } });
    expect(again.response.status).toBe(200);
    expect(again.data?.orderId).toBe(checkout.orderId);

    const flow = await events(checkoutId);
    const wanted = [
      "ecommerce.cart.cart.checked_out.v1",
      "ecommerce.inventory.stock.reserved.v1",
      "ecommerce.payment.payment.authorized.v1",
      "ecommerce.order.order.created.v1",
      "ecommerce.order.order.paid.v1",
      "ecommerce.order.checkout.completed.v1",
    ];
    expect(flow.map((event) => event.eventType).filter((type) => wanted.includes(type))).toEqual(wanted);
    const byType = new Map(flow.map((event) => [event.eventType, event]));
    expect(byType.get("ecommerce.order.order.created.v1")?.causationId).toBe(byType.get(wanted[0]!)?.eventId);
    expect(byType.get("ecommerce.order.order.paid.v1")?.causationId).toBe(byType.get(wanted[3]!)?.eventId);
    expect(byType.get("ecommerce.order.checkout.completed.v1")?.causationId).toBe(byType.get(wanted[4]!)?.eventId);
    expect(byType.get("ecommerce.payment.payment.authorized.v1")?.payload.orderId).toBe(checkout.orderId);

    expect(world.effects).toMatchObject({
      reservations: 1,
      authorizations: 1,
      captures: 1,
      commits: 1,
      voids: 0,
      releases: 0,
    });
    expect(world.stock.get(C_BOOK.id)).toBe(8);
    expect(started.handles.outcomes).toEqual([{ type: "completed", checkoutId }]);
    const history = await started.alice.order.getOrderHistory({ params: { path: { orderId: checkout.orderId! } } });
    expect(history.data?.items.map((change) => [change.from, change.to, change.actor.kind])).toEqual([
      [undefined, "PENDING", "system"],
      ["PENDING", "PAID", "system"],
    ]);
  });

  it("keeps an ended saga without the inputs and event ids nothing reads again, its steps answered as they were", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "ecom-order-"));
    const world = new World();
    const started = await start(world, { dataDir });
    const paidId = await checkOut(started.handles);
    const declinedId = await checkOut(started.handles, { card: DECLINED_CARD });
    const paid = await ended(started, paidId, world);
    const declined = await ended(started, declinedId);
    expect(paid.steps[0]?.detail).toMatch(new RegExp(`^Reserved 2 copies as ${paid.reservationId}( until \\S+)?\\.$`));
    expect(paid.steps.slice(1).map((step) => step.detail)).toEqual([
      "No promotion applied; total 91.98 USD.",
      `Authorized 91.98 USD as ${paid.paymentId}.`,
      `Order ${paid.orderId} created.`,
      "Captured 91.98 USD.",
    ]);
    await started.platform.close();
    platform = undefined;

    const database = new Database(join(dataDir, "order.db"), { readonly: true });
    try {
      const rows = database
        .prepare(
          "select checkout_id, state, cause_event_id, last_event_id, shipping_address_id, steps_json from checkouts",
        )
        .all() as {
        checkout_id: string;
        state: string;
        cause_event_id: string;
        last_event_id: string;
        shipping_address_id: string;
        steps_json: string;
      }[];
      expect(
        rows
          .map((row) => [row.checkout_id, row.state, row.cause_event_id, row.last_event_id, row.shipping_address_id])
          .sort(),
      ).toEqual(
        [
          [paidId, "COMPLETED", "", "", ""],
          [declinedId, "FAILED", "", "", ""],
        ].sort(),
      );
      // Every detail of the paid saga is one its row says again: kept as a mark, not as text.
      expect(
        JSON.parse(rows.find((row) => row.checkout_id === paidId)?.steps_json ?? "[]").map(
          (step: unknown[]) => step[4],
        ),
      ).toEqual([1, 1, 1, 1, 1]);
    } finally {
      database.close();
    }
    expect(declined.state).toBe("FAILED");
  });

  it("ends a declined card with no order, the stock released and nothing captured", async () => {
    const world = new World();
    const started = await start(world);
    const checkoutId = await checkOut(started.handles, { card: DECLINED_CARD });
    const checkout = await ended(started, checkoutId);

    expect(checkout).toMatchObject({
      state: "FAILED",
      failure: { code: "card_declined", step: "authorize_payment" },
    });
    expect(checkout.steps.map((step) => step.status)).toEqual([
      "COMPENSATED",
      "SUCCEEDED",
      "FAILED",
      "PENDING",
      "PENDING",
    ]);
    expect(
      (await started.admin.order.getOrder({ params: { path: { orderId: checkout.orderId! } } })).response.status,
    ).toBe(404);
    const refused = await started.alice.order.createOrder({ body: { checkoutId } });
    expect(refused.response.status).toBe(409);
    expect(refused.error).toMatchObject({ code: "checkout_failed", type: "https://ecom.dev/problems/checkout_failed" });
    expect(world.reservations.get(checkoutId)?.status).toBe(inventoryV1.ReservationStatus.RELEASED);
    expect(world.stock.get(C_BOOK.id)).toBe(10);
    expect(world.count("capture")).toBe(0);

    const failed = (await events(checkoutId)).find((event) => event.eventType === "ecommerce.order.checkout.failed.v1");
    expect(failed?.payload).toMatchObject({
      failure: { code: "card_declined", step: "authorize_payment" },
      compensations: [{ action: "release_stock", reservationId: checkout.reservationId }],
    });
    expect((await events(checkoutId)).some((event) => event.eventType === "ecommerce.order.order.created.v1")).toBe(
      false,
    );
    expect(started.handles.outcomes).toEqual([{ type: "failed", checkoutId }]);
  });

  it("voids the authorization, cancels the order and releases the stock when the capture is refused", async () => {
    const world = new World();
    world.refuseCapture = true;
    const started = await start(world);
    const checkoutId = await checkOut(started.handles);
    const checkout = await ended(started, checkoutId);

    expect(checkout).toMatchObject({ state: "FAILED", failure: { code: "processor_error", step: "capture_payment" } });
    expect(checkout.steps.map((step) => step.status)).toEqual([
      "COMPENSATED",
      "SUCCEEDED",
      "COMPENSATED",
      "SUCCEEDED",
      "FAILED",
    ]);
    expect(world.payments.get(checkout.paymentId!)?.status).toBe(paymentV1.PaymentStatus.VOIDED);
    expect(world.reservations.get(checkoutId)?.status).toBe(inventoryV1.ReservationStatus.RELEASED);
    const canceled = await started.alice.order.getOrder({ params: { path: { orderId: checkout.orderId! } } });
    expect(canceled.data).toMatchObject({
      status: "CANCELED",
      cancellation: { reason: "payment_failed", canceledBy: { kind: "system" }, previousStatus: "PENDING" },
    });
    const failed = (await events(checkoutId)).find((event) => event.eventType === "ecommerce.order.checkout.failed.v1");
    expect(failed?.payload.compensations).toMatchObject([
      { action: "void_payment", paymentId: checkout.paymentId },
      { action: "release_stock", reservationId: checkout.reservationId },
    ]);
  });

  it("ends an out-of-stock checkout before payment is ever called", async () => {
    const world = new World();
    world.stock.set(CLRS.id, 1);
    const started = await start(world);
    const checkoutId = await checkOut(started.handles, {
      items: [
        { productId: C_BOOK.id, quantity: 1, unitPrice: C_BOOK.price },
        { productId: CLRS.id, quantity: 3, unitPrice: CLRS.price },
      ],
    });
    const checkout = await ended(started, checkoutId);

    expect(checkout).toMatchObject({ state: "FAILED", failure: { code: "out_of_stock", step: "reserve_stock" } });
    expect(checkout.failure?.message).toMatch(/Only 1 .* left; you asked for 3/);
    expect(world.calls.filter((call) => ["authorize", "capture", "void"].includes(call))).toEqual([]);
    expect(world.stock.get(C_BOOK.id)).toBe(10);
    const failed = (await events(checkoutId)).find((event) => event.eventType === "ecommerce.order.checkout.failed.v1");
    expect(failed?.payload.compensations).toEqual([]);
  });

  it("fails a checkout whose coupon no longer applies, releasing the stock", async () => {
    const world = new World();
    const started = await start(world);
    const checkoutId = await checkOut(started.handles, { coupon: "NOPE99" });
    const checkout = await ended(started, checkoutId);
    expect(checkout).toMatchObject({
      state: "FAILED",
      failure: { code: "coupon_invalid", step: "calculate_discount" },
    });
    expect(world.reservations.get(checkoutId)?.status).toBe(inventoryV1.ReservationStatus.RELEASED);
    expect(world.count("authorize")).toBe(0);
  });

  it("fails a checkout whose address is not the customer's", async () => {
    const world = new World();
    const started = await start(world);
    const checkoutId = await checkOut(started.handles, { addressId: BOB_ADDRESS });
    expect(await ended(started, checkoutId)).toMatchObject({
      state: "FAILED",
      failure: { code: "address_not_found", step: "calculate_discount" },
    });
  });

  it("retries dependencies that are briefly unavailable and counts each try", async () => {
    const world = new World();
    world.unavailable.set("reserveStock", 2);
    world.unavailable.set("authorize", 1);
    world.unavailable.set("commitStock", 2);
    const started = await start(world);
    const checkoutId = await checkOut(started.handles);
    const checkout = await ended(started, checkoutId, world);

    expect(checkout.state).toBe("COMPLETED");
    expect(checkout.steps.map((step) => [step.name, step.attempts])).toEqual([
      ["reserve_stock", 3],
      ["calculate_discount", 1],
      ["authorize_payment", 2],
      ["create_order", 1],
      ["capture_payment", 1],
    ]);
    expect(world.effects).toMatchObject({ reservations: 1, authorizations: 1, captures: 1, commits: 1 });
  });

  it("compensates when payment stays unavailable through every retry", async () => {
    const world = new World();
    world.unavailable.set("authorize", 100);
    const started = await start(world);
    const checkoutId = await checkOut(started.handles);
    const checkout = await ended(started, checkoutId);

    expect(checkout).toMatchObject({
      state: "FAILED",
      failure: { code: "processor_unavailable", step: "authorize_payment" },
    });
    expect(checkout.steps[2]?.attempts).toBe(4);
    expect(world.reservations.get(checkoutId)?.status).toBe(inventoryV1.ReservationStatus.RELEASED);
  });

  it("refunds a capture whose answer never arrived, since payment refuses to void money it took", async () => {
    const world = new World();
    // The first Capture takes the money; it and every retry (payment answering CAPTURED) lose their answer.
    world.answerLost.set("capture", 100);
    const started = await start(world);
    const checkoutId = await checkOut(started.handles);
    const checkout = await ended(started, checkoutId);

    expect(checkout).toMatchObject({
      state: "FAILED",
      failure: { code: "processor_unavailable", step: "capture_payment" },
    });
    expect(world.count("capture")).toBe(4);
    // The money went back once, by a refund: the void payment had to refuse was not the end of it.
    expect(world.effects).toMatchObject({ captures: 1, voids: 0, commits: 0 });
    expect(world.payments.get(checkout.paymentId!)?.status).toBe(paymentV1.PaymentStatus.REFUNDED);
    expect([...world.refunds.values()]).toEqual([
      { refundId: expect.stringMatching(/^rfd_/), paymentId: checkout.paymentId, amount: 9198 },
    ]);
    expect(world.reservations.get(checkoutId)?.status).toBe(inventoryV1.ReservationStatus.RELEASED);
    expect(world.stock.get(C_BOOK.id)).toBe(10);
    const authorize = checkout.steps.find((step) => step.name === "authorize_payment");
    expect(authorize).toMatchObject({ status: "COMPENSATED" });
    expect(authorize?.detail).toMatch(/had been captured; refunded as rfd_/);
    const canceled = await started.admin.order.getOrder({ params: { path: { orderId: checkout.orderId! } } });
    expect(canceled.data?.status).toBe("CANCELED");
    const failed = (await events(checkoutId)).find((event) => event.eventType === "ecommerce.order.checkout.failed.v1");
    expect(failed?.payload.compensations).toMatchObject([
      { action: "release_stock", reservationId: checkout.reservationId },
    ]);
    // The customer is told the money went back, not that nothing was charged.
    expect(checkout.failure?.message).toBe(
      "A service we depend on did not answer; the payment taken was refunded. Try again in a moment.",
    );
    expect(failed?.payload).toMatchObject({ failure: { message: checkout.failure?.message } });
  });

  it("asks for that refund again, with the same key, while payment does not answer it", async () => {
    const world = new World();
    world.answerLost.set("capture", 100);
    world.unavailable.set("refund", 5);
    const started = await start(world);
    const checkoutId = await checkOut(started.handles);
    const checkout = await ended(started, checkoutId);

    expect(checkout.state).toBe("FAILED");
    expect(world.count("refund")).toBe(6);
    expect(world.refunds.size).toBe(1);
    expect(world.payments.get(checkout.paymentId!)?.status).toBe(paymentV1.PaymentStatus.REFUNDED);
    expect(world.reservations.get(checkoutId)?.status).toBe(inventoryV1.ReservationStatus.RELEASED);
  });

  it("keeps retrying a compensation until the dependency answers", async () => {
    const world = new World();
    world.unavailable.set("releaseStock", 6);
    const started = await start(world);
    const checkoutId = await checkOut(started.handles, { card: DECLINED_CARD });
    const checkout = await ended(started, checkoutId);
    expect(checkout.state).toBe("FAILED");
    expect(world.reservations.get(checkoutId)?.status).toBe(inventoryV1.ReservationStatus.RELEASED);
    expect(world.count("releaseStock")).toBe(7);
  });

  it("backs off and re-drives on the platform's clock: an advance ends a backoff, and a persisted re-drive falls due at the tick", async () => {
    const world = new World();
    world.unavailable.set("releaseStock", 3);
    const hour = 60 * 60_000;
    const started = await start(world, {
      seed: 5,
      order: { saga: { retry: { attempts: 2, baseDelayMs: hour }, redriveDelayMs: hour, redriveLimit: 3 } },
    });
    const checkoutId = await checkOut(started.handles, { card: DECLINED_CARD });
    // The clock is frozen and every wait is an hour of it: only advances move the compensation on (not settle(),
    // which would wait for the saga's backoff). Release: try, back off, try, re-drive at the tick, try, back off, try.
    // (The admin's token expires after an hour: the end is read from the checkout.failed the cart fake is given.)
    const failed = () => started.handles.outcomes.some((outcome) => outcome.checkoutId === checkoutId);
    // Nothing moves the clock before the saga compensates: an hour passing between the reservation and the payment
    // step lets inventory's tick expire the hold first, and a saga whose hold lapsed has nothing to release (run alone,
    // on a slow machine, this test advanced that early and saw no release at all).
    const deadline = Date.now() + 30_000;
    while (world.count("releaseStock") === 0) {
      if (Date.now() > deadline) throw new Error(`checkout ${checkoutId} never tried to release its stock`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    while (!failed() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await started.platform.advanceClock(hour);
    }
    expect(started.handles.outcomes).toEqual([{ type: "failed", checkoutId }]);
    // Hours later the hold has lapsed; the fourth release is the one that was answered.
    expect(world.count("releaseStock")).toBe(4);
  });

  it("stops a saga backing off when the platform closes, as an interruption the next start resumes, not an error", async () => {
    const world = new World();
    world.unavailable.set("authorize", 1);
    const logged: string[] = [];
    const started = await start(world, {
      seed: 6,
      order: { saga: { retry: { attempts: 4, baseDelayMs: 60 * 60_000 }, redriveDelayMs: 10, redriveLimit: 3 } },
      log: {
        info() {},
        warn: (message: string) => logged.push(`warn: ${message}`),
        error: (message: string) => logged.push(`error: ${message}`),
      },
    });
    const checkoutId = await checkOut(started.handles);
    // Two attempts recorded on authorize_payment: it failed once and the saga now waits an hour to try again.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const { data } = await started.admin.order.getCheckout({ params: { path: { checkoutId } } });
      if (data?.steps[2]?.attempts === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await started.platform.close();
    platform = undefined;
    await new Promise((resolve) => setImmediate(resolve));
    expect(logged.filter((line) => line.includes("checkout saga"))).toEqual([
      "warn: checkout saga interrupted; it resumes on the next start",
    ]);
  });

  it("answers 202 with the checkout while the saga runs, then the order", async () => {
    const world = new World();
    const { contexts, handles } = fakes(world);
    platform = await createPlatform({
      contexts: [...contexts, createOrderContext({ createOrderWaitMs: 50 })],
      memory: true,
      log: quiet,
    });
    const alice = createClient({
      baseUrl: "http://ecom.test",
      fetch: platform.fetch,
      retry: { maxAttempts: 1 },
      token: handles.tokens!.issue({ customerId: ALICE, role: "customer" }, { expiresInSeconds: 3600 }),
    });
    const blocked = world.block("authorize");
    const checkoutId = await checkOut(handles);
    await blocked.entered;

    const running = await alice.order.createOrder({ body: { checkoutId } });
    expect(running.response.status).toBe(202);
    expect(running.response.headers.get("location")).toBe(`/checkouts/${checkoutId}`);
    expect(running.data).toMatchObject({ state: "AUTHORIZING_PAYMENT", checkoutId });

    blocked.release(true);
    const done = await until("the order", async () => {
      const answer = await alice.order.createOrder({ body: { checkoutId } });
      return answer.response.status === 202 ? undefined : answer;
    });
    expect(done.response.status).toBe(201);
    expect(done.data).toMatchObject({ status: "PAID" });

    // A checkout that has not reached the saga by the end of the wait is not found, and nothing is made of it.
    const unknownId = "chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2Z";
    const unknown = await alice.order.createOrder({ body: { checkoutId: unknownId } });
    expect(unknown.response.status).toBe(404);
    expect(unknown.response.headers.get("content-type")).toContain("application/problem+json");
    expect(unknown.error).toMatchObject({ code: "not_found", detail: `No checkout ${unknownId}.` });
    expect((await alice.order.getCheckout({ params: { path: { checkoutId: unknownId } } })).response.status).toBe(404);
  });

  it("hands the order out in the write that pays it to the first POST /orders that waited (201), the second reading it (200)", async () => {
    const world = new World();
    const standalone: string[] = [];
    const started = await start(world, {
      seed: 5,
      wrapOrder: (context) => recordingStandalone(context, standalone),
    });
    const waits = vi.spyOn(CheckoutSaga.prototype, "waitForOrder");
    try {
      const blocked = world.block("capture");
      const checkoutId = await checkOut(started.handles);
      await blocked.entered;
      /** Resolves once `count` callers wait for the saga's end (the saga cannot end meanwhile: the capture is held). */
      const waiting = async (count: number) => {
        while (waits.mock.calls.length < count) await new Promise((resolve) => setTimeout(resolve, 1));
      };
      const first = started.alice.order.createOrder({ body: { checkoutId } });
      await waiting(1);
      const second = started.alice.order.createOrder({ body: { checkoutId } });
      await waiting(2);
      standalone.length = 0;
      blocked.release(true);
      const answers = [await first, await second];
      expect(answers.map((answer) => answer.response.status)).toEqual([201, 200]);
      for (const answer of answers) expect(answer.data).toMatchObject({ status: "PAID", correlationId: checkoutId });
      expect(answers[1]?.data?.orderId).toBe(answers[0]?.data?.orderId);
      // Neither caller wrote a claim of its own: the order went out with the write that paid it, and the second
      // caller, told so, only read it.
      expect(standalone.filter((sql) => sql.includes('"claimed_at"'))).toEqual([]);
      const again = await started.alice.order.createOrder({ body: { checkoutId } });
      expect(again.response.status).toBe(200);
    } finally {
      waits.mockRestore();
    }
  });

  it("fails a saga whose reservation lapsed before the capture, without charging", async () => {
    const world = new World();
    const started = await start(world, { seed: 9 });
    const blocked = world.block("authorize");
    const checkoutId = await checkOut(started.handles);
    await blocked.entered;
    await started.platform.advanceClock(16 * 60_000);
    blocked.release(true);
    const checkout = await ended(started, checkoutId);

    expect(checkout).toMatchObject({
      state: "FAILED",
      failure: { code: "reservation_expired", step: "capture_payment" },
    });
    expect(world.effects.captures).toBe(0);
    expect(world.payments.get(checkout.paymentId!)?.status).toBe(paymentV1.PaymentStatus.VOIDED);
    expect(
      (await started.admin.order.getOrder({ params: { path: { orderId: checkout.orderId! } } })).data,
    ).toMatchObject({
      status: "CANCELED",
      cancellation: { reason: "out_of_stock" },
    });
  });

  describe("resumes a capture the process died before recording, after the hold lapsed", () => {
    /**
     * Kill the process while `block` (capture_payment's Capture, or its CommitStock) has done its work and its answer
     * has not arrived, let 16 minutes pass meanwhile (inventory's tick lapses a hold that is not committed), and start
     * again on the same data folder: the resumed step finds the hold lapsed on its second attempt.
     */
    async function dieAfter(world: World, block: Method, beforeRestart?: () => void) {
      dataDir = await mkdtemp(join(tmpdir(), "ecom-order-"));
      let started = await start(world, { dataDir });
      const blocked = world.block(block);
      const checkoutId = await checkOut(started.handles);
      await blocked.entered;
      await started.platform.advanceClock(16 * 60_000);
      await started.platform.close();
      platform = undefined;
      blocked.release(false);
      beforeRestart?.();
      started = await start(world, { dataDir });
      return { started, checkoutId };
    }

    it("refunds a capture whose hold lapsed before the stock was committed, and fails the saga saying so", async () => {
      const world = new World();
      const { started, checkoutId } = await dieAfter(world, "capture");
      const checkout = await ended(started, checkoutId);

      expect(checkout).toMatchObject({
        state: "FAILED",
        failure: { code: "reservation_expired", step: "capture_payment" },
      });
      expect(checkout.failure?.message).toMatch(/refunded/);
      // The money that was taken went back, once; the stock was never sold and is on the shelf again.
      expect(world.payments.get(checkout.paymentId!)?.status).toBe(paymentV1.PaymentStatus.REFUNDED);
      expect([...world.refunds.values()]).toEqual([
        { refundId: expect.stringMatching(/^rfd_/), paymentId: checkout.paymentId, amount: 9198 },
      ]);
      expect(world.effects).toMatchObject({ captures: 1, voids: 0, commits: 0 });
      expect(world.reservations.get(checkoutId)?.status).toBe(inventoryV1.ReservationStatus.EXPIRED);
      expect(world.stock.get(C_BOOK.id)).toBe(10);
      const steps = new Map(checkout.steps.map((step) => [step.name, step]));
      expect(steps.get("capture_payment")).toMatchObject({ status: "FAILED", attempts: 2 });
      expect(steps.get("capture_payment")?.detail).toMatch(/lapsed before the capture of pay_\w+ was recorded/);
      // The refund undid the payment step: the compensation did not ask for a void payment had to refuse.
      expect(steps.get("authorize_payment")?.status).toBe("COMPENSATED");
      expect(steps.get("authorize_payment")?.detail).toMatch(/refunded as rfd_/);

      const canceled = await started.admin.order.getOrder({ params: { path: { orderId: checkout.orderId! } } });
      expect(canceled.data).toMatchObject({ status: "CANCELED", cancellation: { reason: "out_of_stock" } });
      const types = (await events(checkoutId)).map((event) => event.eventType);
      expect(types).not.toContain("ecommerce.order.order.paid.v1");
      expect(types.filter((type) => type === "ecommerce.order.order.canceled.v1")).toHaveLength(1);
      const failed = (await events(checkoutId)).find(
        (event) => event.eventType === "ecommerce.order.checkout.failed.v1",
      );
      expect(failed?.payload.compensations).toMatchObject([
        { action: "release_stock", reservationId: checkout.reservationId },
      ]);
      expect(started.handles.outcomes).toEqual([{ type: "failed", checkoutId }]);
    });

    it("pays the order whose stock the dead run had committed: the stock is sold to it", async () => {
      const world = new World();
      const { started, checkoutId } = await dieAfter(world, "commitStock");
      const checkout = await ended(started, checkoutId, world);

      expect(checkout.state).toBe("COMPLETED");
      expect(checkout.steps.find((step) => step.name === "capture_payment")).toMatchObject({
        status: "SUCCEEDED",
        attempts: 2,
      });
      expect(world.payments.get(checkout.paymentId!)?.status).toBe(paymentV1.PaymentStatus.CAPTURED);
      expect(world.effects).toMatchObject({ captures: 1, commits: 1, voids: 0, releases: 0 });
      expect(world.refunds.size).toBe(0);
      expect(world.stock.get(C_BOOK.id)).toBe(8);
      const paid = await started.admin.order.getOrder({ params: { path: { orderId: checkout.orderId! } } });
      expect(paid.data?.status).toBe("PAID");
      const types = (await events(checkoutId)).map((event) => event.eventType);
      expect(types.filter((type) => type === "ecommerce.order.order.paid.v1")).toHaveLength(1);
      expect(types).not.toContain("ecommerce.order.order.canceled.v1");
    });

    it("fails without charging when the dead run had not captured: the void proves it", async () => {
      const world = new World();
      dataDir = await mkdtemp(join(tmpdir(), "ecom-order-"));
      // Capture does not answer once, and the saga backs off for an hour of the platform's clock: the process dies
      // in capture_payment with nothing captured.
      world.unavailable.set("capture", 1);
      const hour = 60 * 60_000;
      let started = await start(world, {
        dataDir,
        order: { saga: { retry: { attempts: 4, baseDelayMs: hour }, redriveDelayMs: 10, redriveLimit: 3 } },
      });
      const checkoutId = await checkOut(started.handles);
      // Polled without settle(), which would wait out the backoff.
      const deadline = Date.now() + 10_000;
      while (world.count("capture") === 0) {
        if (Date.now() > deadline) throw new Error(`checkout ${checkoutId} never tried to capture`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await started.platform.advanceClock(16 * 60_000);
      await started.platform.close();
      platform = undefined;
      started = await start(world, { dataDir });
      const checkout = await ended(started, checkoutId);

      expect(checkout).toMatchObject({
        state: "FAILED",
        failure: { code: "reservation_expired", step: "capture_payment" },
      });
      expect(checkout.failure?.message).toMatch(/nothing was charged/);
      expect(world.count("capture")).toBe(1);
      expect(world.effects).toMatchObject({ captures: 0, voids: 1, commits: 0 });
      expect(world.refunds.size).toBe(0);
      expect(world.payments.get(checkout.paymentId!)?.status).toBe(paymentV1.PaymentStatus.VOIDED);
    });

    it("waits, without failing the saga, while payment does not answer whether it captured", async () => {
      const world = new World();
      // The resumed run's void meets Unavailable through its 4 tries; the re-drive's first try too, then it answers.
      const { started, checkoutId } = await dieAfter(world, "capture", () => world.unavailable.set("void", 5));
      const checkout = await ended(started, checkoutId);

      expect(checkout).toMatchObject({ state: "FAILED", failure: { code: "reservation_expired" } });
      expect(world.count("void")).toBe(6);
      // Each try of the void is an attempt of the step; the step was begun twice (the dead run, the resumed one) and
      // once more by the re-drive.
      expect(checkout.steps.find((step) => step.name === "capture_payment")?.attempts).toBeGreaterThan(3);
      expect(world.payments.get(checkout.paymentId!)?.status).toBe(paymentV1.PaymentStatus.REFUNDED);
      expect(world.refunds.size).toBe(1);
    });
  });

  describe("resumes after the process dies mid-saga, without duplicating anything", () => {
    const cases: [string, { block: Method; wantState: "COMPLETED" }][] = [
      ["while reserving stock", { block: "reserveStock", wantState: "COMPLETED" }],
      ["while calculating the discount", { block: "calculateDiscount", wantState: "COMPLETED" }],
      ["while authorizing the payment", { block: "authorize", wantState: "COMPLETED" }],
      ["while capturing the payment", { block: "capture", wantState: "COMPLETED" }],
      ["while committing the stock", { block: "commitStock", wantState: "COMPLETED" }],
    ];
    it.each(cases)("%s", async (_name, { block, wantState }) => {
      dataDir = await mkdtemp(join(tmpdir(), "ecom-order-"));
      const world = new World();
      let started = await start(world, { dataDir });
      const blocked = world.block(block);
      const checkoutId = await checkOut(started.handles, { coupon: "WELCOME10" });
      await blocked.entered;
      // The call did its work; its answer never arrives: the process "dies" with the saga mid-step.
      await started.platform.close();
      platform = undefined;
      blocked.release(false);

      started = await start(world, { dataDir });
      const checkout = await ended(started, checkoutId, world);
      expect(checkout.state).toBe(wantState);
      expect(world.effects).toMatchObject({ reservations: 1, authorizations: 1, captures: 1, commits: 1, voids: 0 });
      expect(world.payments.size).toBe(1);
      const orders = await started.admin.order.listOrders({});
      expect(orders.data?.items.map((each) => [each.orderId, each.status])).toEqual([[checkout.orderId, "PAID"]]);
      const types = (await events(checkoutId)).map((event) => event.eventType);
      for (const type of [
        "ecommerce.order.order.created.v1",
        "ecommerce.order.order.paid.v1",
        "ecommerce.order.checkout.completed.v1",
      ]) {
        expect(types.filter((each) => each === type)).toHaveLength(1);
      }
      expect(types.indexOf("ecommerce.order.order.created.v1")).toBeLessThan(
        types.indexOf("ecommerce.order.order.paid.v1"),
      );
    });
  });
});

describe("orders over REST", () => {
  async function paidOrder(world: World) {
    const started = await start(world, { seed: 3 });
    const checkoutId = await checkOut(started.handles);
    const checkout = await ended(started, checkoutId, world);
    return { started, checkoutId, orderId: checkout.orderId! };
  }

  it("lets a customer read only their own orders and checkouts", async () => {
    const { started, checkoutId, orderId } = await paidOrder(new World());
    expect((await started.alice.order.getOrder({ params: { path: { orderId } } })).response.status).toBe(200);
    expect((await started.bob.order.getOrder({ params: { path: { orderId } } })).response.status).toBe(404);
    expect((await started.bob.order.getCheckout({ params: { path: { checkoutId } } })).response.status).toBe(404);
    expect((await started.bob.order.getOrderHistory({ params: { path: { orderId } } })).response.status).toBe(404);
    expect((await started.bob.order.createOrder({ body: { checkoutId } })).response.status).toBe(404);
    expect((await started.admin.order.getOrder({ params: { path: { orderId } } })).response.status).toBe(200);

    expect((await started.bob.order.listOrders({})).data?.items).toEqual([]);
    expect((await started.alice.order.listOrders({})).data?.items.map((item) => item.orderId)).toEqual([orderId]);
    expect((await started.bob.order.listOrders({ params: { query: { customerId: ALICE } } })).response.status).toBe(
      403,
    );
    const forAdmin = await started.admin.order.listOrders({
      params: { query: { customerId: ALICE, status: ["PAID", "FULFILLED"] } },
    });
    expect(forAdmin.data?.items).toMatchObject([{ orderId, itemCount: 2, total: { amount: 9198 } }]);
    const noneCanceled = await started.admin.order.listOrders({
      params: { query: { status: ["CANCELED", "PENDING"] } },
    });
    expect(noneCanceled.data?.items).toEqual([]);
  });

  it("pages the order list newest first", async () => {
    const world = new World();
    const started = await start(world, { seed: 4 });
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      const checkoutId = await checkOut(started.handles, {
        items: [{ productId: C_BOOK.id, quantity: 1, unitPrice: C_BOOK.price }],
      });
      ids.push((await ended(started, checkoutId)).orderId!);
      await started.platform.advanceClock(1_000);
    }
    const first = await started.alice.order.listOrders({ params: { query: { limit: 2 } } });
    expect(first.data?.items.map((item) => item.orderId)).toEqual([ids[2], ids[1]]);
    const cursor = first.data?.page.nextCursor;
    expect(cursor).toBeDefined();
    const second = await started.alice.order.listOrders({ params: { query: { limit: 2, cursor: cursor! } } });
    expect(second.data?.items.map((item) => item.orderId)).toEqual([ids[0]]);
    expect(second.data?.page.nextCursor).toBeUndefined();
    expect((await started.alice.order.listOrders({ params: { query: { cursor: "garbage" } } })).response.status).toBe(
      400,
    );
  });

  it("does not tell an admin nothing was changed when the refund's answer was lost: it may have been done, and asking again does it once", async () => {
    const world = new World();
    const { started, orderId } = await paidOrder(world);
    world.answerLost.set("refund", 1);
    const cancel = () =>
      started.admin.order.cancelOrder({ params: { path: { orderId } }, body: { reason: "customer_request" } });

    const lost = await cancel();
    expect(lost.response.status).toBe(503);
    expect(lost.error?.detail).toBe(
      "The refund did not answer, so it may have been done; the order is unchanged. Try again in a moment: asking again does it at most once.",
    );
    // It was made: the order stays PAID until the cancel is asked again, which gets that refund back.
    expect(world.refunds.size).toBe(1);
    const canceled = await cancel();
    expect(canceled.data).toMatchObject({ status: "CANCELED", cancellation: { refund: { amount: { amount: 9198 } } } });
    expect(world.refunds.size).toBe(1);
  });

  it("applies the cancel rules: customers only their own PENDING orders, admins PAID ones with a refund", async () => {
    const world = new World();
    const { started, orderId } = await paidOrder(world);
    const cancel = (client: EcomClient) =>
      client.order.cancelOrder({
        params: { path: { orderId } },
        body: { reason: "customer_request", note: "Wrong edition." },
      });

    expect((await cancel(started.bob)).response.status).toBe(404);
    const forbidden = await cancel(started.alice);
    expect(forbidden.response.status).toBe(403);
    expect(forbidden.error).toMatchObject({ code: "forbidden" });

    const canceled = await cancel(started.admin);
    expect(canceled.response.status).toBe(200);
    const refund = [...world.refunds.values()][0];
    expect(canceled.data).toMatchObject({
      status: "CANCELED",
      cancellation: {
        reason: "customer_request",
        note: "Wrong edition.",
        previousStatus: "PAID",
        canceledBy: { kind: "admin", customerId: ADMIN },
        refund: { refundId: refund?.refundId, amount: { amount: 9198 } },
      },
    });
    expect(world.refunds.size).toBe(1);
    const again = await cancel(started.admin);
    expect(again.response.status).toBe(200);
    expect(world.refunds.size).toBe(1);
    const canceledEvents = (await events()).filter((event) => event.eventType === "ecommerce.order.order.canceled.v1");
    expect(canceledEvents).toHaveLength(1);
    expect(canceledEvents[0]?.payload).toMatchObject({
      previousStatus: "PAID",
      refund: { refundId: refund?.refundId },
    });
  });

  it("refuses to cancel a PENDING order whose saga is still capturing, and a fulfilled one", async () => {
    const world = new World();
    const started = await start(world);
    const blocked = world.block("capture");
    const checkoutId = await checkOut(started.handles);
    await blocked.entered;
    const { data: running } = await started.alice.order.getCheckout({ params: { path: { checkoutId } } });
    const orderId = running!.orderId!;
    expect((await started.alice.order.getOrder({ params: { path: { orderId } } })).data?.status).toBe("PENDING");
    const busy = await started.alice.order.cancelOrder({
      params: { path: { orderId } },
      body: { reason: "customer_request" },
    });
    expect(busy.response.status).toBe(409);
    expect((await started.alice.order.payOrder({ params: { path: { orderId } } })).response.status).toBe(409);
    blocked.release(true);
    await ended(started, checkoutId, world);
    expect((await started.alice.order.payOrder({ params: { path: { orderId } } })).data?.status).toBe("PAID");

    await started.admin.order.updateOrderStatus({ params: { path: { orderId } }, body: { status: "FULFILLED" } });
    const late = await started.admin.order.cancelOrder({ params: { path: { orderId } }, body: { reason: "other" } });
    expect(late.response.status).toBe(409);
  });

  it("moves a paid order through fulfilment by hand, one step at a time, admins only", async () => {
    const world = new World();
    const { started, orderId } = await paidOrder(world);
    const move = (
      client: EcomClient,
      body: { status: "FULFILLED" | "SHIPPED" | "DELIVERED"; carrier?: string; trackingNumber?: string },
    ) => client.order.updateOrderStatus({ params: { path: { orderId } }, body });

    expect((await move(started.alice, { status: "FULFILLED" })).response.status).toBe(403);
    const skipped = await move(started.admin, { status: "DELIVERED" });
    expect(skipped.response.status).toBe(409);
    expect(skipped.error).toMatchObject({ code: "invalid_transition" });
    expect((await move(started.admin, { status: "FULFILLED" })).data?.status).toBe("FULFILLED");
    expect((await move(started.admin, { status: "FULFILLED" })).data?.status).toBe("FULFILLED");
    expect((await move(started.admin, { status: "SHIPPED" })).response.status).toBe(400);
    expect(
      (await move(started.admin, { status: "SHIPPED", carrier: "ups", trackingNumber: "1Z999AA1" })).data?.status,
    ).toBe("SHIPPED");
    expect((await move(started.admin, { status: "DELIVERED" })).data?.status).toBe("DELIVERED");

    const types = (await events())
      .map((event) => event.eventType)
      .filter((type) => type.startsWith("ecommerce.order.order."));
    expect(types).toEqual([
      "ecommerce.order.order.created.v1",
      "ecommerce.order.order.paid.v1",
      "ecommerce.order.order.fulfilled.v1",
      "ecommerce.order.order.shipped.v1",
      "ecommerce.order.order.delivered.v1",
    ]);
    const history = await started.alice.order.getOrderHistory({ params: { path: { orderId }, query: { limit: 2 } } });
    expect(history.data?.items.map((change) => change.to)).toEqual(["PENDING", "PAID"]);
    const rest = await started.alice.order.getOrderHistory({
      params: { path: { orderId }, query: { limit: 10, cursor: history.data!.page.nextCursor! } },
    });
    expect(rest.data?.items.map((change) => [change.to, change.actor.kind])).toEqual([
      ["FULFILLED", "admin"],
      ["SHIPPED", "admin"],
      ["DELIVERED", "admin"],
    ]);
  });

  it("follows the fulfilment context's events, ignoring stale ones", async () => {
    const world = new World();
    const { started, orderId, checkoutId } = await paidOrder(world);
    const publish = started.handles.publish!;
    await publish(
      "ecommerce.fulfilment.shipment.shipped.v1",
      {
        shipmentId: "shp_01JH8Z3Q4R5S6T7V8W9X0Y1Z2V",
        orderId,
        customerId: ALICE,
        carrier: "ups",
        trackingNumber: "1Z999AA10123456784",
        shippedAt: "2026-01-19T16:00:00.000Z",
      },
      checkoutId,
    );
    await publish(
      "ecommerce.fulfilment.fulfilment.ready_for_shipping.v1",
      {
        fulfilmentId: "ful_01JH8Z3Q4R5S6T7V8W9X0Y1Z2T",
        shipmentId: "shp_01JH8Z3Q4R5S6T7V8W9X0Y1Z2V",
        orderId,
        customerId: ALICE,
        items: [{ productId: C_BOOK.id, isbn: C_BOOK.isbn, quantity: 2 }],
        packageCount: 1,
        packedAt: "2026-01-19T09:30:00.000Z",
      },
      checkoutId,
    );
    await started.platform.settle();
    const shipped = await started.alice.order.getOrder({ params: { path: { orderId } } });
    expect(shipped.data).toMatchObject({
      status: "SHIPPED",
      shipment: { shipmentId: "shp_01JH8Z3Q4R5S6T7V8W9X0Y1Z2V", carrier: "ups", trackingNumber: "1Z999AA10123456784" },
      shippedAt: "2026-01-19T16:00:00.000Z",
    });
    await publish(
      "ecommerce.fulfilment.shipment.delivered.v1",
      {
        shipmentId: "shp_01JH8Z3Q4R5S6T7V8W9X0Y1Z2V",
        orderId,
        customerId: ALICE,
        carrier: "ups",
        trackingNumber: "1Z999AA10123456784",
        deliveredAt: "2026-01-21T14:02:00.000Z",
        returnWindowEndsAt: "2026-02-20T14:02:00.000Z",
      },
      checkoutId,
    );
    await started.platform.settle();
    expect((await started.alice.order.getOrder({ params: { path: { orderId } } })).data?.status).toBe("DELIVERED");
    const orderEvents = (await events(checkoutId)).filter((event) =>
      event.eventType.startsWith("ecommerce.order.order."),
    );
    expect(orderEvents.map((event) => event.eventType)).toEqual([
      "ecommerce.order.order.created.v1",
      "ecommerce.order.order.paid.v1",
      "ecommerce.order.order.fulfilled.v1",
      "ecommerce.order.order.shipped.v1",
      "ecommerce.order.order.delivered.v1",
    ]);
    expect(orderEvents[4]?.payload).toMatchObject({
      items: [{ productId: C_BOOK.id, isbn: C_BOOK.isbn, quantity: 2 }],
    });
  });
});

/**
 * The real payment context, over a simulated processor whose capture answers can be lost on the way back (the
 * processor captured; payment never heard): what the processor captured is counted, by its reference.
 */
function paymentLosingCaptureAnswers(
  // Lost answers count against the breaker as an outage does: kept closed unless a test says, the virtual clock stands
  // still.
  breaker: { failureThreshold: number; coolDownMs: number } = { failureThreshold: 1_000, coolDownMs: 30_000 },
) {
  const processor = {
    captures: [] as string[],
    refunds: 0,
    captureAnswersLost: 0,
    /** Captures the processor does not answer, and does not make (it is down for them). */
    capturesDown: 0,
    /** Refunds the processor declines. */
    refusesRefunds: false,
  };
  const payment = createPaymentContext({
    soap: false,
    breaker,
    sleep: async () => {},
    processor: (runtime) => {
      const simulated = createSimulatedProcessor(runtime);
      return {
        ...simulated,
        capture: async (request) => {
          if (processor.capturesDown > 0) {
            processor.capturesDown--;
            throw new ProcessorError("processor_unavailable", "The processor did not answer the capture (scripted).");
          }
          const answer = await simulated.capture(request);
          if (answer.status === "succeeded" && !processor.captures.includes(answer.processorReference)) {
            processor.captures.push(answer.processorReference);
          }
          if (processor.captureAnswersLost > 0) {
            processor.captureAnswersLost--;
            throw new ProcessorError("processor_unavailable", "The capture's answer was lost (scripted).");
          }
          return answer;
        },
        refund: async (request) => {
          if (processor.refusesRefunds) {
            return {
              status: "declined",
              code: "card_declined",
              processorReference: `re_declined_${request.reference}`,
            };
          }
          const answer = await simulated.refund(request);
          if (answer.status === "succeeded") processor.refunds++;
          return answer;
        },
      };
    },
  });
  return { payment, processor };
}

/** Alice's card, tokenized by the payment context (the real one checks that the token is hers). */
async function aliceCard(started: Started): Promise<string> {
  const { data, error } = await started.alice.payment.tokenizePaymentMethod({
    body: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123", holderName: "Ada Lovelace" },
  });
  if (!data) throw new Error(`tokenize failed: ${JSON.stringify(error)}`);
  return data.paymentToken;
}

// The saga against the real payment context and its simulated processor, which knows whether it captured: a capture
// whose answers were all lost is found by the saga's next Capture or by the compensation's Void, never voided over.
describe("the Checkout Saga with the real payment context, when the processor captured and its answer was lost", () => {
  it("fails the checkout without leaving the customer charged: the void is refused as captured, and refunded", async () => {
    const world = new World();
    const { payment, processor } = paymentLosingCaptureAnswers();
    const started = await start(world, { payment });
    processor.captureAnswersLost = 1_000;
    const checkoutId = await checkOut(started.handles, { card: await aliceCard(started) });
    const checkout = await ended(started, checkoutId);

    expect(checkout).toMatchObject({
      state: "FAILED",
      failure: { code: "processor_unavailable", step: "capture_payment" },
    });
    // The processor took the money once, and gave it back once.
    expect(processor.captures).toHaveLength(1);
    expect(processor.refunds).toBe(1);
    const { data: paid } = await started.admin.payment.getPayment({
      params: { path: { paymentId: checkout.paymentId! } },
    });
    expect(paid).toMatchObject({
      status: "REFUNDED",
      amountCaptured: { amount: 9198 },
      amountRefunded: { amount: 9198 },
    });
    const types = (await events(checkoutId)).map((event) => event.eventType);
    expect(types.filter((type) => type.startsWith("ecommerce.payment."))).toEqual([
      "ecommerce.payment.payment.authorized.v1",
      "ecommerce.payment.payment.succeeded.v1",
      "ecommerce.payment.payment.refunded.v1",
    ]);
    const canceled = await started.admin.order.getOrder({ params: { path: { orderId: checkout.orderId! } } });
    expect(canceled.data?.status).toBe("CANCELED");
    expect(world.reservations.get(checkoutId)?.status).toBe(inventoryV1.ReservationStatus.RELEASED);
  });

  // A lost answer looks like a processor that is down, and opens the breaker as an outage does: the compensation's
  // void is refused until the cool-down lets a trial through, and the saga's re-drives on the platform's clock (the
  // default 1 s doubling six times: 63 s) reach past the 30 s of it.
  it("refunds once the breaker the lost answers opened lets a trial through: the void waits out the cool-down", async () => {
    const world = new World();
    const { payment, processor } = paymentLosingCaptureAnswers(PROCESSOR_BREAKER);
    const saga = { retry: { attempts: 4, baseDelayMs: 1 }, redriveDelayMs: 1_000, redriveLimit: 6 };
    const started = await start(world, { payment, order: { saga } });
    // The first Capture's five tries lose their answers: the fifth opens the breaker, which refuses the saga's
    // next Captures and its Void before they reach the processor.
    processor.captureAnswersLost = 5;
    const checkoutId = await checkOut(started.handles, { card: await aliceCard(started) });
    const compensating = await until(`checkout ${checkoutId} to compensate`, async () => {
      const { data } = await started.admin.order.getCheckout({ params: { path: { checkoutId } } });
      return data?.state === "COMPENSATING" ? data : undefined;
    });
    const held = await started.admin.payment.getPayment({ params: { path: { paymentId: compensating.paymentId! } } });
    expect(held.data?.status).toBe("AUTHORIZED");

    // A second at a time, until the saga ends: each re-drive falls due at the order context's tick, and settle
    // waits for the run it kicks, so the platform time it ends at is the re-drives' and the breaker's alone.
    let checkout = compensating;
    let seconds = 0;
    while (checkout.state !== "FAILED" && seconds < 120) {
      await started.platform.advanceClock(1_000);
      seconds++;
      await started.platform.settle();
      checkout = (await started.admin.order.getCheckout({ params: { path: { checkoutId } } })).data ?? checkout;
    }
    expect(checkout).toMatchObject({
      state: "FAILED",
      failure: {
        step: "capture_payment",
        message: "A service we depend on did not answer; the payment taken was refunded. Try again in a moment.",
      },
    });
    // The fifth re-drive (1 + 2 + 4 + 8 + 16 s) is the first past the 30 s cool-down, and the breaker's trial: the
    // saga ended there, not by anything else (the hold lapsing would leave the reservation EXPIRED).
    expect(seconds).toBe(31);
    expect(world.reservations.get(checkoutId)?.status).toBe(inventoryV1.ReservationStatus.RELEASED);
    expect(processor.captures).toHaveLength(1);
    expect(processor.refunds).toBe(1);
    const refunded = await started.admin.payment.getPayment({ params: { path: { paymentId: checkout.paymentId! } } });
    expect(refunded.data).toMatchObject({ status: "REFUNDED", amountRefunded: { amount: 9198 } });
  });

  it("pays the order once when the first Capture's answers were lost: the next one learns the processor captured", async () => {
    const world = new World();
    const { payment, processor } = paymentLosingCaptureAnswers();
    const started = await start(world, { payment });
    // Every try of the first Capture (the processor retry policy's 5) loses its answer.
    processor.captureAnswersLost = 5;
    const checkoutId = await checkOut(started.handles, { card: await aliceCard(started) });
    const checkout = await ended(started, checkoutId, world);

    expect(checkout.state).toBe("COMPLETED");
    expect(checkout.steps.find((step) => step.name === "capture_payment")).toMatchObject({
      status: "SUCCEEDED",
      attempts: 2,
    });
    expect(processor.captures).toHaveLength(1);
    expect(processor.refunds).toBe(0);
    const { data: paid } = await started.admin.payment.getPayment({
      params: { path: { paymentId: checkout.paymentId! } },
    });
    expect(paid).toMatchObject({ status: "CAPTURED", amountCaptured: { amount: 9198 } });
    const types = (await events(checkoutId)).map((event) => event.eventType);
    expect(types.filter((type) => type === "ecommerce.payment.payment.succeeded.v1")).toHaveLength(1);
    expect(types.filter((type) => type === "ecommerce.order.order.paid.v1")).toHaveLength(1);
    expect(world.effects.commits).toBe(1);
  });
});

// What the customer is told of their money when the saga fails at the capture, in each way the compensation can end:
// the checkout's failure (GET /checkouts, checkout.failed), the order's cancellation note (GET /orders, its history,
// order.canceled) and the e-mail order.canceled sends. The money is settled before the order is canceled, so the note
// is written knowing what became of it.
describe("the Checkout Saga's word on the money, when it fails at the capture", () => {
  const cases: [
    string,
    {
      script: (processor: ReturnType<typeof paymentLosingCaptureAnswers>["processor"]) => void;
      status: string;
      said: string;
    },
  ][] = [
    [
      "nothing was taken: the processor never answered the capture, and the authorization is voided",
      {
        script: (processor) => {
          processor.capturesDown = 1_000;
        },
        status: "VOIDED",
        said: "A service we depend on did not answer; nothing was charged. Try again in a moment.",
      },
    ],
    [
      "the processor captured and its answers were lost: the payment taken was refunded",
      {
        script: (processor) => {
          processor.captureAnswersLost = 1_000;
        },
        status: "REFUNDED",
        said: "A service we depend on did not answer; the payment taken was refunded. Try again in a moment.",
      },
    ],
    [
      "the processor captured, its answers were lost, and it declined the refund: the customer is to contact support",
      {
        script: (processor) => {
          processor.captureAnswersLost = 1_000;
          processor.refusesRefunds = true;
        },
        status: "CAPTURED",
        said: "A service we depend on did not answer; the payment taken could not be refunded at once; contact support to have it refunded. Try again in a moment.",
      },
    ],
  ];
  it.each(cases)("%s", async (_name, { script, status, said }) => {
    const world = new World();
    const { payment, processor } = paymentLosingCaptureAnswers();
    const started = await start(world, { payment });
    script(processor);
    const checkoutId = await checkOut(started.handles, { card: await aliceCard(started) });
    const checkout = await ended(started, checkoutId);

    expect(checkout).toMatchObject({ state: "FAILED", failure: { step: "capture_payment", message: said } });
    const { data: paid } = await started.admin.payment.getPayment({
      params: { path: { paymentId: checkout.paymentId! } },
    });
    expect(paid?.status).toBe(status);
    const orderId = checkout.orderId!;
    const { data: order } = await started.alice.order.getOrder({ params: { path: { orderId } } });
    expect(order).toMatchObject({ status: "CANCELED", cancellation: { reason: "payment_failed", note: said } });
    const history = await started.alice.order.getOrderHistory({ params: { path: { orderId } } });
    expect(history.data?.items.at(-1)).toMatchObject({ to: "CANCELED", reason: said });
    const logged = await events(checkoutId);
    const failed = logged.find((event) => event.eventType === "ecommerce.order.checkout.failed.v1");
    expect(failed?.payload).toMatchObject({ failure: { message: said } });
    const canceled = logged.find((event) => event.eventType === "ecommerce.order.order.canceled.v1");
    expect(canceled?.payload).toMatchObject({ note: said });
    const mail = notificationFor(canceled as unknown as EcomMessage)!;
    expect(renderTemplate(templateOf(mail.templateKey)!, { firstName: "Alice", ...mail.variables }).body).toBe(
      `Hi Alice, order ${orderId} was canceled (payment failed). ${said}`,
    );
  });
});
