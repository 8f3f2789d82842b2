/**
 * The inventory context's own database. Quantities are copies of a book; timestamps are ISO strings (UTC), so
 * they compare as text in the order they happened.
 */
export interface InventoryDatabase {
  stock_levels: StockLevelTable;
  reservations: ReservationTable;
  adjustments: AdjustmentTable;
  device_reports: DeviceReportTable;
  return_restocks: ReturnRestockTable;
  product_skus: ProductSkuTable;
  device_dead_letters: DeviceDeadLetterTable;
}

/** One product's stock. `on_hand >= reserved >= 0` always holds: every update that moves either checks it. */
export interface StockLevelTable {
  product_id: string;
  on_hand: number;
  reserved: number;
  reorder_level: number;
  /** The status last seen (IN_STOCK, LOW, OUT), so stock.low is raised once per crossing, not on every change. */
  alert_status: string;
  /** Set when the catalog discontinued the product: nothing more can be reserved. */
  discontinued_at: string | null;
  created_at: string;
  updated_at: string;
}

/** A reservation for one checkout; `checkout_id` is unique, which makes ReserveStock idempotent. */
export interface ReservationTable {
  reservation_id: string;
  checkout_id: string;
  /** RESERVED, UNAVAILABLE, RELEASED, COMMITTED or EXPIRED (the proto's names without the prefix). */
  status: string;
  /**
   * The lines `{ productId, quantity }`, sorted by productId, as JSON tuples or (rows written before) objects: what was
   * asked, compared on a retry. Read with reservation-rows.ts `linesOf`.
   */
  items: string;
  /** JSON `[{ productId, requested, available }]`; set for UNAVAILABLE, so a retry gets the same answer. */
  shortages: string | null;
  /**
   * The flow the reservation belongs to, when it is not its checkout's own id; null when it is (the Checkout Saga's
   * reservations, whose flow is their checkout: ~30 bytes a reservation). reservations.ts `correlationOf`.
   */
  correlation_id: string | null;
  /** The stock.reserved event, the cause of the expired event that may follow; null once COMMITTED (none follows). */
  reserved_event_id: string | null;
  order_id: string | null;
  /** The proto ReleaseReason name (PAYMENT_FAILED, CHECKOUT_FAILED, ORDER_CANCELED) when RELEASED. */
  release_reason: string | null;
  created_at: string;
  /** Null for UNAVAILABLE: nothing is held. */
  expires_at: string | null;
  committed_at: string | null;
  /** When it was RELEASED or EXPIRED. */
  released_at: string | null;
}

/** One recorded change of a product's copies on hand; never edited or deleted. */
export interface AdjustmentTable {
  adjustment_id: string;
  product_id: string;
  delta: number;
  reason: string;
  source: string;
  note: string | null;
  adjusted_by: string | null;
  device_id: string | null;
  on_hand_after: number;
  created_at: string;
}

/** The device reports already applied, by (device_id, sequence): a device replaying its buffer changes nothing. */
export interface DeviceReportTable {
  device_id: string;
  sequence: number;
  adjustment_id: string;
  applied_at: string;
}

/** The returns already put back on hand, by return id: RestockReturn called again changes nothing. */
export interface ReturnRestockTable {
  return_id: string;
  /** JSON array of the adjustment ids, in the request's order. */
  adjustment_ids: string;
  restocked_at: string;
}

/** A product's ISBN-13 (the SKU devices report by), from catalog's product.created; ISBNs never change. */
export interface ProductSkuTable {
  isbn: string;
  product_id: string;
}

/**
 * A device report refused, never applied: malformed, for an unknown ISBN, or refused by the stock rules. What was
 * known of it is kept (a malformed one may lack a device or a sequence).
 */
export interface DeviceDeadLetterTable {
  dead_letter_id: string;
  /** The MQTT topic, or null when the refusal came from the stock.adjust command itself. */
  topic: string | null;
  /** The payload as received (the command's payload when the command was refused). */
  payload: string;
  device_id: string | null;
  sequence: number | null;
  product_id: string | null;
  reason: string;
  dead_lettered_at: string;
}
