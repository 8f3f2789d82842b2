import { defineContext } from "../platform/index.js";
import { type CarrierOptions, createSimulatedCarrier, DEFAULT_CARRIER, planCarrierLegs } from "./carrier.js";
import { migrations } from "./migrations.js";
import { createRestHandlers } from "./rest-handlers.js";
import { createReturnProcessor } from "./return-processor.js";
import { createReturns } from "./returns.js";
import { registerFulfilmentService } from "./rpc-service.js";
import { createShipments } from "./shipments.js";
import type { FulfilmentDatabase } from "./store.js";
import { createSubscriptions } from "./subscriptions.js";

export { type CarrierOptions, DEFAULT_CARRIER } from "./carrier.js";
export type { FulfilmentDatabase } from "./store.js";

/** What can be changed about the fulfilment context, mostly for tests. */
export interface FulfilmentContextOptions {
  /** The simulated carrier's transit time. */
  readonly carrier?: Partial<CarrierOptions>;
}

/**
 * Build the fulfilment context: one shipment per paid order, moved PENDING → PICKED → PACKED → SHIPPED →
 * DELIVERED by the warehouse API and the simulated carrier, stopped when its order is canceled; returns of delivered
 * orders within 30 days, restocked through inventory and refunded through payment once received. REST per
 * contracts/openapi/fulfilment.yaml, events per contracts/asyncapi/fulfilment.yaml.
 */
export function createFulfilmentContext(options: FulfilmentContextOptions = {}) {
  return defineContext<FulfilmentDatabase>({
    name: "fulfilment",
    migrations,
    create(runtime) {
      const shipments = createShipments(runtime, planCarrierLegs({ ...DEFAULT_CARRIER, ...options.carrier }));
      const carrier = createSimulatedCarrier(runtime, shipments);
      const processor = createReturnProcessor(runtime);
      const returns = createReturns(runtime, () => processor.kick());
      const rest = createRestHandlers(runtime, shipments, returns);
      return {
        rest: rest,
        // The same handlers answer over Connect, so both surfaces share every rule.
        rpc: (router) => registerFulfilmentService(router, runtime, rest),
        subscriptions: createSubscriptions(shipments),
        idle: () => processor.idle(),
        tick: async (now) => {
          await carrier.runDue(now);
          // Restocks and refunds that failed for a moment are asked for again as time passes.
          processor.kick();
          await processor.idle();
        },
        start: async () => {
          // A restart may have slept through scans that fell due, or stopped between receiving a return and
          // refunding it: both are picked up where they were.
          await carrier.runDue(runtime.clock.now());
          processor.kick();
        },
      };
    },
  });
}

/** The fulfilment context as the simulator runs it. */
export const fulfilmentContext = createFulfilmentContext();
