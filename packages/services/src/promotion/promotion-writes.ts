import type { promotionApi } from "@ecom/sdk";
import { type ContextRuntime, fail } from "../platform/index.js";
import { readCatalogProducts } from "./catalog-products.js";
import { isoTime, type PromotionRow, statusOfPromotion, toPromotionView } from "./promotion-records.js";
import type { PromotionDatabase } from "./store.js";

type Schemas = promotionApi.components["schemas"];

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

/**
 * Store a new promotion once its rule is checked. Answers its id and the time it was created at, taken after the
 * catalog answered.
 */
export async function insertPromotion(
  runtime: ContextRuntime<PromotionDatabase>,
  body: Schemas["CreatePromotionRequest"],
): Promise<{ readonly promotionId: string; readonly createdAt: string }> {
  const validFrom = isoTime(body.validFrom);
  const validUntil = body.validUntil === undefined ? undefined : isoTime(body.validUntil);
  await checkRule(runtime, {
    discount: body.discount,
    scope: body.scope,
    minimumSubtotal: body.minimumSubtotal,
    validFrom,
    validUntil,
  });
  const createdAt = runtime.clock.now().toISOString();
  const promotionId = runtime.ids.next("prm");
  await runtime.db
    .insertInto("promotions")
    .values(promotionValues(promotionId, body, validFrom, validUntil, createdAt))
    .execute();
  return { promotionId, createdAt };
}

/**
 * Apply a patch to the promotion `before` at `at`: a DISABLED or EXPIRED one cannot change, its discount, scope and
 * minimum only while SCHEDULED (409 otherwise).
 */
export async function patchPromotion(
  runtime: ContextRuntime<PromotionDatabase>,
  before: PromotionRow,
  body: Schemas["UpdatePromotionRequest"],
  at: string,
): Promise<void> {
  const promotionId = before.promotion_id;
  const status = statusOfPromotion(before, at);
  if (status === "DISABLED" || status === "EXPIRED")
    throw fail.conflict(`Promotion ${promotionId} is ${status} and can no longer change.`);
  const ruleChanges = body.discount !== undefined || body.scope !== undefined || body.minimumSubtotal !== undefined;
  if (ruleChanges && status !== "SCHEDULED")
    throw fail.conflict(
      `The discount, scope and minimum of promotion ${promotionId} can change only while it is SCHEDULED; create a new promotion instead.`,
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
  const values = promotionValues(promotionId, merged, validFrom, validUntil, at);
  // Optimistic: the row is written only if nobody changed it since it was read (the catalog was asked meanwhile).
  const { usage_count: _usage, created_at: _created, promotion_id: _id, disabled_at: _disabled, ...changes } = values;
  const written = await runtime.db
    .updateTable("promotions")
    .set(changes)
    .where("promotion_id", "=", promotionId)
    .where("updated_at", "=", before.updated_at)
    .where("disabled_at", "is", null)
    .executeTakeFirst();
  if (written.numUpdatedRows === 0n)
    throw fail.conflict(`Promotion ${promotionId} changed while this patch was checked; read it and try again.`);
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
