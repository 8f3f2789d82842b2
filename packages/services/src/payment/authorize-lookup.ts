import type { IdempotencyKeyRow, PaymentMethodRow } from "./payment-model.js";
import type { PaymentStatements } from "./payment-statements.js";

/** The row of Authorize's lookup of its key and its card. */
export type AuthorizeLookup = NonNullable<Awaited<ReturnType<PaymentStatements["keyAndMethod"]["executeTakeFirst"]>>>;

/** The idempotency key of an Authorize's lookup, if it has one. */
export function keyOf(lookup: AuthorizeLookup): IdempotencyKeyRow | undefined {
  return lookup.key_scope_key === null ||
    lookup.key_request_hash === null ||
    lookup.key_resource_id === null ||
    lookup.key_created_at === null
    ? undefined
    : {
        scope_key: lookup.key_scope_key,
        request_hash: lookup.key_request_hash,
        resource_id: lookup.key_resource_id,
        created_at: lookup.key_created_at,
      };
}

/** The card of an Authorize's lookup, if its token has one. */
export function methodOf(lookup: AuthorizeLookup): PaymentMethodRow | undefined {
  return lookup.method_payment_token === null ||
    lookup.method_customer_id === null ||
    lookup.method_brand === null ||
    lookup.method_last4 === null ||
    lookup.method_exp_month === null ||
    lookup.method_exp_year === null ||
    lookup.method_holder_name === null ||
    lookup.method_outcome === null ||
    lookup.method_created_at === null
    ? undefined
    : {
        payment_token: lookup.method_payment_token,
        customer_id: lookup.method_customer_id,
        brand: lookup.method_brand,
        last4: lookup.method_last4,
        exp_month: lookup.method_exp_month,
        exp_year: lookup.method_exp_year,
        holder_name: lookup.method_holder_name,
        outcome: lookup.method_outcome,
        created_at: lookup.method_created_at,
      };
}
