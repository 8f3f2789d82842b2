/** @ecom/services: the ecom bounded contexts, each its own store, rules and handlers. */
import { analyticsContext } from "./analytics/index.js";
import { cartContext } from "./cart/index.js";
import { catalogContext } from "./catalog/index.js";
import { DEV_ADMIN, DEV_CUSTOMER } from "./customer/dev-accounts.js";
import { customerContext } from "./customer/index.js";
import { fulfilmentContext } from "./fulfilment/index.js";
import { inventoryContext } from "./inventory/index.js";
import { notificationContext } from "./notification/index.js";
import { orderContext } from "./order/index.js";
import { paymentContext } from "./payment/index.js";
import type { AnyContextModule } from "./platform/index.js";
import { promotionContext } from "./promotion/index.js";
import { reviewContext } from "./review/index.js";
import { searchContext } from "./search/index.js";

/** Every context the simulator runs, in the order they start. */
export const allContexts: readonly AnyContextModule[] = [
  customerContext,
  catalogContext,
  inventoryContext,
  promotionContext,
  paymentContext,
  cartContext,
  orderContext,
  fulfilmentContext,
  notificationContext,
  searchContext,
  reviewContext,
  analyticsContext,
];

export {
  analyticsContext,
  cartContext,
  catalogContext,
  customerContext,
  fulfilmentContext,
  inventoryContext,
  notificationContext,
  orderContext,
  paymentContext,
  promotionContext,
  reviewContext,
  searchContext,
};

/** The accounts a fresh store is seeded with, for local development (`ecom sim up` prints their tokens). */
export const devAccounts = { admin: DEV_ADMIN, customer: DEV_CUSTOMER } as const;
export type { DevAccount } from "./customer/dev-accounts.js";

/**
 * Stored forms shorter than what they stand for, as the canonical export shows them (simulator canonical-tables.ts):
 * a row written in either form exports alike.
 */
export { shipmentItemsText } from "./fulfilment/shipment-views.js";
export { reservationItemsText } from "./inventory/reservation-rows.js";
export { historyReasonOf } from "./order/history-reasons.js";
export { addressText } from "./platform/address-tuple.js";
