import type { promotionApi } from "@ecom/sdk";
import type { Kysely, Transaction } from "kysely";
import { type ContextRuntime, fail, type RestHandlers, requireAdmin } from "../platform/index.js";
import { priceBasketFromStore } from "./basket-pricing.js";
import { readCatalogProducts } from "./catalog-products.js";
import { promotionStatus } from "./discount-rules.js";
import { collectPage, pageLimit } from "./filtered-page.js";
import { publishFlashSaleEnded, publishFlashSaleStarted } from "./flash-sale-schedule.js";
import {
  type CouponRow,
  type FlashSaleRow,
  flashSaleStatus,
  isoTime,
  type PromotionRow,
  statusOfPromotion,
  toCouponView,
  toFlashSaleView,
  toPromotionView,
} from "./promotion-records.js";
import type { PromotionDatabase } from "./store.js";

type Schemas = promotionApi.components["schemas"];
type Db = Kysely<PromotionDatabase> | Transaction<PromotionDatabase>;

const MAX_FLASH_SALE_MS = 7 * 24 * 60 * 60 * 1000;
const COUPON_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

async function promotionRow(db: Db, promotionId: string): Promise<PromotionRow> {
  const row = await db.selectFrom("promotions").selectAll().where("promotion_id", "=", promotionId).executeTakeFirst();
  if (!row) throw fail.notFound(`promotion ${promotionId}`);
  return row;
}

/** Check that a rule's window, currencies and products make sense; the catalog is asked about product scopes. */
async function checkRule(
  runtime: ContextRuntime<PromotionDatabase>,
  rule: {
    discount: Schemas["Discount"];
    scope: Schemas["Scope"];
    minimumSubtotal?: Schemas["Money"] | undefined;
    validFrom: string;
    validUntil?: string | undefined;
  },
): Promise<void> {
  if (rule.validUntil !== undefined && Date.parse(rule.validUntil) <= Date.parse(rule.validFrom))
    throw fail.unprocessable("validUntil must be after validFrom.");
  if (
    rule.discount.type === "FIXED_AMOUNT" &&
    rule.minimumSubtotal !== undefined &&
    rule.discount.amountOff.currency !== rule.minimumSubtotal.currency
  )
    throw fail.unprocessable("amountOff and minimumSubtotal must be in the same currency.");
  if (rule.scope.type === "PRODUCTS") {
    const found = await readCatalogProducts(runtime.rpc, rule.scope.productIds);
    const missing = rule.scope.productIds.filter((productId) => !found.has(productId));
    if (missing.length > 0) throw fail.unprocessable(`The catalog has no product ${missing.join(", ")}.`);
  }
  // Category ids cannot be checked: CatalogService offers no category lookup (see the report of issue 5).
}

/** The promotion context's REST operations (contracts/openapi/promotion.yaml), except the SSE stream. */
export function createPromotionRestHandlers(
  runtime: ContextRuntime<PromotionDatabase>,
): RestHandlers<promotionApi.operations> {
  const { db, clock, ids } = runtime;
  const now = () => clock.now().toISOString();

  const itemsOfSales = async (flashSaleIds: readonly string[]) => {
    if (flashSaleIds.length === 0) return new Map<string, never[]>();
    const rows = await db
      .selectFrom("flash_sale_items")
      .selectAll()
      .where("flash_sale_id", "in", flashSaleIds)
      .execute();
    const bySale = new Map<string, typeof rows>();
    for (const row of rows) bySale.set(row.flash_sale_id, [...(bySale.get(row.flash_sale_id) ?? []), row]);
    return bySale;
  };
  const flashSaleViews = async (rows: readonly FlashSaleRow[], at: string) => {
    const items = await itemsOfSales(rows.map((row) => row.flash_sale_id));
    return rows.map((row) => toFlashSaleView(row, items.get(row.flash_sale_id) ?? [], at));
  };
  const flashSaleView = async (flashSaleId: string, at: string) => {
    const sale = await db
      .selectFrom("flash_sales")
      .selectAll()
      .where("flash_sale_id", "=", flashSaleId)
      .executeTakeFirst();
    if (!sale) throw fail.notFound(`flash sale ${flashSaleId}`);
    return toFlashSaleView(sale, (await itemsOfSales([flashSaleId])).get(flashSaleId) ?? [], at);
  };

  /**
   * Answer an admin list: one page of the rows `scan` keeps, from the query's page size and cursor, each shown by
   * `viewsOf` (given the whole page, so it can read what the rows need in one query).
   */
  const listPage = async <TRow, TView>(
    query: { readonly limit?: number | undefined; readonly cursor?: string | undefined },
    scan: Omit<Parameters<typeof collectPage<TRow>>[0], "limit" | "cursor">,
    viewsOf: (rows: TRow[]) => TView[] | Promise<TView[]>,
  ) => {
    const { items: rows, page } = await collectPage({ limit: pageLimit(query.limit), cursor: query.cursor, ...scan });
    return { status: 200 as const, body: { items: await viewsOf(rows), page } };
  };

  return {
    async listPromotions({ query, principal }) {
      requireAdmin(principal);
      const at = now();
      return listPage(
        query,
        {
          filters: { status: query.status },
          // Newest first: ids are time-sortable, so id order is creation order.
          read: (after, count) => {
            let select = db.selectFrom("promotions").selectAll().orderBy("promotion_id", "desc").limit(count);
            if (after) select = select.where("promotion_id", "<", after.id);
            return select.execute();
          },
          keep: (row) => query.status === undefined || statusOfPromotion(row, at) === query.status,
          positionOf: (row) => ({ key: row.created_at, id: row.promotion_id }),
        },
        (rows) => rows.map((row) => toPromotionView(row, at)),
      );
    },

    async createPromotion({ body, principal }) {
      requireAdmin(principal);
      const validFrom = isoTime(body.validFrom);
      const validUntil = body.validUntil === undefined ? undefined : isoTime(body.validUntil);
      await checkRule(runtime, {
        discount: body.discount,
        scope: body.scope,
        minimumSubtotal: body.minimumSubtotal,
        validFrom,
        validUntil,
      });
      const at = now();
      const promotionId = ids.next("prm");
      await db
        .insertInto("promotions")
        .values(promotionValues(promotionId, body, validFrom, validUntil, at))
        .execute();
      return {
        status: 201,
        headers: { location: `/promotions/${promotionId}` },
        body: toPromotionView(await promotionRow(db, promotionId), at),
      };
    },

    async getPromotion({ path, principal }) {
      requireAdmin(principal);
      return { status: 200, body: toPromotionView(await promotionRow(db, path.promotionId), now()) };
    },

    async updatePromotion({ path, body, principal }) {
      requireAdmin(principal);
      const at = now();
      const before = await promotionRow(db, path.promotionId);
      const status = statusOfPromotion(before, at);
      if (status === "DISABLED" || status === "EXPIRED")
        throw fail.conflict(`Promotion ${path.promotionId} is ${status} and can no longer change.`);
      const ruleChanges = body.discount !== undefined || body.scope !== undefined || body.minimumSubtotal !== undefined;
      if (ruleChanges && status !== "SCHEDULED")
        throw fail.conflict(
          `The discount, scope and minimum of promotion ${path.promotionId} can change only while it is SCHEDULED; create a new promotion instead.`,
        );
      const current = toPromotionView(before, at);
      const validFrom = body.validFrom === undefined ? before.valid_from : isoTime(body.validFrom);
      const validUntil = body.validUntil === undefined ? (before.valid_until ?? undefined) : isoTime(body.validUntil);
      const merged = {
        name: body.name ?? current.name,
        description: body.description ?? current.description,
        discount: body.discount ?? current.discount,
        scope: body.scope ?? current.scope,
        minimumSubtotal: body.minimumSubtotal ?? current.minimumSubtotal,
        usageLimit: body.usageLimit ?? current.usageLimit,
        perCustomerLimit: body.perCustomerLimit ?? current.perCustomerLimit,
        requiresCoupon: body.requiresCoupon ?? current.requiresCoupon,
        stackable: body.stackable ?? current.stackable,
      };
      await checkRule(runtime, { ...merged, validFrom, validUntil });
      const values = promotionValues(path.promotionId, merged, validFrom, validUntil, at);
      // Optimistic: the row is written only if nobody changed it since it was read (the catalog was asked meanwhile).
      const {
        usage_count: _usage,
        created_at: _created,
        promotion_id: _id,
        disabled_at: _disabled,
        ...changes
      } = values;
      const written = await db
        .updateTable("promotions")
        .set(changes)
        .where("promotion_id", "=", path.promotionId)
        .where("updated_at", "=", before.updated_at)
        .where("disabled_at", "is", null)
        .executeTakeFirst();
      if (written.numUpdatedRows === 0n)
        throw fail.conflict(
          `Promotion ${path.promotionId} changed while this patch was checked; read it and try again.`,
        );
      return { status: 200, body: toPromotionView(await promotionRow(db, path.promotionId), at) };
    },

    async disablePromotion({ path, principal }) {
      requireAdmin(principal);
      const at = now();
      await promotionRow(db, path.promotionId);
      await db
        .updateTable("promotions")
        .set({ disabled_at: at, updated_at: at })
        .where("promotion_id", "=", path.promotionId)
        .where("disabled_at", "is", null)
        .execute();
      return { status: 200, body: toPromotionView(await promotionRow(db, path.promotionId), at) };
    },

    async createCoupon({ path, body, principal }) {
      requireAdmin(principal);
      const at = now();
      const request = body ?? {};
      const code = await db.transaction().execute(async (trx) => {
        const promotion = await promotionRow(trx, path.promotionId);
        const status = statusOfPromotion(promotion, at);
        if (status === "DISABLED" || status === "EXPIRED")
          throw fail.conflict(`Promotion ${path.promotionId} is ${status}; its coupons would never work.`);
        let code = request.code;
        if (code !== undefined) {
          const taken = await trx.selectFrom("coupons").select("code").where("code", "=", code).executeTakeFirst();
          if (taken) throw fail.conflict(`The coupon code ${code} is taken; choose another or leave code out.`);
        } else {
          for (;;) {
            code = Array.from({ length: 10 }, () => COUPON_ALPHABET[Math.floor(runtime.random() * 32)]).join("");
            const taken = await trx.selectFrom("coupons").select("code").where("code", "=", code).executeTakeFirst();
            if (!taken) break;
          }
        }
        await trx
          .insertInto("coupons")
          .values({
            code,
            promotion_id: path.promotionId,
            usage_limit: request.usageLimit ?? null,
            per_customer_limit: request.perCustomerLimit ?? null,
            usage_count: 0,
            valid_until: request.validUntil === undefined ? null : isoTime(request.validUntil),
            created_at: at,
            deactivated_at: null,
          })
          .execute();
        return code;
      });
      const coupon = await db.selectFrom("coupons").selectAll().where("code", "=", code).executeTakeFirstOrThrow();
      return {
        status: 201,
        headers: { location: `/coupons/${code}` },
        body: toCouponView(coupon, statusOfPromotion(await promotionRow(db, path.promotionId), at), at),
      };
    },

    async listCoupons({ query, principal }) {
      requireAdmin(principal);
      const at = now();
      return listPage(
        query,
        {
          filters: { promotionId: query.promotionId, status: query.status },
          read: (after, count) => {
            let select = db
              .selectFrom("coupons as coupon")
              .innerJoin("promotions as promotion", "promotion.promotion_id", "coupon.promotion_id")
              .selectAll("coupon")
              .select([
                "promotion.valid_from",
                "promotion.valid_until as promotion_valid_until",
                "promotion.usage_limit as promotion_usage_limit",
                "promotion.usage_count as promotion_usage_count",
                "promotion.disabled_at",
              ])
              .orderBy("coupon.created_at", "desc")
              .orderBy("coupon.code", "desc")
              .limit(count);
            if (query.promotionId !== undefined) select = select.where("coupon.promotion_id", "=", query.promotionId);
            if (after)
              select = select.where((eb) =>
                eb.or([
                  eb("coupon.created_at", "<", after.key),
                  eb.and([eb("coupon.created_at", "=", after.key), eb("coupon.code", "<", after.id)]),
                ]),
              );
            return select.execute();
          },
          keep: (row) => query.status === undefined || couponViewOf(row, at).status === query.status,
          positionOf: (row) => ({ key: row.created_at, id: row.code }),
        },
        (rows) => rows.map((row) => couponViewOf(row, at)),
      );
    },

    async getCoupon({ path, principal }) {
      requireAdmin(principal);
      const coupon = await db.selectFrom("coupons").selectAll().where("code", "=", path.code).executeTakeFirst();
      if (!coupon) throw fail.notFound(`coupon ${path.code}`);
      return {
        status: 200,
        body: toCouponView(coupon, statusOfPromotion(await promotionRow(db, coupon.promotion_id), now()), now()),
      };
    },

    async deactivateCoupon({ path, principal }) {
      requireAdmin(principal);
      const at = now();
      await db
        .updateTable("coupons")
        .set({ deactivated_at: at })
        .where("code", "=", path.code)
        .where("deactivated_at", "is", null)
        .execute();
      const coupon = await db.selectFrom("coupons").selectAll().where("code", "=", path.code).executeTakeFirst();
      if (!coupon) throw fail.notFound(`coupon ${path.code}`);
      return {
        status: 200,
        body: toCouponView(coupon, statusOfPromotion(await promotionRow(db, coupon.promotion_id), at), at),
      };
    },

    async quoteDiscount({ body, principal }) {
      const seen = new Map<string, number>();
      body.items.forEach((item, index) => {
        const first = seen.get(item.productId);
        if (first !== undefined)
          throw fail.validation(
            `/items/${index}/productId`,
            `repeats items/${first}; list each product once with its total quantity`,
          );
        seen.set(item.productId, index);
      });
      const products = await readCatalogProducts(
        runtime.rpc,
        body.items.map((item) => item.productId),
      );
      const lines = body.items.map((item) => {
        const product = products.get(item.productId);
        if (!product) throw fail.unprocessable(`The catalog has no product ${item.productId}.`);
        if (!product.active)
          throw fail.unprocessable(`Product ${item.productId} is discontinued and cannot be bought.`);
        if (!product.price || product.price.currency !== body.currency)
          throw fail.unprocessable(`Product ${item.productId} is not sold in ${body.currency}.`);
        return {
          productId: item.productId,
          categoryIds: product.categoryIds,
          quantity: item.quantity,
          listPrice: product.price,
        };
      });
      const at = now();
      const basket = await priceBasketFromStore(db, {
        currency: body.currency,
        lines,
        customerId: principal?.customerId ?? "",
        couponCode: body.couponCode,
        now: at,
      });
      const money = (amount: number) => ({ amount, currency: basket.currency });
      const quote: Schemas["Quote"] = {
        currency: basket.currency,
        lines: basket.lines.map((line) => ({
          productId: line.productId,
          quantity: line.quantity,
          unitPrice: money(line.unitPrice),
          ...(line.flashSaleId === undefined ? {} : { flashSaleId: line.flashSaleId }),
          lineSubtotal: money(line.lineSubtotal),
          discount: money(line.discount),
          lineTotal: money(line.lineTotal),
        })),
        subtotal: money(basket.subtotal),
        discountTotal: money(basket.discountTotal),
        total: money(basket.total),
        appliedPromotions: basket.appliedPromotions.map((applied) => ({
          promotionId: applied.promotionId,
          name: applied.name,
          ...(applied.couponCode === undefined ? {} : { couponCode: applied.couponCode }),
          discount: money(applied.amount),
        })),
        ...(basket.coupon === undefined
          ? {}
          : {
              coupon: {
                code: basket.coupon.code,
                applied: basket.coupon.applied,
                ...(basket.coupon.rejectionReason === undefined
                  ? {}
                  : {
                      // The REST contract has no CUSTOMER_NOT_ELIGIBLE (a guest cannot call it): the nearest reason.
                      rejectionReason:
                        basket.coupon.rejectionReason === "CUSTOMER_NOT_ELIGIBLE"
                          ? "CUSTOMER_LIMIT_REACHED"
                          : basket.coupon.rejectionReason,
                    }),
              },
            }),
        quotedAt: at,
      };
      return { status: 200, body: quote };
    },

    async listFlashSales({ query, principal }) {
      requireAdmin(principal);
      const at = now();
      return listPage(
        query,
        {
          filters: { status: query.status },
          // Latest start first.
          read: (after, count) => {
            let select = db
              .selectFrom("flash_sales")
              .selectAll()
              .orderBy("starts_at", "desc")
              .orderBy("flash_sale_id", "desc")
              .limit(count);
            if (after)
              select = select.where((eb) =>
                eb.or([
                  eb("starts_at", "<", after.key),
                  eb.and([eb("starts_at", "=", after.key), eb("flash_sale_id", "<", after.id)]),
                ]),
              );
            return select.execute();
          },
          keep: (row) => query.status === undefined || flashSaleStatus(row, at) === query.status,
          positionOf: (row) => ({ key: row.starts_at, id: row.flash_sale_id }),
        },
        (rows) => flashSaleViews(rows, at),
      );
    },

    async listActiveFlashSales({ query }) {
      const at = now();
      return listPage(
        query,
        {
          filters: {},
          // Soonest end first.
          read: (after, count) => {
            let select = db
              .selectFrom("flash_sales")
              .selectAll()
              .where("canceled_at", "is", null)
              .where("starts_at", "<=", at)
              .where("ends_at", ">", at)
              .orderBy("ends_at", "asc")
              .orderBy("flash_sale_id", "asc")
              .limit(count);
            if (after)
              select = select.where((eb) =>
                eb.or([
                  eb("ends_at", ">", after.key),
                  eb.and([eb("ends_at", "=", after.key), eb("flash_sale_id", ">", after.id)]),
                ]),
              );
            return select.execute();
          },
          keep: () => true,
          positionOf: (row) => ({ key: row.ends_at, id: row.flash_sale_id }),
        },
        (rows) => flashSaleViews(rows, at),
      );
    },

    async getFlashSale({ path }) {
      return { status: 200, body: await flashSaleView(path.flashSaleId, now()) };
    },

    async createFlashSale({ body, principal }) {
      requireAdmin(principal);
      const at = now();
      const startsAt = isoTime(body.startsAt);
      const endsAt = isoTime(body.endsAt);
      const length = Date.parse(endsAt) - Date.parse(startsAt);
      if (length <= 0) throw fail.unprocessable("endsAt must be after startsAt.");
      if (length > MAX_FLASH_SALE_MS) throw fail.unprocessable("A flash sale lasts at most 7 days.");
      if (endsAt <= at) throw fail.unprocessable(`The window ends before now (${at}); a sale must end in the future.`);
      body.items.forEach((item, index) => {
        const first = body.items.findIndex((other) => other.productId === item.productId);
        if (first !== index)
          throw fail.validation(
            `/items/${index}/productId`,
            `repeats items/${first}; a product is listed once per sale`,
          );
      });
      const products = await readCatalogProducts(
        runtime.rpc,
        body.items.map((item) => item.productId),
      );
      for (const item of body.items) {
        const product = products.get(item.productId);
        if (!product) throw fail.unprocessable(`The catalog has no product ${item.productId}.`);
        if (!product.active) throw fail.unprocessable(`Product ${item.productId} is discontinued.`);
        if (product.price && product.price.currency !== item.salePrice.currency)
          throw fail.unprocessable(
            `Product ${item.productId} is sold in ${product.price.currency}, not ${item.salePrice.currency}.`,
          );
        if (product.price && item.salePrice.amount >= product.price.amount)
          throw fail.unprocessable(
            `The sale price of ${item.productId} must be below its catalog price (${product.price.amount}).`,
          );
      }
      const flashSaleId = ids.next("fls");
      await db.transaction().execute(async (trx) => {
        const overlapping = await trx
          .selectFrom("flash_sale_items as item")
          .innerJoin("flash_sales as sale", "sale.flash_sale_id", "item.flash_sale_id")
          .select(["item.product_id", "sale.flash_sale_id"])
          .where(
            "item.product_id",
            "in",
            body.items.map((item) => item.productId),
          )
          .where("sale.canceled_at", "is", null)
          .where("sale.starts_at", "<", endsAt)
          .where("sale.ends_at", ">", startsAt)
          .executeTakeFirst();
        if (overlapping)
          throw fail.conflict(
            `Product ${overlapping.product_id} is already in flash sale ${overlapping.flash_sale_id} during this window; a product is in one sale at a time.`,
          );
        await trx
          .insertInto("flash_sales")
          .values({
            flash_sale_id: flashSaleId,
            name: body.name,
            starts_at: startsAt,
            ends_at: endsAt,
            created_at: at,
            canceled_at: null,
            started_event_id: null,
            ended_event_id: null,
          })
          .execute();
        await trx
          .insertInto("flash_sale_items")
          .values(
            body.items.map((item, position) => ({
              flash_sale_id: flashSaleId,
              product_id: item.productId,
              position,
              sale_amount: item.salePrice.amount,
              currency: item.salePrice.currency,
              max_per_customer: item.maxPerCustomer ?? null,
            })),
          )
          .execute();
        // A window that has already begun starts now rather than at the next clock move.
        if (startsAt <= at) await publishFlashSaleStarted(runtime, trx, flashSaleId);
      });
      return {
        status: 201,
        headers: { location: `/flash-sales/${flashSaleId}` },
        body: await flashSaleView(flashSaleId, at),
      };
    },

    async cancelFlashSale({ path, principal }) {
      requireAdmin(principal);
      const at = now();
      await db.transaction().execute(async (trx) => {
        const sale = await trx
          .selectFrom("flash_sales")
          .selectAll()
          .where("flash_sale_id", "=", path.flashSaleId)
          .executeTakeFirst();
        if (!sale) throw fail.notFound(`flash sale ${path.flashSaleId}`);
        const status = flashSaleStatus(sale, at);
        if (status === "ENDED" || status === "CANCELED")
          throw fail.conflict(`Flash sale ${path.flashSaleId} is ${status}; there is nothing to cancel.`);
        await trx
          .updateTable("flash_sales")
          .set({ canceled_at: at })
          .where("flash_sale_id", "=", path.flashSaleId)
          .execute();
        // Only a sale whose start was announced is announced as ended.
        if (sale.started_event_id !== null && sale.ended_event_id === null)
          await publishFlashSaleEnded(runtime, trx, { ...sale, canceled_at: at }, "CANCELED", at);
      });
      return { status: 200, body: await flashSaleView(path.flashSaleId, at) };
    },
  };
}

/** A coupons row joined with the fields of its promotion that decide its status. */
interface CouponListRow extends CouponRow {
  valid_from: string;
  promotion_valid_until: string | null;
  promotion_usage_limit: number | null;
  promotion_usage_count: number;
  disabled_at: string | null;
}

/** A coupon's view from a list row. */
function couponViewOf(row: CouponListRow, at: string) {
  const status = promotionStatus(
    {
      validFrom: row.valid_from,
      validUntil: row.promotion_valid_until ?? undefined,
      usageLimit: row.promotion_usage_limit ?? undefined,
      usageCount: row.promotion_usage_count,
      disabledAt: row.disabled_at ?? undefined,
    },
    at,
  );
  return toCouponView(row, status, at);
}

/** The promotions row of a created or patched promotion. */
function promotionValues(
  promotionId: string,
  rule: {
    name: string;
    description?: string | undefined;
    discount: Schemas["Discount"];
    scope: Schemas["Scope"];
    minimumSubtotal?: Schemas["Money"] | undefined;
    usageLimit?: number | undefined;
    perCustomerLimit?: number | undefined;
    requiresCoupon?: boolean | undefined;
    stackable?: boolean | undefined;
  },
  validFrom: string,
  validUntil: string | undefined,
  at: string,
): PromotionRow {
  const { discount, scope } = rule;
  return {
    promotion_id: promotionId,
    name: rule.name,
    description: rule.description ?? null,
    discount_type: discount.type,
    percent_off: discount.type === "PERCENT" ? discount.percentOff : null,
    amount_off: discount.type === "FIXED_AMOUNT" ? discount.amountOff.amount : null,
    amount_off_currency: discount.type === "FIXED_AMOUNT" ? discount.amountOff.currency : null,
    scope_type: scope.type,
    scope_ids: JSON.stringify(
      scope.type === "PRODUCTS" ? scope.productIds : scope.type === "CATEGORIES" ? scope.categoryIds : [],
    ),
    minimum_amount: rule.minimumSubtotal?.amount ?? null,
    minimum_currency: rule.minimumSubtotal?.currency ?? null,
    valid_from: validFrom,
    valid_until: validUntil ?? null,
    usage_limit: rule.usageLimit ?? null,
    per_customer_limit: rule.perCustomerLimit ?? null,
    // The contract's defaults; the gateway validates but does not fill them in.
    requires_coupon: rule.requiresCoupon ? 1 : 0,
    stackable: rule.stackable ? 1 : 0,
    usage_count: 0,
    created_at: at,
    updated_at: at,
    disabled_at: null,
  };
}
