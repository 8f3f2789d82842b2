import type { Kysely } from "kysely";
import { type CompiledStatement, defineProjection, type Param, projectionStatement } from "../platform/index.js";
import type { SearchDatabase, SearchOrderLineTable } from "./store.js";

/** The values of an insert of several lines: each line's columns named `<index>.<column>`, typed as the column. */
type LineValues = {
  [TColumn in keyof SearchOrderLineTable as `${number}.${TColumn}`]: SearchOrderLineTable[TColumn];
};

/**
 * The insert of an order's `count` lines (nothing for a line already there: the event came again), built and
 * compiled once per line count (see projectionStatement): an order lists a handful of products.
 */
const insertsByCount = new Map<number, (db: Kysely<SearchDatabase>) => CompiledStatement<LineValues, unknown>>();
function insertLines(count: number) {
  let insert = insertsByCount.get(count);
  if (!insert) {
    insert = projectionStatement((db: Kysely<SearchDatabase>, param: Param<LineValues>) =>
      db
        .insertInto("search_order_lines")
        .values(
          Array.from({ length: count }, (_, index) => ({
            order_id: param(`${index}.order_id`),
            product_id: param(`${index}.product_id`),
            customer_id: param(`${index}.customer_id`),
            quantity: param(`${index}.quantity`),
            ordered_at: param(`${index}.ordered_at`),
          })),
        )
        .onConflict((conflict) => conflict.columns(["order_id", "product_id"]).doNothing()),
    );
    if (insertsByCount.size < 32) insertsByCount.set(count, insert);
  }
  return insert;
}

/**
 * The `trending` projection of contexts.yaml: every line of every created order, with who ordered it and when (the
 * order's `createdAt`), from which trending counts units per period and recommendations find books bought together.
 */
export const trendingProjection = defineProjection<SearchDatabase>({
  name: "trending",
  tables: ["search_order_lines"],
  handlers: {
    "ecommerce.order.order.created.v1": async (message, trx) => {
      const { orderId, customerId, items, createdAt } = message.payload;
      // One row per product: an order that lists a product on two lines counts its copies together.
      const quantities = new Map<string, number>();
      for (const item of items) quantities.set(item.productId, (quantities.get(item.productId) ?? 0) + item.quantity);
      const values: LineValues = {};
      let index = 0;
      for (const [productId, quantity] of quantities) {
        values[`${index}.order_id`] = orderId;
        values[`${index}.product_id`] = productId;
        values[`${index}.customer_id`] = customerId;
        values[`${index}.quantity`] = quantity;
        values[`${index}.ordered_at`] = createdAt;
        index++;
      }
      await insertLines(quantities.size)(trx).execute(trx, values);
    },
  },
});
