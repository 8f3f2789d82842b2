/**
 * What a canonical export (canonical-export.ts) holds: per context, the tables whose rows are the platform's state —
 * orders and their lines, checkouts, payments with their charges and refunds, stock and reservations, shipments and
 * returns, reviews and rating aggregates, catalog prices and ratings, and every read model (search's documents,
 * analytics, notifications) — with the columns that say how a run got there, not where it is, left out.
 */

import { addressText, historyReasonOf, reservationItemsText, shipmentItemsText } from "@ecom/services";
import type { CanonicalRow } from "./canonical-export.js";

/** One table of the export: its columns (all but those dropped) and how its rows are combined. */
export interface CanonicalTable {
  readonly table: string;
  /**
   * A row as its state reads, where the store keeps some of it in a shorter form that rows written by earlier
   * versions do not use: applied before the columns are picked, so both forms of one state export alike.
   */
  readonly read?: (row: CanonicalRow) => CanonicalRow;
  /** Columns to keep; every column when absent. */
  readonly only?: readonly string[];
  /** Columns to drop besides every `*_at` one. */
  readonly drop?: readonly string[];
  /** Rows equal but for their numbers are summed into one (a per-day aggregate whose days are dropped). */
  readonly sum?: true;
}

const PROVENANCE = ["correlation_id", "causation_id", "trigger_event_id", "traceparent"];

/**
 * An order billed to its shipping address keeps that address once: `billing_address_json` is empty (order/store.ts,
 * BILLED_TO_SHIPPING), and orders written before keep both copies. The export shows the address the order is billed
 * to, as the order's API does, instead of an empty string; and each address as its object, however it is kept.
 */
function billedAddress(row: CanonicalRow): CanonicalRow {
  const shipping = asAddressText(row.shipping_address_json);
  const billing = row.billing_address_json === "" ? shipping : asAddressText(row.billing_address_json);
  return { ...row, shipping_address_json: shipping, billing_address_json: billing };
}

/** An address column's text as the object's JSON, whether kept as a tuple (platform/address-tuple.ts) or not. */
const asAddressText = (value: unknown) => (typeof value === "string" ? addressText(value) : value);

/**
 * A shipment keeps its lines and its address as tuples (fulfilment/shipment-views.ts, platform/address-tuple.ts);
 * shipments written before keep objects. The export shows the objects' text either way.
 */
function shipmentAsRead(row: CanonicalRow): CanonicalRow {
  const { items, shipping_address: address } = row;
  return {
    ...row,
    ...(typeof items === "string" ? { items: shipmentItemsText(items) } : {}),
    ...(typeof address === "string" ? { shipping_address: addressText(address) } : {}),
  };
}

/** A status change keeps a standard reason as its code (order/history-reasons.ts); the export shows the reason. */
function statusChangeAsRead(row: CanonicalRow): CanonicalRow {
  const { reason, reason_code: code } = row;
  if (typeof code !== "number") return row;
  return { ...row, reason: historyReasonOf({ reason: typeof reason === "string" ? reason : null, reason_code: code }) };
}

/** A reservation keeps its lines as tuples (inventory/reservation-rows.ts); the export shows the objects' text. */
function reservationAsRead(row: CanonicalRow): CanonicalRow {
  return typeof row.items === "string" ? { ...row, items: reservationItemsText(row.items) } : row;
}

/**
 * The tables a canonical export holds, per context, in the order its ids are ranked (canonical-export.ts says why the
 * order matters). Left out: credentials and sessions, outboxes, cursors and inboxes, idempotency records, search's
 * full-text index (FTS5 or a tsvector table: its relevance differs by backend by design), recorded interactions, and
 * reference data (authors, publishers, categories).
 */
export const CANONICAL_TABLES: readonly (readonly [context: string, tables: readonly CanonicalTable[]])[] = [
  ["customer", [{ table: "customers" }, { table: "addresses" }]],
  [
    "catalog",
    [
      { table: "products", only: ["product_id", "isbn", "title", "price_amount", "price_currency", "status"] },
      { table: "price_history", drop: ["seq", "effective_from", "effective_until"] },
      { table: "product_ratings" },
    ],
  ],
  [
    "order",
    [
      { table: "orders", drop: [...PROVENANCE, "created_event_id"], read: billedAddress },
      { table: "order_items" },
      { table: "order_status_history", drop: [...PROVENANCE, "reason_code"], read: statusChangeAsRead },
      {
        table: "checkouts",
        only: [
          "checkout_id",
          "cart_id",
          "customer_id",
          "order_id",
          "state",
          "step_statuses",
          "items_json",
          "subtotal",
          "total",
          "payment_id",
          "payment_token",
          "failure_code",
          "failure_step",
        ],
      },
    ],
  ],
  [
    "payment",
    [
      { table: "payments", drop: PROVENANCE },
      { table: "charges", drop: ["attempts", "processor_reference"] },
      { table: "refunds", drop: [...PROVENANCE, "attempts", "processor_reference"] },
      { table: "payment_methods" },
    ],
  ],
  [
    "inventory",
    [
      { table: "stock_levels" },
      { table: "reservations", drop: [...PROVENANCE, "reserved_event_id"], read: reservationAsRead },
      { table: "adjustments" },
      { table: "return_restocks" },
    ],
  ],
  [
    "fulfilment",
    [
      { table: "shipments", drop: [...PROVENANCE, "estimated_delivery_date"], read: shipmentAsRead },
      { table: "tracking_events", drop: ["seq"] },
      { table: "returns", drop: [...PROVENANCE, "refund_attempts"] },
    ],
  ],
  ["cart", [{ table: "carts" }, { table: "cart_items", drop: ["price_as_of"] }]],
  [
    "review",
    [{ table: "reviews" }, { table: "review_flags" }, { table: "review_purchases" }, { table: "rating_aggregates" }],
  ],
  [
    "promotion",
    [
      { table: "promotions", only: ["promotion_id", "name", "usage_count"] },
      { table: "coupons", only: ["code", "promotion_id", "usage_count"] },
      { table: "redemptions" },
    ],
  ],
  [
    "search",
    [
      { table: "search_documents", drop: ["doc_id"] },
      { table: "search_stock" },
      { table: "search_inventory_snapshots" },
      { table: "search_ratings" },
      { table: "search_order_lines" },
    ],
  ],
  ["analytics", [{ table: "orders_by_customer" }, { table: "daily_revenue", drop: ["date"], sum: true }]],
  [
    "notification",
    [
      {
        table: "notifications",
        only: ["notification_id", "customer_id", "template_key", "channel", "recipient", "subject", "status"],
      },
      { table: "mailbox", drop: ["message_id"] },
    ],
  ],
];
