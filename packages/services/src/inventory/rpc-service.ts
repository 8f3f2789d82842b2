import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { inventoryV1 } from "@ecom/sdk/rpc";
import { type ContextRuntime, ServiceError } from "../platform/index.js";
import type { ReleaseReason, ResolveOutcome } from "./reservation-ends.js";
import { type ReservationRow, shortagesOf } from "./reservation-rows.js";
import type { Reservations } from "./reservations.js";
import type { ReturnRestocks } from "./return-restocks.js";
import { toStockLevel } from "./stock-ledger.js";
import {
  DEFAULT_RESERVATION_TTL_SECONDS,
  MAX_LINES,
  MAX_RESERVATION_TTL_SECONDS,
  normaliseLines,
  type ReservationState,
} from "./stock-rules.js";
import type { InventoryDatabase } from "./store.js";

const { InventoryService, ReservationStatus, ReleaseReason: ProtoReleaseReason, StockStatus } = inventoryV1;

const CHECKOUT_ID = /^chk_[0-9A-HJKMNP-TV-Z]{26}$/;
const RESERVATION_ID = /^rsv_[0-9A-HJKMNP-TV-Z]{26}$/;
const ORDER_ID = /^ord_[0-9A-HJKMNP-TV-Z]{26}$/;
const PRODUCT_ID = /^prd_[0-9A-HJKMNP-TV-Z]{26}$/;
const RETURN_ID = /^ret_[0-9A-HJKMNP-TV-Z]{26}$/;

const STATUS: Readonly<Record<ReservationState, inventoryV1.ReservationStatus>> = {
  RESERVED: ReservationStatus.RESERVED,
  UNAVAILABLE: ReservationStatus.UNAVAILABLE,
  RELEASED: ReservationStatus.RELEASED,
  COMMITTED: ReservationStatus.COMMITTED,
  EXPIRED: ReservationStatus.EXPIRED,
};

const STOCK_STATUS = {
  IN_STOCK: StockStatus.IN_STOCK,
  LOW: StockStatus.LOW_STOCK,
  OUT: StockStatus.OUT_OF_STOCK,
} as const;

function invalid(field: string, message: string): ServiceError {
  return new ServiceError("validation", `${field} ${message}`);
}

function requireId(pattern: RegExp, field: string, value: string, prefix: string): void {
  if (!pattern.test(value)) throw invalid(field, `must be a ${prefix}_… id, not "${value}"`);
}

/** The answer to ReserveStock for a reservation as it stands now. */
function reserveResponse(row: ReservationRow) {
  const status = row.status as ReservationState;
  return create(inventoryV1.ReserveStockResponseSchema, {
    reservationId: row.reservation_id,
    status: STATUS[status],
    unavailableItems:
      status === "UNAVAILABLE"
        ? shortagesOf(row).map((shortage) => ({
            productId: shortage.productId,
            requestedQuantity: shortage.requested,
            availableQuantity: shortage.available,
          }))
        : [],
    ...(row.expires_at === null ? {} : { expiresAt: timestampFromDate(new Date(row.expires_at)) }),
  });
}

/** The reservation a release or commit resolved, or the ServiceError its outcome means. */
function resolved(outcome: ResolveOutcome, reservationId: string): ReservationRow {
  if (outcome.kind === "not-found") throw new ServiceError("not_found", `no reservation ${reservationId}`);
  if (outcome.kind === "refused") throw new ServiceError("conflict", outcome.why);
  return outcome.reservation;
}

const RELEASE_REASON: Readonly<Record<inventoryV1.ReleaseReason, ReleaseReason>> = {
  // Compensation may run blind without saying why; a checkout that is being undone is the common case.
  [ProtoReleaseReason.UNSPECIFIED]: "CHECKOUT_FAILED",
  [ProtoReleaseReason.PAYMENT_FAILED]: "PAYMENT_FAILED",
  [ProtoReleaseReason.CHECKOUT_FAILED]: "CHECKOUT_FAILED",
  [ProtoReleaseReason.ORDER_CANCELED]: "ORDER_CANCELED",
};

/** Serve ecom.inventory.v1.InventoryService per its proto. */
export function registerInventoryService(
  router: ConnectRouter,
  runtime: ContextRuntime<InventoryDatabase>,
  reservations: Reservations,
  returnRestocks: ReturnRestocks,
): void {
  router.service(InventoryService, {
    async reserveStock(request) {
      requireId(CHECKOUT_ID, "checkout_id", request.checkoutId, "chk");
      const normalised = normaliseLines(
        request.items.map((item) => ({ productId: item.productId, quantity: item.quantity })),
      );
      if ("problem" in normalised) {
        throw invalid(normalised.problem.pointer.replace(/^\//, "").replaceAll("/", "."), normalised.problem.message);
      }
      if (request.ttlSeconds < 0 || request.ttlSeconds > MAX_RESERVATION_TTL_SECONDS) {
        throw invalid("ttl_seconds", `must be 0 (the default, 900) to ${MAX_RESERVATION_TTL_SECONDS}`);
      }
      const outcome = await reservations.reserve({
        checkoutId: request.checkoutId,
        // The envelope needs one; a caller that sends none gets the checkout as its flow.
        correlationId: request.correlationId || request.checkoutId,
        lines: normalised.lines,
        ttlSeconds: request.ttlSeconds === 0 ? DEFAULT_RESERVATION_TTL_SECONDS : request.ttlSeconds,
      });
      if (outcome.kind === "different-lines") {
        // The checkout id is the reservation's idempotency key, reused here with other lines.
        throw new ServiceError(
          "idempotency_key_reused",
          `checkout ${request.checkoutId} already reserved other items (reservation ${outcome.reservation.reservation_id}); a new attempt needs a new checkout id`,
        );
      }
      return reserveResponse(outcome.reservation);
    },

    async releaseStock(request) {
      requireId(RESERVATION_ID, "reservation_id", request.reservationId, "rsv");
      const row = resolved(
        await reservations.release(request.reservationId, RELEASE_REASON[request.reason] ?? "CHECKOUT_FAILED"),
        request.reservationId,
      );
      return create(inventoryV1.ReleaseStockResponseSchema, {
        reservationId: row.reservation_id,
        status: STATUS[row.status as ReservationState],
      });
    },

    async commitStock(request) {
      requireId(RESERVATION_ID, "reservation_id", request.reservationId, "rsv");
      requireId(ORDER_ID, "order_id", request.orderId, "ord");
      const row = resolved(await reservations.commit(request.reservationId, request.orderId), request.reservationId);
      return create(inventoryV1.CommitStockResponseSchema, {
        reservationId: row.reservation_id,
        status: STATUS[row.status as ReservationState],
      });
    },

    async restockReturn(request) {
      requireId(RETURN_ID, "return_id", request.returnId, "ret");
      const normalised = normaliseLines(
        request.items.map((item) => ({ productId: item.productId, quantity: item.quantity })),
      );
      if ("problem" in normalised) {
        throw invalid(normalised.problem.pointer.replace(/^\//, "").replaceAll("/", "."), normalised.problem.message);
      }
      const outcome = await returnRestocks.restock({
        returnId: request.returnId,
        rmaNumber: request.rmaNumber || request.returnId,
        lines: normalised.lines,
        correlationId: request.correlationId || request.returnId,
      });
      if (outcome.kind === "no-level")
        throw new ServiceError("not_found", `no stock record for product ${outcome.productId}`);
      return create(inventoryV1.RestockReturnResponseSchema, {
        returnId: request.returnId,
        adjustmentIds: [...outcome.adjustmentIds],
      });
    },

    async queryStock(request) {
      const productIds = [...new Set(request.productIds)];
      if (productIds.length < 1 || productIds.length > MAX_LINES) {
        throw invalid("product_ids", `must name 1 to ${MAX_LINES} products, not ${productIds.length}`);
      }
      for (const [index, productId] of productIds.entries())
        requireId(PRODUCT_ID, `product_ids[${index}]`, productId, "prd");
      const rows = await runtime.db
        .selectFrom("stock_levels")
        .selectAll()
        .where("product_id", "in", productIds)
        .execute();
      const byId = new Map(rows.map((row) => [row.product_id, toStockLevel(row)]));
      return create(inventoryV1.QueryStockResponseSchema, {
        levels: productIds.map((productId) => {
          const level = byId.get(productId);
          return level
            ? {
                productId,
                onHand: level.onHand,
                reserved: level.reserved,
                available: level.available,
                status: STOCK_STATUS[level.status],
              }
            : { productId, onHand: 0, reserved: 0, available: 0, status: StockStatus.OUT_OF_STOCK };
        }),
      });
    },
  });
}
