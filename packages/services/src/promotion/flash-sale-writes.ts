import type { promotionApi } from "@ecom/sdk";
import { type ContextRuntime, fail } from "../platform/index.js";
import { readCatalogProducts } from "./catalog-products.js";
import { flashSaleRow } from "./flash-sale-reads.js";
import { publishFlashSaleEnded, publishFlashSaleStarted } from "./flash-sale-schedule.js";
import { flashSaleStatus, isoTime } from "./promotion-records.js";
import type { PromotionDatabase } from "./store.js";

type Schemas = promotionApi.components["schemas"];

const MAX_FLASH_SALE_MS = 7 * 24 * 60 * 60 * 1000;

/** Check that a sale's window is forward, at most 7 days long and not over by `at`. */
function checkWindow(startsAt: string, endsAt: string, at: string): void {
  const length = Date.parse(endsAt) - Date.parse(startsAt);
  if (length <= 0) throw fail.unprocessable("endsAt must be after startsAt.");
  if (length > MAX_FLASH_SALE_MS) throw fail.unprocessable("A flash sale lasts at most 7 days.");
  if (endsAt <= at) throw fail.unprocessable(`The window ends before now (${at}); a sale must end in the future.`);
}

/**
 * Check that each product is listed once and that the catalog sells it, in the sale price's currency and above
 * the sale price.
 */
async function checkItems(
  runtime: ContextRuntime<PromotionDatabase>,
  items: readonly Schemas["FlashSaleItem"][],
): Promise<void> {
  items.forEach((item, index) => {
    const first = items.findIndex((other) => other.productId === item.productId);
    if (first !== index)
      throw fail.validation(`/items/${index}/productId`, `repeats items/${first}; a product is listed once per sale`);
  });
  const products = await readCatalogProducts(
    runtime.rpc,
    items.map((item) => item.productId),
  );
  for (const item of items) {
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
}

/**
 * Store a new flash sale, created at `at`, once its window and items are checked; a product already in a sale whose
 * window overlaps is a 409. Answers the new sale's id.
 */
export async function scheduleFlashSale(
  runtime: ContextRuntime<PromotionDatabase>,
  body: Schemas["CreateFlashSaleRequest"],
  at: string,
): Promise<string> {
  const startsAt = isoTime(body.startsAt);
  const endsAt = isoTime(body.endsAt);
  checkWindow(startsAt, endsAt, at);
  await checkItems(runtime, body.items);
  const flashSaleId = runtime.ids.next("fls");
  await runtime.db.transaction().execute(async (trx) => {
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
  return flashSaleId;
}

/** Cancel a SCHEDULED or running sale at `at` (404 if none, 409 once it is over). */
export async function cancelFlashSaleAt(
  runtime: ContextRuntime<PromotionDatabase>,
  flashSaleId: string,
  at: string,
): Promise<void> {
  await runtime.db.transaction().execute(async (trx) => {
    const sale = await flashSaleRow(trx, flashSaleId);
    const status = flashSaleStatus(sale, at);
    if (status === "ENDED" || status === "CANCELED")
      throw fail.conflict(`Flash sale ${flashSaleId} is ${status}; there is nothing to cancel.`);
    await trx.updateTable("flash_sales").set({ canceled_at: at }).where("flash_sale_id", "=", flashSaleId).execute();
    // Only a sale whose start was announced is announced as ended.
    if (sale.started_event_id !== null && sale.ended_event_id === null)
      await publishFlashSaleEnded(runtime, trx, { ...sale, canceled_at: at }, "CANCELED", at);
  });
}
