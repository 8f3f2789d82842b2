import { defineContext } from "../platform/index.js";
import { CheckoutSaga, type CheckoutSagaOptions, DEFAULT_SAGA_OPTIONS } from "./checkout-saga.js";
import { migrations } from "./migrations.js";
import { createOrderStatements } from "./order-statements.js";
import { createOrderStream } from "./order-stream.js";
import { createRestHandlers } from "./rest-handlers.js";
import { registerOrderService } from "./rpc-service.js";
import type { OrderDatabase } from "./store.js";
import { createSubscriptions } from "./subscriptions.js";

/** Tuning of the order context; the defaults suit the simulator, tests shorten the waits. */
export interface OrderContextOptions {
  /** Retries and redrives of the Checkout Saga. */
  readonly saga?: Partial<CheckoutSagaOptions>;
  /** How long `POST /orders` waits for a running saga before answering 202 (real milliseconds; default 3000). */
  readonly createOrderWaitMs?: number;
}

/** The order context: orders, their status history and the Checkout Saga, with the given tuning. */
export function createOrderContext(options: OrderContextOptions = {}) {
  return defineContext<OrderDatabase>({
    name: "order",
    migrations,
    create(runtime) {
      const statements = createOrderStatements(runtime.db);
      const saga = new CheckoutSaga(runtime, statements, { ...DEFAULT_SAGA_OPTIONS, ...options.saga });
      const rest = createRestHandlers(runtime, saga, statements, {
        createOrderWaitMs: options.createOrderWaitMs ?? 3_000,
      });
      return {
        rest: rest,
        // The same handlers answer over Connect, so both surfaces share every rule.
        rpc: (router) => registerOrderService(router, runtime, rest),
        sockets: { streamOrders: createOrderStream(runtime) },
        subscriptions: createSubscriptions(runtime, saga, statements),
        idle: () => saga.idle(),
        // Sagas waiting for a dependency are driven again when their persisted re-drive time falls due.
        tick: async (now) => {
          await saga.redriveDue(now);
        },
        async start() {
          // Every start: sagas a crash or a shutdown left unfinished are driven on to their end, in the background.
          const resumed = await saga.resumeAll();
          if (resumed > 0) runtime.log.info("resuming unfinished checkouts", { count: resumed });
        },
      };
    },
  });
}

/** The order context as the simulator runs it. */
export const orderContext = createOrderContext();

export type { CheckoutSagaOptions, SagaRetryOptions } from "./checkout-saga.js";
export type { OrderDatabase } from "./store.js";
