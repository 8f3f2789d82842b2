import type { promotionApi } from "@ecom/sdk";
import type { Kysely, Transaction } from "kysely";
import { type ContextRuntime, fail, type RestHandlers, requireAdmin } from "../platform/index.js";
import { priceBasketFromStore } from "./basket-pricing.js";
import { readCatalogProducts } from "./catalog-products.js";
import { listPage } from "./filtered-page.js";
import { isoTime, type PromotionRow, statusOfPromotion, toPromotionView } from "./promotion-records.js";
import type { PromotionDatabase } from "./store.js";

type Schemas = promotionApi.components["schemas"];
type Db = Kysely<PromotionDatabase> | Transaction<PromotionDatabase>;

/** A promotion's row, or a 404. */
export async function promotionRow(db: Db, promotionId: string): Promise<PromotionRow> {
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

/** The promotion context's REST operations on promotions (contracts/openapi/promotion.yaml), and the discount quote. */
export function promotionRestHandlers(
  runtime: ContextRuntime<PromotionDatabase>,
): Pick<
  RestHandlers<promotionApi.operations>,
  "listPromotions" | "createPromotion" | "getPromotion" | "updatePromotion" | "disablePromotion" | "quoteDiscount"
> {
  const { db, clock, ids } = runtime;
  const now = () => clock.now().toISOString();

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
  };
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
