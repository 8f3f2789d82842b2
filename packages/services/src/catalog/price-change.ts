import { fail, type ServiceError } from "../platform/index.js";
import type { ProductStatus } from "./store.js";

/** Money as the contracts carry it: integer minor units and an ISO 4217 currency. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** What a price change request leads to. */
export type PricePlan =
  | { readonly kind: "unchanged" }
  | { readonly kind: "change"; readonly previous: Money; readonly next: Money }
  | { readonly kind: "refused"; readonly error: ServiceError };

/**
 * Decide a price change (SCD2: a change closes the current entry and opens a new one). A discontinued product's
 * price is frozen (409); the new price must be in the product's currency, since amounts in two currencies are never
 * compared or converted (422); the price it already has changes nothing and publishes nothing.
 */
export function planPriceChange(
  product: { readonly status: ProductStatus; readonly price: Money },
  requested: Money,
): PricePlan {
  if (product.status === "DISCONTINUED") {
    return { kind: "refused", error: fail.conflict("The product is DISCONTINUED; its price can no longer change.") };
  }
  if (requested.currency !== product.price.currency) {
    return {
      kind: "refused",
      error: fail.unprocessable(
        `The product is priced in ${product.price.currency}; send the new price in ${product.price.currency}, not ${requested.currency}.`,
      ),
    };
  }
  if (requested.amount === product.price.amount) return { kind: "unchanged" };
  return { kind: "change", previous: product.price, next: { amount: requested.amount, currency: requested.currency } };
}
