import type { promotionApi } from "@ecom/sdk";
import type { ContextRuntime, RestHandlers } from "../platform/index.js";
import { couponRestHandlers } from "./coupon-rest.js";
import { flashSaleRestHandlers } from "./flash-sale-rest.js";
import { promotionRestHandlers } from "./promotion-rest.js";
import type { PromotionDatabase } from "./store.js";

/** The promotion context's REST operations (contracts/openapi/promotion.yaml), except the SSE stream. */
export function createPromotionRestHandlers(
  runtime: ContextRuntime<PromotionDatabase>,
): RestHandlers<promotionApi.operations> {
  return { ...promotionRestHandlers(runtime), ...couponRestHandlers(runtime), ...flashSaleRestHandlers(runtime) };
}
