import { defineContext } from "../platform/index.js";
import { expireIdleCarts } from "./cart-expiry.js";
import { migrations } from "./migrations.js";
import { createCartRestHandlers } from "./rest-handlers.js";
import { registerCartService } from "./rpc-service.js";
import type { CartDatabase } from "./store.js";
import { createCartSubscriptions } from "./subscriptions.js";

export { CART_IDLE_MS, MAX_LINES, MAX_QUANTITY } from "./cart-rules.js";
export type { CartDatabase } from "./store.js";

/**
 * The cart context: one OPEN cart per customer, items priced from the catalog, checkout that freezes the cart and
 * starts the Checkout Saga (`cart.checked_out`, correlated by the checkout id), the saga's end converting or
 * reopening it, and expiry after 7 idle days on the virtual clock.
 */
export const cartContext = defineContext<CartDatabase>({
  name: "cart",
  migrations,
  create(runtime) {
    const rest = createCartRestHandlers(runtime);
    return {
      rest: rest,
      // The same handlers answer over Connect, so both surfaces share every rule.
      rpc: (router) => registerCartService(router, runtime, rest),
      subscriptions: createCartSubscriptions(runtime),
      tick: async (now) => {
        await expireIdleCarts(runtime, now);
      },
      // A restart may come after deadlines passed: expire what is due.
      start: async () => {
        await expireIdleCarts(runtime, runtime.clock.now());
      },
    };
  },
});
