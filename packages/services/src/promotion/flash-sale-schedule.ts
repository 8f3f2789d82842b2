import type { Transaction } from "kysely";
import type { ContextRuntime } from "../platform/index.js";
import { type FlashSaleRow, flashSaleItems } from "./promotion-records.js";
import type { PromotionDatabase } from "./store.js";

/**
 * Publish `ecommerce.promotion.flash_sale.started.v1` for a sale and remember its eventId, in the caller's
 * transaction. The sale's id is the correlation id of everything it causes.
 */
export async function publishFlashSaleStarted(
  runtime: ContextRuntime<PromotionDatabase>,
  trx: Transaction<PromotionDatabase>,
  flashSaleId: string,
): Promise<void> {
  const sale = await trx
    .selectFrom("flash_sales")
    .selectAll()
    .where("flash_sale_id", "=", flashSaleId)
    .executeTakeFirstOrThrow();
  const items = await trx.selectFrom("flash_sale_items").selectAll().where("flash_sale_id", "=", flashSaleId).execute();
  const eventId = await runtime.outbox.publish(
    trx,
    "ecommerce.promotion.flash_sale.started.v1",
    { flashSaleId, name: sale.name, startsAt: sale.starts_at, endsAt: sale.ends_at, items: flashSaleItems(items) },
    { partitionKey: flashSaleId, correlationId: flashSaleId },
  );
  await trx
    .updateTable("flash_sales")
    .set({ started_event_id: eventId })
    .where("flash_sale_id", "=", flashSaleId)
    .execute();
}

/** Publish `ecommerce.promotion.flash_sale.ended.v1` for a sale whose start was announced, in the caller's transaction. */
export async function publishFlashSaleEnded(
  runtime: ContextRuntime<PromotionDatabase>,
  trx: Transaction<PromotionDatabase>,
  sale: FlashSaleRow,
  reason: "SCHEDULED_END" | "CANCELED",
  endedAt: string,
): Promise<void> {
  const items = await trx
    .selectFrom("flash_sale_items")
    .select(["product_id", "position"])
    .where("flash_sale_id", "=", sale.flash_sale_id)
    .orderBy("position")
    .execute();
  const eventId = await runtime.outbox.publish(
    trx,
    "ecommerce.promotion.flash_sale.ended.v1",
    { flashSaleId: sale.flash_sale_id, reason, productIds: items.map((item) => item.product_id), endedAt },
    {
      partitionKey: sale.flash_sale_id,
      correlationId: sale.flash_sale_id,
      causationId: sale.started_event_id ?? undefined,
    },
  );
  await trx
    .updateTable("flash_sales")
    .set({ ended_event_id: eventId })
    .where("flash_sale_id", "=", sale.flash_sale_id)
    .execute();
}

/**
 * Announce every flash sale whose window the clock has crossed: started at `startsAt`, ended at `endsAt`. A jump
 * over a whole window announces both, in order, so a listener always sees a start before its end. Each sale moves
 * in its own transaction; the eventId columns make a second run (a restart, a concurrent tick) change nothing.
 */
export async function announceFlashSales(runtime: ContextRuntime<PromotionDatabase>, now: Date): Promise<void> {
  const at = now.toISOString();
  const due = await runtime.db
    .selectFrom("flash_sales")
    .select("flash_sale_id")
    .where("ended_event_id", "is", null)
    .where("canceled_at", "is", null)
    .where("starts_at", "<=", at)
    .orderBy("starts_at")
    .execute();
  for (const { flash_sale_id: flashSaleId } of due) {
    await runtime.db.transaction().execute(async (trx) => {
      let sale = await trx
        .selectFrom("flash_sales")
        .selectAll()
        .where("flash_sale_id", "=", flashSaleId)
        .executeTakeFirstOrThrow();
      if (sale.canceled_at !== null || sale.ended_event_id !== null) return;
      if (sale.started_event_id === null) {
        await publishFlashSaleStarted(runtime, trx, flashSaleId);
        sale = await trx
          .selectFrom("flash_sales")
          .selectAll()
          .where("flash_sale_id", "=", flashSaleId)
          .executeTakeFirstOrThrow();
      }
      if (sale.ends_at <= at) await publishFlashSaleEnded(runtime, trx, sale, "SCHEDULED_END", sale.ends_at);
    });
  }
}
