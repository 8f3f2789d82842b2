/**
 * The cart context's own database. Money is integer minor units in the cart's currency; times are ISO 8601 text
 * in `toISOString()` form, so text order is time order.
 */
export interface CartDatabase {
  carts: CartsTable;
  cart_items: CartItemsTable;
}

/** One cart. `updated_at` is the last customer activity; `expires_at` is 7 days after it while OPEN. */
export interface CartsTable {
  cart_id: string;
  customer_id: string;
  /** OPEN, CHECKED_OUT, CONVERTED or EXPIRED. */
  status: string;
  currency: string;
  created_at: string;
  updated_at: string;
  expires_at: string;
  /** The latest checkout of this cart; kept after it ends, for the record. */
  checkout_id: string | null;
}

/** One product in a cart, at the price last seen from the catalog (a call or a price_changed event). */
export interface CartItemsTable {
  item_id: string;
  cart_id: string;
  product_id: string;
  isbn: string;
  title: string;
  quantity: number;
  unit_price: number;
  /** When the catalog set `unit_price`; an older price_changed event never overwrites a newer price. */
  price_as_of: string;
  /** 0 once the catalog discontinued the product: the item stays visible but the cart cannot be checked out. */
  available: number;
  added_at: string;
}
