import { defineContext } from "../platform/index.js";
import { createDeviceFeed, createDeviceFeedView, DEVICE_DELTA_CHANNEL } from "./device-feed.js";
import { migrations } from "./migrations.js";
import { productSkuProjection } from "./projections.js";
import { createReservations } from "./reservations.js";
import { createRestHandlers } from "./rest-handlers.js";
import { createReturnRestocks } from "./return-restocks.js";
import { registerInventoryService } from "./rpc-service.js";
import { createSeedQuantities } from "./seed-quantities.js";
import { createStockLedger } from "./stock-ledger.js";
import type { InventoryDatabase } from "./store.js";
import { createSubscriptions } from "./subscriptions.js";

export type { InventoryDatabase } from "./store.js";

/**
 * The inventory context: stock levels, reservations that hold copies for a checkout (15 minutes by default, on the
 * virtual clock), and the adjustments that change what is on hand, from admins and from warehouse devices (the MQTT
 * feed of contracts/mqtt/inventory.yaml, turned into its stock.adjust command). InventoryService per its proto, REST per
 * contracts/openapi/inventory.yaml, and the events of contracts/asyncapi/inventory.yaml.
 */
export const inventoryContext = defineContext<InventoryDatabase>({
  name: "inventory",
  migrations,
  projections: [productSkuProjection],
  create(runtime) {
    const ledger = createStockLedger(runtime);
    const reservations = createReservations(runtime, ledger);
    return {
      rest: createRestHandlers(runtime, ledger, reservations),
      rpc: (router) => registerInventoryService(router, runtime, reservations, createReturnRestocks(runtime, ledger)),
      subscriptions: createSubscriptions(runtime, ledger, createSeedQuantities()),
      feeds: { [DEVICE_DELTA_CHANNEL]: createDeviceFeed(runtime) },
      views: { "device-feed": createDeviceFeedView(runtime) },
      tick: async (now) => {
        await reservations.expireDue(now);
      },
      // A restart may have slept through expiries; give their copies back before taking new checkouts.
      start: async () => {
        await reservations.expireDue(runtime.clock.now());
      },
    };
  },
});
