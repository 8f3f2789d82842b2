import type { inventoryApi } from "@ecom/sdk";
import {
  type ContextRuntime,
  decodeQueryCursor,
  fail,
  pageOf,
  type RestHandlers,
  requireAdmin,
} from "../platform/index.js";
import { toReservation } from "./reservation-rows.js";
import type { Reservations } from "./reservations.js";
import { type StockLedger, toAdjustment, toStockLevel } from "./stock-ledger.js";
import type { InventoryDatabase } from "./store.js";

const DEFAULT_PAGE_SIZE = 20;

/** Where a page of adjustments ends: the last one's id (ids are time-sortable, so id order is creation order). */
const isAdjustmentPosition = (value: Record<string, unknown>): value is { id: string } =>
  typeof value.id === "string" && /^adj_[0-9A-HJKMNP-TV-Z]{26}$/.test(value.id);

/** The inventory context's REST operations, per contracts/openapi/inventory.yaml. */
export function createRestHandlers(
  runtime: ContextRuntime<InventoryDatabase>,
  ledger: StockLedger,
  reservations: Reservations,
): RestHandlers<inventoryApi.operations> {
  const { db } = runtime;

  const levelOf = async (productId: string) => {
    const row = await db.selectFrom("stock_levels").selectAll().where("product_id", "=", productId).executeTakeFirst();
    if (!row) throw fail.notFound(`stock level for product ${productId}; the catalog has not announced it`);
    return row;
  };

  return {
    batchGetStockLevels: async ({ query }) => {
      const productIds = [...new Set(query.productIds)];
      const rows = await db.selectFrom("stock_levels").selectAll().where("product_id", "in", productIds).execute();
      const byId = new Map(rows.map((row) => [row.product_id, row]));
      return {
        status: 200,
        body: {
          levels: productIds.flatMap((productId) => {
            const row = byId.get(productId);
            return row ? [toStockLevel(row)] : [];
          }),
          unknownProductIds: productIds.filter((productId) => !byId.has(productId)),
        },
      };
    },

    getStockLevel: async ({ path }) => ({ status: 200, body: toStockLevel(await levelOf(path.productId)) }),

    listStockAdjustments: async ({ path, query, principal }) => {
      requireAdmin(principal);
      await levelOf(path.productId);
      const limit = query.limit ?? DEFAULT_PAGE_SIZE;
      let select = db
        .selectFrom("adjustments")
        .selectAll()
        .where("product_id", "=", path.productId)
        .orderBy("adjustment_id", "desc")
        .limit(limit + 1);
      if (query.reason) select = select.where("reason", "=", query.reason);
      const filters = { productId: path.productId, reason: query.reason };
      const after = decodeQueryCursor(query.cursor, filters, isAdjustmentPosition);
      if (after) select = select.where("adjustment_id", "<", after.id);
      const result = pageOf(await select.execute(), {
        limit,
        filters,
        positionOf: (row) => ({ id: row.adjustment_id }),
      });
      return { status: 200, body: { ...result, items: result.items.map(toAdjustment) } };
    },

    adjustStock: async ({ path, body, principal, correlationId }) => {
      const admin = requireAdmin(principal);
      // The contract's request schema already keeps SENSOR out; this guards a schema that one day lets it in.
      if ((body.reason as string) === "SENSOR") {
        throw fail.unprocessable("Reason SENSOR is for device reports through the stock.adjust command.");
      }
      const outcome = await db.transaction().execute((trx) =>
        ledger.adjust(
          trx,
          {
            productId: path.productId,
            delta: body.delta,
            reason: body.reason,
            source: "ADMIN",
            note: body.note,
            adjustedBy: admin.customerId,
          },
          { correlationId },
        ),
      );
      if (outcome.kind === "no-level") throw fail.notFound(`stock level for product ${path.productId}`);
      if (outcome.kind === "below-reserved") {
        throw fail.conflict(
          `Product ${path.productId} has ${outcome.level.on_hand} on hand and ${outcome.level.reserved} reserved; a delta of ${body.delta} would remove reserved copies. Release the reservations first or adjust by at least ${outcome.level.reserved - outcome.level.on_hand}.`,
        );
      }
      return {
        status: 201,
        body: { adjustment: outcome.adjustment, stock: toStockLevel(outcome.level) },
        headers: { location: `/stock/${path.productId}/adjustments` },
      };
    },

    getReservation: async ({ path, principal }) => {
      requireAdmin(principal);
      const row = await reservations.find(path.reservationId);
      const reservation = row && toReservation(row);
      // An UNAVAILABLE answer held nothing, and the REST Reservation has no form for it.
      if (!reservation) throw fail.notFound(`reservation ${path.reservationId}`);
      return { status: 200, body: reservation };
    },
  };
}
