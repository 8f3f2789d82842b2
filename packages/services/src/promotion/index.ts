import { defineContext } from "../platform/index.js";
import { announceFlashSales } from "./flash-sale-schedule.js";
import { FLASH_SALE_EVENT_TYPES, initialFrames, isFlashSaleEvent, toSseFrame } from "./flash-sale-stream.js";
import { migrations } from "./migrations.js";
import { createPromotionRestHandlers } from "./rest-handlers.js";
import { registerPromotionService } from "./rpc-service.js";
import { seedCoupons } from "./seed-coupons.js";
import type { PromotionDatabase } from "./store.js";
import { createPromotionSubscriptions } from "./subscriptions.js";

export {
  FLASH_SALE_EVENT_TYPES,
  type FlashSaleEnvelope,
  initialFrames,
  isFlashSaleEvent,
  KEEP_ALIVE_FRAME,
  KEEP_ALIVE_MS,
  toSseFrame,
} from "./flash-sale-stream.js";
export { SAVE5_COUPON, WELCOME10_COUPON } from "./seed-coupons.js";
export type { PromotionDatabase } from "./store.js";

/**
 * The promotion context: promotions, coupons and flash sales; `POST /promotions/quote` and the CalculateDiscount
 * RPC price baskets with one set of rules; order.paid redeems, order.canceled gives back. `GET /sse/flash-sales`
 * is an event stream the runtime feeds from the log with the functions of flash-sale-stream.ts.
 */
export const promotionContext = defineContext<PromotionDatabase>({
  name: "promotion",
  migrations,
  create(runtime) {
    return {
      rest: createPromotionRestHandlers(runtime),
      rpc: (router) => registerPromotionService(router, runtime),
      streams: {
        streamFlashSales: {
          types: FLASH_SALE_EVENT_TYPES,
          initial: (history, options) => initialFrames(history as never, options),
          frame: (message) => (isFlashSaleEvent(message) ? toSseFrame(message as never) : undefined),
        },
      },
      subscriptions: createPromotionSubscriptions(runtime),
      seed: () => seedCoupons(runtime),
      // A restart may have missed a window's edge: announce what is due.
      start: () => announceFlashSales(runtime, runtime.clock.now()),
      tick: (now) => announceFlashSales(runtime, now),
    };
  },
});
