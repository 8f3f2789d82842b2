import type { MessageOf } from "@ecom/sdk";
import type { Kysely, Transaction } from "kysely";
import { defineProjection, greatestOf, type Param, projectionStatement } from "../platform/index.js";
import { stockLevelUpsert } from "./stock-level-statement.js";
import type { SearchDatabase } from "./store.js";

type ReservedItems = MessageOf<"ecommerce.inventory.stock.reserved.v1">["payload"]["items"];

/** Move one product's counts by the amounts given, never below zero (every reservation event of a checkout). */
const shiftProduct = projectionStatement(
  (db: Kysely<SearchDatabase>, param: Param<{ productId: string; onHandBy: number; reservedBy: number; at: string }>) =>
    db
      .updateTable("search_inventory_snapshots")
      .set((eb) => ({
        on_hand: eb.fn(greatestOf(db), [eb("on_hand", "+", param("onHandBy")), eb.lit(0)]),
        reserved: eb.fn(greatestOf(db), [eb("reserved", "+", param("reservedBy")), eb.lit(0)]),
        updated_at: param("at"),
      }))
      .where("product_id", "=", param("productId")),
);

/**
 * Move each item's product's counts by its quantity times `onHandSign` / `reservedSign`, never below zero. A row that
 * does not exist yet is left alone: inventory reserves only products it announced (product.created made the row).
 */
async function shift(
  trx: Transaction<SearchDatabase>,
  items: ReservedItems,
  signs: { readonly onHand: -1 | 0; readonly reserved: -1 | 1 },
  at: string,
): Promise<void> {
  const statement = shiftProduct(trx);
  for (const item of items)
    await statement.execute(trx, {
      productId: item.productId,
      onHandBy: signs.onHand * item.quantity,
      reservedBy: signs.reserved * item.quantity,
      at,
    });
}

/** A product's snapshot at zero, unless it has one already (its opening stock may have come first). */
const openSnapshot = projectionStatement(
  (db: Kysely<SearchDatabase>, param: Param<{ productId: string; at: string }>) =>
    db
      .insertInto("search_inventory_snapshots")
      .values({ product_id: param("productId"), on_hand: 0, reserved: 0, updated_at: param("at") })
      .onConflict((conflict) => conflict.column("product_id").doNothing()),
);

const setSnapshot = stockLevelUpsert("search_inventory_snapshots");

/**
 * The `inventory_snapshot` projection of contexts.yaml (seed 004's inventory snapshot): each product's copies on hand
 * and reserved, from inventory's events alone. stock.adjusted carries the level after it and overwrites the row;
 * between adjustments the reservation events move `reserved` (held, released, expired) and commits take the sold
 * copies off both counts, exactly as inventory's own ledger does. Inventory relays its events in the order it wrote
 * them, so applying them in log order reproduces its numbers.
 */
export const inventorySnapshotProjection = defineProjection<SearchDatabase>({
  name: "inventory_snapshot",
  tables: ["search_inventory_snapshots"],
  handlers: {
    // Inventory opens an empty stock level for every product the catalog announces; its opening stock (if any) follows
    // as a stock.adjusted. Known products therefore read as zero until then, unknown ones as absent.
    "ecommerce.catalog.product.created.v1": async (message, trx) => {
      await openSnapshot(trx).execute(trx, { productId: message.payload.product.productId, at: message.occurredAt });
    },
    "ecommerce.inventory.stock.adjusted.v1": async (message, trx) => {
      const { productId, onHand, reserved } = message.payload;
      await setSnapshot(trx).execute(trx, { productId, onHand, reserved, at: message.occurredAt });
    },
    "ecommerce.inventory.stock.reserved.v1": (message, trx) =>
      shift(trx, message.payload.items, { onHand: 0, reserved: 1 }, message.occurredAt),
    "ecommerce.inventory.stock.released.v1": (message, trx) =>
      shift(trx, message.payload.items, { onHand: 0, reserved: -1 }, message.occurredAt),
    "ecommerce.inventory.reservation.expired.v1": (message, trx) =>
      shift(trx, message.payload.items, { onHand: 0, reserved: -1 }, message.occurredAt),
    // Sold copies leave the shelf and the hold together, so `available` does not move.
    "ecommerce.inventory.stock.committed.v1": (message, trx) =>
      shift(trx, message.payload.items, { onHand: -1, reserved: -1 }, message.occurredAt),
  },
});
