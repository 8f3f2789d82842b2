import type { promotionApi } from "@ecom/sdk";
import { type ContextRuntime, type RestHandlers, requireAdmin } from "../platform/index.js";
import { flashSaleView, listActiveFlashSalesPage, listFlashSalesPage } from "./flash-sale-reads.js";
import { cancelFlashSaleAt, scheduleFlashSale } from "./flash-sale-writes.js";
import type { PromotionDatabase } from "./store.js";

/** The promotion context's REST operations on flash sales (contracts/openapi/promotion.yaml), except the SSE stream. */
export function flashSaleRestHandlers(
  runtime: ContextRuntime<PromotionDatabase>,
): Pick<
  RestHandlers<promotionApi.operations>,
  "listFlashSales" | "listActiveFlashSales" | "getFlashSale" | "createFlashSale" | "cancelFlashSale"
> {
  const { db, clock } = runtime;
  const now = () => clock.now().toISOString();
  return {
    async listFlashSales({ query, principal }) {
      requireAdmin(principal);
      return listFlashSalesPage(db, query, now());
    },

    async listActiveFlashSales({ query }) {
      return listActiveFlashSalesPage(db, query, now());
    },

    async getFlashSale({ path }) {
      return { status: 200, body: await flashSaleView(db, path.flashSaleId, now()) };
    },

    async createFlashSale({ body, principal }) {
      requireAdmin(principal);
      const at = now();
      const flashSaleId = await scheduleFlashSale(runtime, body, at);
      return {
        status: 201,
        headers: { location: `/flash-sales/${flashSaleId}` },
        body: await flashSaleView(db, flashSaleId, at),
      };
    },

    async cancelFlashSale({ path, principal }) {
      requireAdmin(principal);
      const at = now();
      await cancelFlashSaleAt(runtime, path.flashSaleId, at);
      return { status: 200, body: await flashSaleView(db, path.flashSaleId, at) };
    },
  };
}
