import { Code } from "@connectrpc/connect";
import { createClient, type MessagePayloads, type MessageType, type promotionApi } from "@ecom/sdk";
import { type catalogV1, promotionV1 } from "@ecom/sdk/rpc";
import { type ContextRuntime, defineContext } from "@ecom/services/platform";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { catalogContext } from "../../packages/services/src/catalog/index.js";
import { customerContext, DEV_ADMIN } from "../../packages/services/src/customer/index.js";
import {
  type FlashSaleEnvelope,
  initialFrames,
  promotionContext,
  SAVE5_COUPON,
  WELCOME10_COUPON,
} from "../../packages/services/src/promotion/index.js";

const quiet = {
  info() {},
  warn() {},
  error: (message: string, fields?: Record<string, unknown>) => console.error(message, fields),
};

// --- Test double --------------------------------------------------------------------------------------------------
// The real customer and catalog contexts run; the order context is stood in for by a context that publishes
// order.paid and order.canceled on demand.

type NoTables = Record<string, never>;

/** Stands in for the order context: publishes an order's payment and cancellation. */
function testOrders() {
  let runtime: ContextRuntime<NoTables> | undefined;
  const publish = <TType extends MessageType>(type: TType, payload: MessagePayloads[TType], checkoutId: string) =>
    runtime!.db.transaction().execute((trx) =>
      runtime!.outbox.publish(trx, type, payload, {
        partitionKey: (payload as { orderId: string }).orderId,
        correlationId: checkoutId,
      }),
    );
  const usd = (amount: number) => ({ amount, currency: "USD" });
  const item = () => ({
    productId: A,
    isbn: products.get(A)!.isbn,
    title: products.get(A)!.title,
    quantity: 2,
    unitPrice: usd(p(A)),
    lineTotal: usd(2 * p(A)),
  });
  type Applied = MessagePayloads["ecommerce.order.order.paid.v1"]["appliedPromotions"];
  return {
    context: defineContext<NoTables>({
      name: "order",
      migrations: {},
      create(given) {
        runtime = given;
        return {};
      },
    }),
    paid: (order: { orderId: string; customerId: string; checkoutId: string; applied: Applied; couponCode?: string }) =>
      publish(
        "ecommerce.order.order.paid.v1",
        {
          orderId: order.orderId,
          checkoutId: order.checkoutId,
          customerId: order.customerId,
          currency: "USD",
          items: [item()],
          appliedPromotions: order.applied,
          ...(order.couponCode ? { couponCode: order.couponCode } : {}),
          subtotal: usd(2 * p(A)),
          discount: usd(order.applied.reduce((sum, applied) => sum + applied.discount.amount, 0)),
          shipping: usd(0),
          tax: usd(0),
          total: usd(2 * p(A) - order.applied.reduce((sum, applied) => sum + applied.discount.amount, 0)),
          paymentId: "pay_01JH8Z3Q4R5S6T7V8W9X0Y1Z2P",
          shippingAddress: { name: "Ada", line1: "1 Loop Road", city: "London", postalCode: "N1 1AA", country: "GB" },
          paidAt: runtime!.clock.now().toISOString(),
        },
        order.checkoutId,
      ),
    canceled: (order: { orderId: string; customerId: string; checkoutId: string; applied: Applied }) =>
      publish(
        "ecommerce.order.order.canceled.v1",
        {
          orderId: order.orderId,
          customerId: order.customerId,
          items: [item()],
          appliedPromotions: order.applied,
          total: usd(2 * p(A)),
          previousStatus: "PAID",
          reason: "customer_request",
          canceledBy: { kind: "customer", customerId: order.customerId },
          canceledAt: runtime!.clock.now().toISOString(),
        },
        order.checkoutId,
      ),
  };
}

// --- Harness ------------------------------------------------------------------------------------------------------

let platform: Platform;
let orders: ReturnType<typeof testOrders>;
/**
 * Books from the seeded catalog: A costs at least $16 (two reach SAVE5's $30) and is filed under a subcategory of
 * AREA; Z costs under $30 and is not under AREA; S is a third book.
 */
let A: string;
let Z: string;
let S: string;
let AREA: string;
const products = new Map<string, catalogV1.Product>();
const p = (productId: string) => Number(products.get(productId)!.price!.amountMinor);
const categoriesOf = (product: catalogV1.Product) => [...product.categoryIds, ...product.ancestorCategoryIds];
let adminToken: string;
let buyer: { customerId: string; token: string };

beforeEach(async () => {
  orders = testOrders();
  platform = await createPlatform({
    contexts: [customerContext, catalogContext, promotionContext, orders.context],
    memory: true,
    seed: 3,
    log: quiet,
  });
  const { products: listed } = await platform.rpc.catalog.listProducts({ page: { pageSize: 100 } });
  for (const product of listed) products.set(product.id, product);
  const a = listed.find((product) => p(product.id) >= 1600 && product.ancestorCategoryIds.length > 0)!;
  AREA = a.ancestorCategoryIds[0]!;
  const z = listed.find((product) => p(product.id) < 3000 && !categoriesOf(product).includes(AREA))!;
  const s = listed.find((product) => product.id !== a.id && product.id !== z.id)!;
  [A, Z, S] = [a.id, z.id, s.id];
  await signInAdmin();
  buyer = await customer();
});
afterEach(async () => {
  await platform.close();
});

const client = (token?: string) =>
  createClient({
    baseUrl: "http://ecom.test",
    fetch: platform.fetch,
    retry: { maxAttempts: 1 },
    ...(token === undefined ? {} : { token }),
  });
const admin = () => client(adminToken).promotion;
/** Sign the admin in (again): an access token does not outlive a clock moved by hours. */
async function signInAdmin() {
  const { data } = await client().customer.login({ body: { email: DEV_ADMIN.email, password: DEV_ADMIN.password } });
  adminToken = data!.accessToken;
}

/** Assert that an answer is a problem+json refusal with this status and `code`, its `detail` containing `detail`. */
function expectRefusal(answer: { response: Response; error?: unknown }, status: number, code: string, detail: string) {
  expect(answer.response.status, JSON.stringify(answer.error)).toBe(status);
  expect(answer.response.headers.get("content-type")).toContain("application/problem+json");
  expect(answer.error).toMatchObject({ status, code, detail: expect.stringContaining(detail) });
}

let registered = 0;
async function customer() {
  registered += 1;
  const { data } = await client().customer.registerCustomer({
    body: {
      email: `promo-reader${registered}@example.org`,
      password: "correct-horse-battery-staple",
      firstName: "Ada",
      lastName: "Lovelace",
    },
  });
  return { customerId: data!.customer.customerId, token: data!.tokens.accessToken };
}

type QuoteRequest = promotionApi.components["schemas"]["QuoteRequest"];
async function quote(body: QuoteRequest, token = buyer.token) {
  const { data, response, error } = await client(token).promotion.quoteDiscount({ body });
  expect(response.status, JSON.stringify(error)).toBe(200);
  return data!;
}

async function eventsOf<TType extends MessageType>(type: TType) {
  await platform.settle();
  return (await platform.eventLog.read({ afterSeq: 0, types: [type], limit: 10_000 })).map(
    (event) =>
      JSON.parse(event.envelope) as FlashSaleEnvelope & {
        correlationId: string;
        causationId?: string;
        payload: MessagePayloads[TType];
      },
  );
}

const twoA = (): QuoteRequest => ({ currency: "USD", items: [{ productId: A, quantity: 2 }] });
const oneZ = (): QuoteRequest => ({ currency: "USD", items: [{ productId: Z, quantity: 1 }] });
const tenth = (amount: number) => Math.floor(amount / 10);
const half = (amount: number) => Math.floor(amount / 2);

// --- Tests --------------------------------------------------------------------------------------------------------

describe("the seeded coupons", () => {
  it("give 10% off with WELCOME10 and $5 off $30 with SAVE5 from the first start", async () => {
    const welcome = await quote({ ...twoA(), couponCode: WELCOME10_COUPON });
    expect(welcome).toMatchObject({
      subtotal: { amount: 2 * p(A), currency: "USD" },
      discountTotal: { amount: tenth(2 * p(A)) },
      total: { amount: 2 * p(A) - tenth(2 * p(A)) },
      coupon: { code: "WELCOME10", applied: true },
      quotedAt: "2026-01-01T00:00:00.000Z",
    });
    expect(welcome.appliedPromotions).toEqual([
      expect.objectContaining({ couponCode: "WELCOME10", discount: { amount: tenth(2 * p(A)), currency: "USD" } }),
    ]);

    expect((await quote({ ...twoA(), couponCode: SAVE5_COUPON })).discountTotal.amount).toBe(500);
    expect((await quote({ ...oneZ(), couponCode: SAVE5_COUPON })).coupon).toEqual({
      code: "SAVE5",
      applied: false,
      rejectionReason: "MINIMUM_NOT_MET",
    });
    expect((await quote({ ...oneZ(), couponCode: "NOSUCHCODE" })).coupon).toMatchObject({
      applied: false,
      rejectionReason: "NOT_FOUND",
    });
    const seeded = await admin().getCoupon({ params: { path: { code: WELCOME10_COUPON } } });
    expect(seeded.data).toMatchObject({ status: "ACTIVE", usageCount: 0 });
  });

  it("expire a year after the seeded epoch", async () => {
    await platform.advanceClock(366 * 86_400_000);
    const fresh = await customer();
    expect((await quote({ ...twoA(), couponCode: WELCOME10_COUPON }, fresh.token)).coupon).toMatchObject({
      applied: false,
      rejectionReason: "EXPIRED",
    });
  });

  it("refuses a quote for a discontinued or missing product with 422", async () => {
    const withdrawn = await client(adminToken).catalog.discontinueProduct({
      params: { path: { productId: S } },
      body: { reason: "OUT_OF_PRINT" },
    });
    expect(withdrawn.response.status).toBe(200);
    for (const productId of [S, "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z9Z"]) {
      const { response } = await client(buyer.token).promotion.quoteDiscount({
        body: { currency: "USD", items: [{ productId, quantity: 1 }] },
      });
      expect(response.status).toBe(422);
    }
  });
});

describe("CalculateDiscount", () => {
  /** The RPC request for a quote request, priced as the caller would (list prices, categories with ancestors). */
  const rpcRequest = (body: QuoteRequest, customerId: string) => ({
    customerId,
    currency: body.currency,
    couponCode: body.couponCode ?? "",
    items: body.items.map((item) => ({
      productId: item.productId,
      quantity: item.quantity,
      categoryIds: categoriesOf(products.get(item.productId)!),
      unitPrice: { amountMinor: BigInt(p(item.productId)), currency: "USD" },
    })),
  });

  // Functions: the books are known only once the platform has started.
  const baskets: [string, () => QuoteRequest][] = [
    [
      "no coupon",
      () => ({
        currency: "USD",
        items: [
          { productId: A, quantity: 1 },
          { productId: Z, quantity: 3 },
        ],
      }),
    ],
    [
      "WELCOME10 on two lines",
      () => ({
        currency: "USD",
        items: [
          { productId: A, quantity: 1 },
          { productId: Z, quantity: 3 },
        ],
        couponCode: "WELCOME10",
      }),
    ],
    ["SAVE5 above its minimum", () => ({ ...twoA(), couponCode: "SAVE5" })],
    ["SAVE5 below its minimum", () => ({ ...oneZ(), couponCode: "SAVE5" })],
    ["an unknown code", () => ({ ...oneZ(), couponCode: "NOPE1" })],
  ];

  it.each(baskets)("prices %s exactly as the REST quote does", async (_name, basket) => {
    const body = basket();
    // An automatic stackable promotion on a parent category, so scopes and stacking are exercised too.
    const created = await admin().createPromotion({
      body: {
        name: "Computing week",
        discount: { type: "PERCENT", percentOff: 5 },
        scope: { type: "CATEGORIES", categoryIds: [AREA] },
        validFrom: "2026-01-01T00:00:00Z",
        stackable: true,
        requiresCoupon: false,
      },
    });
    expect(created.response.status).toBe(201);

    const rest = await quote(body);
    const rpc = await platform.rpc.promotion.calculateDiscount(rpcRequest(body, buyer.customerId));
    expect(Number(rpc.subtotal!.amountMinor)).toBe(rest.subtotal.amount);
    expect(Number(rpc.discountTotal!.amountMinor)).toBe(rest.discountTotal.amount);
    expect(Number(rpc.total!.amountMinor)).toBe(rest.total.amount);
    expect(
      rpc.lines.map((line) => [line.productId, Number(line.subtotal!.amountMinor), Number(line.discount!.amountMinor)]),
    ).toEqual(rest.lines.map((line) => [line.productId, line.lineSubtotal.amount, line.discount.amount]));
    expect(
      rpc.appliedPromotions.map((applied) => [applied.promotionId, applied.code, Number(applied.amount!.amountMinor)]),
    ).toEqual(
      rest.appliedPromotions.map((applied) => [applied.promotionId, applied.couponCode ?? "", applied.discount.amount]),
    );
    expect(rpc.couponRejection !== undefined).toBe(rest.coupon !== undefined && !rest.coupon.applied);
  });

  it("reports a coupon rejection with a reason and message, and refuses a malformed request", async () => {
    const rpc = await platform.rpc.promotion.calculateDiscount(
      rpcRequest({ ...oneZ(), couponCode: "save5" }, buyer.customerId),
    );
    expect(rpc.couponRejection).toMatchObject({
      code: "save5",
      reason: promotionV1.CouponRejectionReason.MINIMUM_NOT_MET,
    });
    expect(rpc.couponRejection!.message).not.toBe("");
    const mixed = rpcRequest(twoA(), "");
    mixed.items[0]!.unitPrice.currency = "EUR";
    await expect(platform.rpc.promotion.calculateDiscount(mixed)).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it("shows a flash sale as a FLASH_SALE promotion on list prices, with the same total as the quote", async () => {
    await admin().createFlashSale({
      body: {
        name: "C hour",
        startsAt: "2026-01-01T00:00:00Z",
        endsAt: "2026-01-01T01:00:00Z",
        items: [{ productId: A, salePrice: { amount: half(p(A)), currency: "USD" } }],
      },
    });
    const body = {
      ...twoA(),
      items: [...twoA().items, { productId: Z, quantity: 1 }],
      couponCode: "WELCOME10",
    };
    const rest = await quote(body);
    const rpc = await platform.rpc.promotion.calculateDiscount(rpcRequest(body, buyer.customerId));
    // REST: A at its sale price, 10% off Z only. RPC: the same total from the list prices.
    const subtotal = 2 * half(p(A)) + p(Z);
    const total = subtotal - tenth(p(Z));
    expect(rest).toMatchObject({
      subtotal: { amount: subtotal },
      discountTotal: { amount: tenth(p(Z)) },
      total: { amount: total },
    });
    expect(rest.lines[0]).toMatchObject({
      unitPrice: { amount: half(p(A)) },
      flashSaleId: expect.stringMatching(/^fls_/),
    });
    expect(Number(rpc.subtotal!.amountMinor)).toBe(2 * p(A) + p(Z));
    expect(Number(rpc.total!.amountMinor)).toBe(total);
    expect(rpc.appliedPromotions.map((applied) => [applied.kind, Number(applied.amount!.amountMinor)])).toEqual([
      [promotionV1.PromotionKind.FLASH_SALE, 2 * (p(A) - half(p(A)))],
      [promotionV1.PromotionKind.COUPON, tenth(p(Z))],
    ]);
  });
});

describe("promotions and coupons (admin)", () => {
  it("lets only an admin manage them", async () => {
    const customerApi = client(buyer.token).promotion;
    expect((await customerApi.listPromotions({})).response.status).toBe(403);
    expect((await customerApi.getCoupon({ params: { path: { code: WELCOME10_COUPON } } })).response.status).toBe(403);
    expect((await client().promotion.listPromotions({})).response.status).toBe(401);
  });

  it("creates, pages, patches and disables a promotion by the contract's rules", async () => {
    const scheduled = await admin().createPromotion({
      body: {
        name: "Spring",
        discount: { type: "FIXED_AMOUNT", amountOff: { amount: 300, currency: "USD" } },
        scope: { type: "PRODUCTS", productIds: [Z] },
        validFrom: "2026-03-01T00:00:00Z",
        requiresCoupon: false,
        stackable: false,
      },
    });
    expect(scheduled.response.status).toBe(201);
    const promotionId = scheduled.data!.promotionId;
    expect(scheduled.response.headers.get("location")).toBe(`/promotions/${promotionId}`);
    expect(scheduled.data).toMatchObject({
      status: "SCHEDULED",
      requiresCoupon: false,
      stackable: false,
      usageCount: 0,
    });

    const first = await admin().listPromotions({ params: { query: { limit: 2 } } });
    expect(first.data!.items.map((item) => item.promotionId)[0]).toBe(promotionId);
    expect(first.data!.items).toHaveLength(2);
    const second = await admin().listPromotions({
      params: { query: { limit: 2, cursor: first.data!.page.nextCursor! } },
    });
    expect(second.data!.items).toHaveLength(1);
    expect(second.data!.page.nextCursor).toBeUndefined();
    expect((await admin().listPromotions({ params: { query: { status: "SCHEDULED" } } })).data!.items).toHaveLength(1);

    const patched = await admin().updatePromotion({
      params: { path: { promotionId } },
      body: { discount: { type: "PERCENT", percentOff: 50 } },
    });
    expect(patched.data!.discount).toEqual({ type: "PERCENT", percentOff: 50 });
    const unknownProduct = await admin().updatePromotion({
      params: { path: { promotionId } },
      body: { scope: { type: "PRODUCTS", productIds: ["prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z9Z"] } },
    });
    expect(unknownProduct.response.status).toBe(422);

    await platform.advanceClock(60 * 86_400_000);
    await signInAdmin();
    const fresh = await customer();
    expect((await quote(oneZ(), fresh.token)).discountTotal.amount).toBe(half(p(Z)));
    const late = await admin().updatePromotion({
      params: { path: { promotionId } },
      body: { discount: { type: "PERCENT", percentOff: 90 } },
    });
    expect(late.response.status).toBe(409);
    expect(
      (await admin().updatePromotion({ params: { path: { promotionId } }, body: { name: "Spring!" } })).data!.name,
    ).toBe("Spring!");

    const disabled = await admin().disablePromotion({ params: { path: { promotionId } } });
    expect(disabled.data).toMatchObject({ status: "DISABLED", disabledAt: expect.any(String) });
    expect((await quote(oneZ(), fresh.token)).discountTotal.amount).toBe(0);
    expect(
      (await admin().updatePromotion({ params: { path: { promotionId } }, body: { name: "x" } })).response.status,
    ).toBe(409);
    // Nor does it take coupons, which would never work: refused, and none is made.
    const refused = await admin().createCoupon({ params: { path: { promotionId } }, body: { code: "NEVERWORKS" } });
    expect(refused.response.status).toBe(409);
    expect(refused.error).toMatchObject({
      code: "conflict",
      detail: `Promotion ${promotionId} is DISABLED; its coupons would never work.`,
    });
    expect((await admin().getCoupon({ params: { path: { code: "NEVERWORKS" } } })).response.status).toBe(404);
  });

  it("makes coupon codes unique, generates one when none is given, and stops a deactivated one", async () => {
    const { data: promotion } = await admin().createPromotion({
      body: {
        name: "Friends",
        discount: { type: "PERCENT", percentOff: 15 },
        scope: { type: "ORDER" },
        validFrom: "2026-01-01T00:00:00Z",
        requiresCoupon: true,
        stackable: false,
      },
    });
    const path = { promotionId: promotion!.promotionId };
    const generated = await admin().createCoupon({ params: { path }, body: {} });
    expect(generated.response.status).toBe(201);
    expect(generated.data!.code).toMatch(/^[A-Z0-9]{10}$/);
    expect(generated.response.headers.get("location")).toBe(`/coupons/${generated.data!.code}`);
    expect((await admin().createCoupon({ params: { path }, body: { code: WELCOME10_COUPON } })).response.status).toBe(
      409,
    );

    const code = generated.data!.code;
    expect((await quote({ ...twoA(), couponCode: code })).discountTotal.amount).toBe(Math.floor((2 * p(A) * 15) / 100));
    await admin().deactivateCoupon({ params: { path: { code } } });
    expect((await quote({ ...twoA(), couponCode: code })).coupon).toMatchObject({
      applied: false,
      rejectionReason: "DEACTIVATED",
    });
    const listed = await admin().listCoupons({ params: { query: { promotionId: path.promotionId } } });
    expect(listed.data!.items).toEqual([expect.objectContaining({ code, status: "DEACTIVATED" })]);
    expect((await admin().listCoupons({ params: { query: { status: "DEACTIVATED" } } })).data!.items).toHaveLength(1);
  });
});

describe("redemption", () => {
  it("counts a paid order's promotion once, publishes promotion.applied, enforces the limit and gives it back on cancel", async () => {
    const { data: promotion } = await admin().createPromotion({
      body: {
        name: "Once only",
        discount: { type: "PERCENT", percentOff: 20 },
        scope: { type: "ORDER" },
        validFrom: "2026-01-01T00:00:00Z",
        usageLimit: 1,
        requiresCoupon: true,
        stackable: false,
      },
    });
    const promotionId = promotion!.promotionId;
    await admin().createCoupon({ params: { path: { promotionId } }, body: { code: "ONCE" } });
    const fifth = Math.floor((2 * p(A)) / 5);
    expect((await quote({ ...twoA(), couponCode: "ONCE" })).discountTotal.amount).toBe(fifth);

    const order = {
      orderId: "ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R",
      customerId: buyer.customerId,
      checkoutId: "chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S",
      couponCode: "ONCE",
      applied: [{ promotionId, couponCode: "ONCE", discount: { amount: fifth, currency: "USD" } }],
    };
    const paidEventId = await orders.paid(order);
    // The same payment told twice (say, a second publication after a crash) redeems once.
    await orders.paid(order);
    const applied = await eventsOf("ecommerce.promotion.promotion.applied.v1");
    expect(applied).toHaveLength(1);
    expect(applied[0]).toMatchObject({
      correlationId: order.checkoutId,
      causationId: paidEventId,
      partitionKey: promotionId,
      payload: {
        promotionId,
        couponCode: "ONCE",
        orderId: order.orderId,
        customerId: buyer.customerId,
        discount: { amount: fifth, currency: "USD" },
        promotionUsageCount: 1,
        couponUsageCount: 1,
      },
    });
    expect((await admin().getPromotion({ params: { path: { promotionId } } })).data).toMatchObject({
      status: "EXPIRED",
      usageCount: 1,
    });
    expect((await quote({ ...twoA(), couponCode: "ONCE" })).coupon).toMatchObject({
      applied: false,
      rejectionReason: "USAGE_LIMIT_REACHED",
    });

    await orders.canceled(order);
    await platform.settle();
    expect((await admin().getPromotion({ params: { path: { promotionId } } })).data).toMatchObject({
      status: "ACTIVE",
      usageCount: 0,
    });
    expect((await admin().getCoupon({ params: { path: { code: "ONCE" } } })).data!.usageCount).toBe(0);
    expect((await quote({ ...twoA(), couponCode: "ONCE" })).coupon).toEqual({ code: "ONCE", applied: true });
  });

  it("enforces a per-customer limit for the customer who used it, not for others", async () => {
    const { data: promotion } = await admin().createPromotion({
      body: {
        name: "One each",
        discount: { type: "PERCENT", percentOff: 10 },
        scope: { type: "ORDER" },
        validFrom: "2026-01-01T00:00:00Z",
        perCustomerLimit: 1,
        requiresCoupon: true,
        stackable: false,
      },
    });
    await admin().createCoupon({
      params: { path: { promotionId: promotion!.promotionId } },
      body: { code: "ONEEACH" },
    });
    await orders.paid({
      orderId: "ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z3R",
      customerId: buyer.customerId,
      checkoutId: "chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z3S",
      applied: [
        {
          promotionId: promotion!.promotionId,
          couponCode: "ONEEACH",
          discount: { amount: tenth(2 * p(A)), currency: "USD" },
        },
      ],
    });
    await platform.settle();
    expect((await quote({ ...twoA(), couponCode: "ONEEACH" })).coupon).toMatchObject({
      rejectionReason: "CUSTOMER_LIMIT_REACHED",
    });
    const other = await customer();
    expect((await quote({ ...twoA(), couponCode: "ONEEACH" }, other.token)).coupon).toMatchObject({ applied: true });
  });
});

describe("flash sales", () => {
  const sale = () => ({
    name: "Classics hour",
    startsAt: "2026-01-01T01:00:00Z",
    endsAt: "2026-01-01T02:00:00Z",
    items: [{ productId: A, salePrice: { amount: half(p(A)), currency: "USD" }, maxPerCustomer: 2 }],
  });

  it("start and end as the virtual clock crosses their window, and price baskets while running", async () => {
    const created = await admin().createFlashSale({ body: sale() });
    expect(created.response.status).toBe(201);
    const flashSaleId = created.data!.flashSaleId;
    expect(created.data).toMatchObject({ status: "SCHEDULED", startsAt: "2026-01-01T01:00:00.000Z" });
    expect(await eventsOf("ecommerce.promotion.flash_sale.started.v1")).toHaveLength(0);
    expect((await quote(twoA())).lines[0]!.unitPrice.amount).toBe(p(A));

    await platform.advanceClock(60 * 60_000);
    const [started] = await eventsOf("ecommerce.promotion.flash_sale.started.v1");
    expect(started).toMatchObject({
      correlationId: flashSaleId,
      partitionKey: flashSaleId,
      payload: { flashSaleId, name: "Classics hour", items: sale().items },
    });
    const fresh = await customer();
    expect((await quote(twoA(), fresh.token)).lines[0]).toMatchObject({
      unitPrice: { amount: half(p(A)) },
      flashSaleId,
    });
    expect((await client().promotion.listActiveFlashSales({})).data!.items.map((item) => item.flashSaleId)).toEqual([
      flashSaleId,
    ]);
    expect((await client().promotion.getFlashSale({ params: { path: { flashSaleId } } })).data!.status).toBe("ACTIVE");

    await platform.advanceClock(60 * 60_000);
    const [ended] = await eventsOf("ecommerce.promotion.flash_sale.ended.v1");
    expect(ended).toMatchObject({
      causationId: started!.eventId,
      payload: { flashSaleId, reason: "SCHEDULED_END", productIds: [A], endedAt: "2026-01-01T02:00:00.000Z" },
    });
    expect((await client().promotion.listActiveFlashSales({})).data!.items).toEqual([]);
  });

  it("announces both edges when one clock move crosses the whole window", async () => {
    await admin().createFlashSale({ body: sale() });
    await platform.advanceClock(3 * 60 * 60_000);
    const types = (await platform.eventLog.read({ afterSeq: 0, limit: 1000 }))
      .map((event) => event.eventType)
      .filter((type) => type.includes("flash_sale"));
    expect(types).toEqual(["ecommerce.promotion.flash_sale.started.v1", "ecommerce.promotion.flash_sale.ended.v1"]);
  });

  it("ends a running sale on cancel, and refuses overlaps, long windows and non-admins", async () => {
    const { data } = await admin().createFlashSale({ body: sale() });
    expect((await admin().createFlashSale({ body: { ...sale(), name: "Overlap" } })).response.status).toBe(409);
    expect(
      (
        await admin().createFlashSale({
          body: { ...sale(), endsAt: "2026-01-09T01:00:00Z", items: [{ ...sale().items[0]!, productId: S }] },
        })
      ).response.status,
    ).toBe(422);
    expect((await client(buyer.token).promotion.createFlashSale({ body: sale() })).response.status).toBe(403);

    await platform.advanceClock(90 * 60_000);
    await signInAdmin();
    const canceled = await admin().cancelFlashSale({ params: { path: { flashSaleId: data!.flashSaleId } } });
    expect(canceled.data).toMatchObject({ status: "CANCELED", canceledAt: "2026-01-01T01:30:00.000Z" });
    const [ended] = await eventsOf("ecommerce.promotion.flash_sale.ended.v1");
    expect(ended!.payload).toMatchObject({ reason: "CANCELED", endedAt: "2026-01-01T01:30:00.000Z" });
    expect(
      (await admin().cancelFlashSale({ params: { path: { flashSaleId: data!.flashSaleId } } })).response.status,
    ).toBe(409);
  });

  it("feeds the SSE stream: running sales first for a new subscriber, everything after Last-Event-ID for a returning one", async () => {
    await admin().createFlashSale({ body: sale() });
    const history = async () =>
      (await platform.eventLog.read({ afterSeq: 0, limit: 1000 }))
        .map((event) => JSON.parse(event.envelope) as FlashSaleEnvelope)
        .filter((event) => event.eventType.includes("flash_sale"));

    expect(initialFrames(await history(), { now: platform.clock.now() })).toEqual([]);
    await platform.advanceClock(60 * 60_000);
    const [frame] = initialFrames(await history(), { now: platform.clock.now() });
    const started = (await history())[0]!;
    expect(frame).toBe(
      `id: ${started.eventId}\nevent: ecommerce.promotion.flash_sale.started.v1\ndata: ${JSON.stringify(started)}\n\n`,
    );

    await platform.advanceClock(60 * 60_000);
    expect(initialFrames(await history(), { now: platform.clock.now() })).toEqual([]);
    const resumed = initialFrames(await history(), { now: platform.clock.now(), lastEventId: started.eventId });
    expect(resumed).toHaveLength(1);
    expect(resumed[0]).toContain("event: ecommerce.promotion.flash_sale.ended.v1");
  });

  /** Every flash sale, latest start first, as the admin lists them. */
  const flashSales = async () => (await admin().listFlashSales({})).data!.items;
  /** One flash sale as the admin reads it now. */
  const flashSale = async (flashSaleId: string) =>
    (await admin().getFlashSale({ params: { path: { flashSaleId } } })).data!;
  /** Schedule `body` and answer the new sale's id. */
  const scheduled = async (body = sale()) => (await admin().createFlashSale({ body })).data!.flashSaleId;
  /** The sale with its one item changed by `change`. */
  const saleWithItem = (change: Partial<ReturnType<typeof sale>["items"][number]>) => ({
    ...sale(),
    items: [{ ...sale().items[0]!, ...change }],
  });

  it("lists every sale latest start first, by status and page by page", async () => {
    const early = await scheduled();
    const late = await scheduled({
      ...sale(),
      name: "Late hour",
      startsAt: "2026-01-01T03:00:00Z",
      endsAt: "2026-01-01T04:00:00Z",
    });
    await admin().cancelFlashSale({ params: { path: { flashSaleId: early } } });

    expect((await flashSales()).map((item) => [item.flashSaleId, item.status])).toEqual([
      [late, "SCHEDULED"],
      [early, "CANCELED"],
    ]);
    const first = await admin().listFlashSales({ params: { query: { limit: 1 } } });
    expect(first.data!.items.map((item) => item.flashSaleId)).toEqual([late]);
    const second = await admin().listFlashSales({
      params: { query: { limit: 1, cursor: first.data!.page.nextCursor! } },
    });
    expect(second.data!.items.map((item) => item.flashSaleId)).toEqual([early]);
    expect(second.data!.page.nextCursor).toBeUndefined();
    const canceled = await admin().listFlashSales({ params: { query: { status: "CANCELED" } } });
    expect(canceled.data!.items.map((item) => item.flashSaleId)).toEqual([early]);

    // The status filter is as at now: the late sale is ACTIVE once the clock is inside its window.
    await platform.advanceClock(3.5 * 60 * 60_000);
    await signInAdmin();
    const active = await admin().listFlashSales({ params: { query: { status: "ACTIVE" } } });
    expect(active.data!.items.map((item) => item.flashSaleId)).toEqual([late]);
  });

  it("refuses a product listed twice in one sale with a 400 on the repeat, and creates nothing", async () => {
    const twice = { ...sale(), items: [sale().items[0]!, { ...sale().items[0]!, maxPerCustomer: 1 }] };
    const answer = await admin().createFlashSale({ body: twice });
    expectRefusal(answer, 400, "validation", "repeats items/0");
    expect((answer.error as { errors: unknown[] }).errors).toEqual([
      { pointer: "/items/1/productId", message: "repeats items/0; a product is listed once per sale" },
    ]);
    expect(await flashSales()).toEqual([]);
  });

  it("refuses a sale price in another currency than the catalog's with 422, and creates nothing", async () => {
    const answer = await admin().createFlashSale({
      body: saleWithItem({ salePrice: { amount: half(p(A)), currency: "EUR" } }),
    });
    expectRefusal(answer, 422, "unprocessable", `Product ${A} is sold in USD, not EUR.`);
    expect(await flashSales()).toEqual([]);
  });

  it.each([
    ["at", 0],
    ["above", 1],
  ])("refuses a sale price %s the catalog price with 422, and creates nothing", async (_name, over) => {
    const answer = await admin().createFlashSale({
      body: saleWithItem({ salePrice: { amount: p(A) + over, currency: "USD" } }),
    });
    expectRefusal(answer, 422, "unprocessable", `The sale price of ${A} must be below its catalog price (${p(A)}).`);
    expect(await flashSales()).toEqual([]);
  });

  it.each([
    ["before now", "2025-12-31T23:00:00Z"],
    ["exactly now", "2026-01-01T00:00:00Z"],
  ])("refuses a window that ends %s with 422, and creates nothing", async (_name, endsAt) => {
    const answer = await admin().createFlashSale({
      body: { ...sale(), startsAt: "2025-12-31T22:00:00Z", endsAt },
    });
    expectRefusal(
      answer,
      422,
      "unprocessable",
      "The window ends before now (2026-01-01T00:00:00.000Z); a sale must end in the future.",
    );
    expect(await flashSales()).toEqual([]);
  });

  it("refuses to cancel an ENDED sale with 409, and leaves it ended by its schedule", async () => {
    const flashSaleId = await scheduled();
    await platform.advanceClock(3 * 60 * 60_000);
    await signInAdmin();
    const before = await flashSale(flashSaleId);
    expect(before.status).toBe("ENDED");

    const answer = await admin().cancelFlashSale({ params: { path: { flashSaleId } } });
    expectRefusal(answer, 409, "conflict", `Flash sale ${flashSaleId} is ENDED; there is nothing to cancel.`);
    expect(await flashSale(flashSaleId)).toEqual(before);
    expect((await eventsOf("ecommerce.promotion.flash_sale.ended.v1")).map((event) => event.payload.reason)).toEqual([
      "SCHEDULED_END",
    ]);
  });

  it("refuses to cancel a CANCELED sale with 409, and keeps its first cancellation time", async () => {
    const flashSaleId = await scheduled();
    await admin().cancelFlashSale({ params: { path: { flashSaleId } } });
    const before = await flashSale(flashSaleId);
    expect(before).toMatchObject({ status: "CANCELED", canceledAt: "2026-01-01T00:00:00.000Z" });

    await platform.advanceClock(60_000);
    const answer = await admin().cancelFlashSale({ params: { path: { flashSaleId } } });
    expectRefusal(answer, 409, "conflict", `Flash sale ${flashSaleId} is CANCELED; there is nothing to cancel.`);
    expect(await flashSale(flashSaleId)).toEqual(before);
    // It never started, so neither cancellation announced an end.
    expect(await eventsOf("ecommerce.promotion.flash_sale.ended.v1")).toEqual([]);
  });
});

describe("promotion and quote refusals", () => {
  type CreatePromotion = promotionApi.components["schemas"]["CreatePromotionRequest"];
  /** A SCHEDULED $3-off-Z promotion with a $10 minimum, valid from March. */
  const spring = (): CreatePromotion => ({
    name: "Spring",
    discount: { type: "FIXED_AMOUNT", amountOff: { amount: 300, currency: "USD" } },
    scope: { type: "PRODUCTS", productIds: [Z] },
    minimumSubtotal: { amount: 1000, currency: "USD" },
    validFrom: "2026-03-01T00:00:00Z",
    requiresCoupon: false,
    stackable: false,
  });
  /** Every promotion (the seeded ones too), newest first, as the admin lists them. */
  const promotions = async () => (await admin().listPromotions({})).data!.items;
  /** Create `body` and answer the promotion as created. */
  const created = async (body: CreatePromotion) => {
    const answer = await admin().createPromotion({ body });
    expect(answer.response.status, JSON.stringify(answer.error)).toBe(201);
    return answer.data!;
  };
  /** One promotion as the admin reads it now. */
  const promotion = async (promotionId: string) =>
    (await admin().getPromotion({ params: { path: { promotionId } } })).data!;

  it.each([
    ["before", "2026-02-28T00:00:00Z"],
    ["at", "2026-03-01T00:00:00Z"],
  ])("refuses a validUntil %s validFrom with 422, on create and on patch, changing nothing", async (_name, until) => {
    const seeded = await promotions();
    const refused = await admin().createPromotion({ body: { ...spring(), validUntil: until } });
    expectRefusal(refused, 422, "unprocessable", "validUntil must be after validFrom.");
    expect(await promotions()).toEqual(seeded);

    const { promotionId } = await created(spring());
    const before = await promotion(promotionId);
    const patch = await admin().updatePromotion({ params: { path: { promotionId } }, body: { validUntil: until } });
    expectRefusal(patch, 422, "unprocessable", "validUntil must be after validFrom.");
    expect(await promotion(promotionId)).toEqual(before);
  });

  it("refuses an amountOff and a minimum in different currencies with 422, on create and on patch, changing nothing", async () => {
    const seeded = await promotions();
    const refused = await admin().createPromotion({
      body: { ...spring(), minimumSubtotal: { amount: 1000, currency: "EUR" } },
    });
    expectRefusal(refused, 422, "unprocessable", "amountOff and minimumSubtotal must be in the same currency.");
    expect(await promotions()).toEqual(seeded);

    const { promotionId } = await created(spring());
    const before = await promotion(promotionId);
    const patch = await admin().updatePromotion({
      params: { path: { promotionId } },
      body: { discount: { type: "FIXED_AMOUNT", amountOff: { amount: 300, currency: "EUR" } } },
    });
    expectRefusal(patch, 422, "unprocessable", "amountOff and minimumSubtotal must be in the same currency.");
    expect(await promotion(promotionId)).toEqual(before);
  });

  it("refuses the second of two racing patches with 409 and keeps the first's change", async () => {
    const { promotionId } = await created(spring());
    // A later time than the creation's, so the first patch's write moves updated_at past what the second one read.
    await platform.advanceClock(60_000);
    const patch = (name: string) => admin().updatePromotion({ params: { path: { promotionId } }, body: { name } });
    // Sent together, both read the row before either writes: the in-process platform runs the two requests' reads,
    // checks and writes as separate awaits, interleaved in the order they were sent, with no timer or I/O to reorder
    // them (40 repeated runs, with and without a product scope, all ended so).
    const [first, second] = await Promise.all([patch("Spring A"), patch("Spring B")]);
    expect(first.data?.name).toBe("Spring A");
    expectRefusal(
      second,
      409,
      "conflict",
      `Promotion ${promotionId} changed while this patch was checked; read it and try again.`,
    );
    expect(await promotion(promotionId)).toMatchObject({ name: "Spring A", updatedAt: "2026-01-01T00:01:00.000Z" });
  });

  it("refuses a quote listing a product twice with a 400 on the repeat", async () => {
    const answer = await client(buyer.token).promotion.quoteDiscount({
      body: {
        currency: "USD",
        items: [
          { productId: A, quantity: 1 },
          { productId: Z, quantity: 1 },
          { productId: A, quantity: 2 },
        ],
      },
    });
    expectRefusal(answer, 400, "validation", "repeats items/0");
    expect((answer.error as { errors: unknown[] }).errors).toEqual([
      { pointer: "/items/2/productId", message: "repeats items/0; list each product once with its total quantity" },
    ]);
  });

  it("refuses a quote in a currency the catalog does not sell the product in with 422", async () => {
    const answer = await client(buyer.token).promotion.quoteDiscount({
      body: { currency: "EUR", items: [{ productId: A, quantity: 1 }] },
    });
    expectRefusal(answer, 422, "unprocessable", `Product ${A} is not sold in EUR.`);
  });
});
