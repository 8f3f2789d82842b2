import type { ContextParts, ContextRuntime } from "../platform/index.js";
import { deadLetter } from "./device-feed.js";
import type { SeedQuantities } from "./seed-quantities.js";
import type { StockLedger } from "./stock-ledger.js";
import type { InventoryDatabase } from "./store.js";

/**
 * What inventory consumes (contracts/contexts.yaml): the catalog's product events, which create and retire stock
 * levels, and the stock.adjust command from warehouse devices. Each handler runs in the transaction that moves
 * inventory's cursor past the event, so an event takes effect once: a crash undoes both, and an event the cursor
 * has passed is not delivered again.
 */
export function createSubscriptions(
  runtime: ContextRuntime<InventoryDatabase>,
  ledger: StockLedger,
  seedQuantities: SeedQuantities,
): NonNullable<ContextParts<InventoryDatabase>["subscriptions"]> {
  return {
    "ecommerce.catalog.product.created.v1": async (message, trx) => {
      const { productId, isbn } = message.payload.product;
      if (!(await ledger.createLevel(trx, productId))) return;
      // The event carries no quantity: a seeded book gets its opening stock as a recorded restock.
      const quantity = seedQuantities({ productId, isbn });
      if (quantity <= 0) return;
      await ledger.adjust(
        trx,
        { productId, delta: quantity, reason: "RESTOCK", source: "ADMIN", note: "Opening stock of the seeded catalog" },
        { correlationId: message.correlationId, causationId: message.eventId },
      );
    },

    "ecommerce.catalog.product.discontinued.v1": async (message, trx) => {
      // Held copies stay held (their checkouts finish or expire); nothing new can be reserved.
      await trx
        .updateTable("stock_levels")
        .set({ discontinued_at: message.payload.discontinuedAt, updated_at: runtime.clock.now().toISOString() })
        .where("product_id", "=", message.payload.productId)
        .where("discontinued_at", "is", null)
        .execute();
    },

    "ecommerce.inventory.stock.adjust.v1": async (message, trx) => {
      const { productId, delta, reason, deviceId, sequence } = message.payload;
      // A device replaying its buffer after a reconnect sends the same (deviceId, sequence) in a new event.
      const seen = await trx
        .selectFrom("device_reports")
        .select("adjustment_id")
        .where("device_id", "=", deviceId)
        .where("sequence", "=", sequence)
        .executeTakeFirst();
      if (seen) return;
      const outcome = await ledger.adjust(
        trx,
        { productId, delta, reason, source: "DEVICE", deviceId },
        { correlationId: message.correlationId, causationId: message.eventId },
      );
      if (outcome.kind !== "applied") {
        // Rejected per the contract: nothing changes and nothing is published. It joins the feed's dead letters
        // (logged, and listed at GET /_sim/device-feed) so the device's operator learns why.
        await deadLetter(
          runtime,
          trx,
          { topic: null, payload: JSON.stringify(message.payload), deviceId, sequence, productId },
          outcome.kind === "no-level"
            ? "inventory has no stock record for the product"
            : `a delta of ${delta} would leave fewer copies on hand than zero or than reserved`,
        );
        return;
      }
      await trx
        .insertInto("device_reports")
        .values({
          device_id: deviceId,
          sequence,
          adjustment_id: outcome.adjustment.adjustmentId,
          applied_at: runtime.clock.now().toISOString(),
        })
        .execute();
    },
  };
}
