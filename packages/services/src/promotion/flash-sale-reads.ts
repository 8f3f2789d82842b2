import type { promotionApi } from "@ecom/sdk";
import type { Kysely, Transaction } from "kysely";
import { fail } from "../platform/index.js";
import { listPage } from "./filtered-page.js";
import { type FlashSaleRow, flashSaleStatus, toFlashSaleView } from "./promotion-records.js";
import type { PromotionDatabase } from "./store.js";

type Operations = promotionApi.operations;

/** The items of each of `flashSaleIds`, by sale, in one query. */
async function itemsOfSales(db: Kysely<PromotionDatabase>, flashSaleIds: readonly string[]) {
  if (flashSaleIds.length === 0) return new Map<string, never[]>();
  const rows = await db.selectFrom("flash_sale_items").selectAll().where("flash_sale_id", "in", flashSaleIds).execute();
  const bySale = new Map<string, typeof rows>();
  for (const row of rows) bySale.set(row.flash_sale_id, [...(bySale.get(row.flash_sale_id) ?? []), row]);
  return bySale;
}

/** The contract's FlashSale of each row, as at `at`. */
async function flashSaleViews(db: Kysely<PromotionDatabase>, rows: readonly FlashSaleRow[], at: string) {
  const items = await itemsOfSales(
    db,
    rows.map((row) => row.flash_sale_id),
  );
  return rows.map((row) => toFlashSaleView(row, items.get(row.flash_sale_id) ?? [], at));
}

/** A flash sale's row, or a 404. */
export async function flashSaleRow(
  db: Kysely<PromotionDatabase> | Transaction<PromotionDatabase>,
  flashSaleId: string,
): Promise<FlashSaleRow> {
  const sale = await db
    .selectFrom("flash_sales")
    .selectAll()
    .where("flash_sale_id", "=", flashSaleId)
    .executeTakeFirst();
  if (!sale) throw fail.notFound(`flash sale ${flashSaleId}`);
  return sale;
}

/** The contract's FlashSale of one sale as at `at`, or a 404. */
export async function flashSaleView(db: Kysely<PromotionDatabase>, flashSaleId: string, at: string) {
  const sale = await flashSaleRow(db, flashSaleId);
  return toFlashSaleView(sale, (await itemsOfSales(db, [flashSaleId])).get(flashSaleId) ?? [], at);
}

/** A page of every flash sale, latest start first, only those in `query.status` (as at `at`) when it is given. */
export function listFlashSalesPage(
  db: Kysely<PromotionDatabase>,
  query: NonNullable<Operations["listFlashSales"]["parameters"]["query"]>,
  at: string,
) {
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
    (rows) => flashSaleViews(db, rows, at),
  );
}

/** A page of the flash sales running at `at`, soonest end first. */
export function listActiveFlashSalesPage(
  db: Kysely<PromotionDatabase>,
  query: NonNullable<Operations["listActiveFlashSales"]["parameters"]["query"]>,
  at: string,
) {
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
    (rows) => flashSaleViews(db, rows, at),
  );
}
