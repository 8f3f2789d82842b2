import type { Kysely } from "kysely";
import { type Param, projectionStatement } from "../platform/index.js";
import type { SearchDatabase } from "./store.js";

/** Search's tables of a product's copies on hand and reserved, each kept by a projection of its own. */
type StockTable = "search_stock" | "search_inventory_snapshots";

/** The values of a {@link stockLevelUpsert}: the level a stock.adjusted tells, after its adjustment. */
export interface StockLevelValues {
  readonly productId: string;
  readonly onHand: number;
  readonly reserved: number;
  readonly at: string;
}

/** The statement that sets a product's row of `table` to the level a stock.adjusted tells (made if absent). */
export function stockLevelUpsert(table: StockTable) {
  return projectionStatement((db: Kysely<SearchDatabase>, param: Param<StockLevelValues>) =>
    db
      .insertInto(table)
      .values({
        product_id: param("productId"),
        on_hand: param("onHand"),
        reserved: param("reserved"),
        updated_at: param("at"),
      })
      .onConflict((conflict) =>
        conflict
          .column("product_id")
          .doUpdateSet({ on_hand: param("onHand"), reserved: param("reserved"), updated_at: param("at") }),
      ),
  );
}
