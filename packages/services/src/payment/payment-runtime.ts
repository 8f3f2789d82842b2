import type { ContextRuntime } from "../platform/index.js";
import type { KeyedLock } from "../platform/keyed-lock.js";
import type { PaymentStatements } from "./payment-statements.js";
import type { PaymentDatabase } from "./store.js";

/**
 * What the payment operations share: the context's store, clock, ids and outbox, the store's statements (compiled
 * once per context) and the one lock that keeps two calls of this process from asking the processor for the same
 * payment or idempotency key at once.
 */
export interface PaymentRuntime extends Pick<ContextRuntime<PaymentDatabase>, "db" | "clock" | "ids" | "outbox"> {
  readonly statements: PaymentStatements;
  readonly locks: KeyedLock;
}
