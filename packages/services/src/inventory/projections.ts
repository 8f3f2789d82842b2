import { defineProjection } from "../platform/index.js";
import type { InventoryDatabase } from "./store.js";

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
      await trx
        .insertInto("product_skus")
        .values({ isbn, product_id: productId })
        .onConflict((conflict) => conflict.column("isbn").doNothing())
        .execute();
    },
  },
});
