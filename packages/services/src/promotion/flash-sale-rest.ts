import type { promotionApi } from "@ecom/sdk";
import { type ContextRuntime, fail, type RestHandlers, requireAdmin } from "../platform/index.js";
import { readCatalogProducts } from "./catalog-products.js";
import { listPage } from "./filtered-page.js";
import { publishFlashSaleEnded, publishFlashSaleStarted } from "./flash-sale-schedule.js";
import { type FlashSaleRow, flashSaleStatus, isoTime, toFlashSaleView } from "./promotion-records.js";
import type { PromotionDatabase } from "./store.js";

const MAX_FLASH_SALE_MS = 7 * 24 * 60 * 60 * 1000;

/** The promotion context's REST operations on flash sales (contracts/openapi/promotion.yaml), except the SSE stream. */
export function flashSaleRestHandlers(
  runtime: ContextRuntime<PromotionDatabase>,
): Pick<
  RestHandlers<promotionApi.operations>,
  "listFlashSales" | "listActiveFlashSales" | "getFlashSale" | "createFlashSale" | "cancelFlashSale"
> {
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
  return {
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
