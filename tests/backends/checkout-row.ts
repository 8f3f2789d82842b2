import type { Selectable } from "kysely";
import { NEW_STEPS } from "../../packages/services/src/order/checkout-step-log.js";
import type { CheckoutsTable } from "../../packages/services/src/order/store.js";

/** The time every row of these tests is written at. */
export const AT = "2026-12-01T10:00:00.000Z";

/**
 * A saga's row as the checkout's `checked_out` event creates it (STARTED, one book of 10.00 USD, nothing reserved,
 * priced or paid yet), with `changes` over it: the order store's tests start their sagas from here.
 */
export function checkoutRow(
  checkoutId: string,
  changes: Partial<Selectable<CheckoutsTable>> = {},
): Selectable<CheckoutsTable> {
  return {
    checkout_id: checkoutId,
    cart_id: `crt_${checkoutId}`,
    customer_id: "cus_1",
    order_id: `ord_${checkoutId}`,
    correlation_id: "cor_1",
    cause_event_id: "evt_1",
    last_event_id: "evt_1",
    currency: "USD",
    items_json: '[{"productId":"prd_1","quantity":1,"unitPrice":1000}]',
    subtotal: 1000,
    shipping_address_id: "adr_1",
    billing_address_id: null,
    coupon_code: null,
    payment_token: "tok_1",
    state: "STARTED",
    version: 0,
    ...NEW_STEPS,
    reservation_id: null,
    reservation_expires_at: null,
    reservation_expired_at: null,
    pricing_json: null,
    total: null,
    payment_id: null,
    failure_code: null,
    failure_message: null,
    failure_step: null,
    compensations_json: "[]",
    stock_commit: null,
    redrive_at: null,
    started_at: AT,
    updated_at: AT,
    finished_at: null,
    ...changes,
  };
}
