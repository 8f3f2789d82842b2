import type { Kysely } from "kysely";
import { defineProjection, type Param, projectionStatement } from "../platform/index.js";
import type { InventoryDatabase } from "./store.js";

/** A product's SKU; an ISBN known already keeps its product. Compiled once: the seed's catalog announces every book. */
const insertSku = projectionStatement(
  (db: Kysely<InventoryDatabase>, param: Param<{ isbn: string; productId: string }>) =>
    db
      .insertInto("product_skus")
      .values({ isbn: param("isbn"), product_id: param("productId") })
      .onConflict((conflict) => conflict.column("isbn").doNothing()),
);

/**
 * `product_sku` (contexts.yaml): each product's ISBN-13, the SKU warehouse devices report by, from catalog's
 * product.created. Inventory's own copy, so the device feed resolves a topic's SKU without reading catalog's store
 * or calling it on every report. An ISBN never changes after creation, so no other event touches it.
 */
export const productSkuProjection = defineProjection<InventoryDatabase>({
  name: "product_sku",
  tables: ["product_skus"],
  handlers: {
    "ecommerce.catalog.product.created.v1": async (message, trx) => {
      const { productId, isbn } = message.payload.product;
      await insertSku(trx).execute(trx, { isbn, productId });
    },
  },
});
