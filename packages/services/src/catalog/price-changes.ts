import type { catalogApi } from "@ecom/sdk";
import type { ContextRuntime } from "../platform/index.js";
import { planPriceChange } from "./price-change.js";
import { loadProduct } from "./product-reads.js";
import { toPriceHistoryEntry } from "./product-views.js";
import type { Actor } from "./product-writes.js";
import type { CatalogDatabase, PriceChangeReason } from "./store.js";

type Schemas = catalogApi.components["schemas"];

/** A product's price changes, kept as SCD2 price history. */
export class PriceChanges {
  readonly #runtime: ContextRuntime<CatalogDatabase>;

  constructor(runtime: ContextRuntime<CatalogDatabase>) {
    this.#runtime = runtime;
  }

  /**
   * Set a product's price: close the open price entry at `now` and open the next one from `now` (SCD2), then
   * publish product.price_changed with the old and new price. The price it already has changes nothing.
   */
  changePrice(
    productId: string,
    request: Schemas["ChangePriceRequest"],
    actor: Actor,
  ): Promise<Schemas["PriceHistoryEntry"]> {
    const { db, clock, outbox } = this.#runtime;
    return db.transaction().execute(async (trx) => {
      const row = await loadProduct(trx, productId);
      const plan = planPriceChange(
        { status: row.status, price: { amount: row.price_amount, currency: row.price_currency } },
        request.price,
      );
      if (plan.kind === "refused") throw plan.error;
      if (plan.kind === "unchanged") {
        const open = await trx
          .selectFrom("price_history")
          .selectAll()
          .where("product_id", "=", productId)
          .where("effective_until", "is", null)
          .executeTakeFirstOrThrow();
        return toPriceHistoryEntry(open);
      }
      const now = clock.now().toISOString();
      await trx
        .updateTable("price_history")
        .set({ effective_until: now })
        .where("product_id", "=", productId)
        .where("effective_until", "is", null)
        .execute();
      const entry = {
        product_id: productId,
        amount: plan.next.amount,
        currency: plan.next.currency,
        reason: request.reason as PriceChangeReason,
        effective_from: now,
        effective_until: null,
        changed_by: actor.customerId,
      };
      const { seq } = await trx.insertInto("price_history").values(entry).returning("seq").executeTakeFirstOrThrow();
      await trx
        .updateTable("products")
        .set({ price_amount: plan.next.amount, price_currency: plan.next.currency, updated_at: now })
        .where("product_id", "=", productId)
        .execute();
      await outbox.publish(
        trx,
        "ecommerce.catalog.product.price_changed.v1",
        {
          productId,
          isbn: row.isbn,
          previousPrice: plan.previous,
          price: plan.next,
          reason: request.reason,
          effectiveFrom: now,
          changedBy: actor.customerId,
        },
        { partitionKey: productId, correlationId: actor.correlationId },
      );
      return toPriceHistoryEntry({ ...entry, seq });
    });
  }
}
