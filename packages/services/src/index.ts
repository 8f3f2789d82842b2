/** @ecom/services: the ecom bounded contexts, each its own store, rules and handlers. */
import type { AnyContextModule } from "./platform/index.js";

/** Every context the simulator runs, in the order they start. */
export const allContexts: readonly AnyContextModule[] = [];
