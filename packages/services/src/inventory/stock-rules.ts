/**
 * The inventory context's pure rules: how a stock level reads (available, status), when a low-stock alert is due,
 * what a valid reservation request is, and which reservation transitions are allowed. No I/O here.
 */

/** How a product's stock stands, as REST and events name it. */
export type StockStatus = "IN_STOCK" | "LOW" | "OUT";

/** Where a reservation stands (the proto's ReservationStatus names without their prefix). */
export type ReservationState = "RESERVED" | "UNAVAILABLE" | "RELEASED" | "COMMITTED" | "EXPIRED";

/** The reorder level a new stock level starts with; nothing in the contracts sets another one yet. */
export const DEFAULT_REORDER_LEVEL = 5;

/** How long a reservation holds its copies when the caller does not say (proto: ttl_seconds 0 means 900). */
export const DEFAULT_RESERVATION_TTL_SECONDS = 15 * 60;

/** The longest hold a caller may ask for; a day is far beyond any checkout. */
export const MAX_RESERVATION_TTL_SECONDS = 24 * 60 * 60;

/** At most this many lines per reservation and products per query (proto and REST agree). */
export const MAX_LINES = 100;

/** The most copies of one product a reservation line may hold (the events' ReservedItem.quantity maximum). */
export const MAX_LINE_QUANTITY = 99;

const PRODUCT_ID = /^prd_[0-9A-HJKMNP-TV-Z]{26}$/;

/** Copies a new reservation could take: on hand minus reserved, never below zero. */
export function availableOf(level: { readonly onHand: number; readonly reserved: number }): number {
  return Math.max(0, level.onHand - level.reserved);
}

/** OUT when nothing is available, LOW at or below the reorder level, IN_STOCK otherwise. */
export function stockStatus(level: {
  readonly onHand: number;
  readonly reserved: number;
  readonly reorderLevel: number;
}): StockStatus {
  const available = availableOf(level);
  if (available === 0) return "OUT";
  return available <= level.reorderLevel ? "LOW" : "IN_STOCK";
}

const SEVERITY: Readonly<Record<StockStatus, number>> = { IN_STOCK: 0, LOW: 1, OUT: 2 };

/**
 * The stock.low status to raise when a level moves from `previous` to `next`, or undefined. Raised only when the
 * stock gets worse (in stock → low, in stock → out, low → out): once per crossing, never while it stays low or
 * when it recovers.
 */
export function lowStockCrossing(previous: StockStatus, next: StockStatus): "LOW" | "OUT" | undefined {
  if (next === "IN_STOCK" || SEVERITY[next] <= SEVERITY[previous]) return undefined;
  return next;
}

/** A line of a reservation. */
export interface ReservationLine {
  readonly productId: string;
  readonly quantity: number;
}

/** A request problem, pointing at the field that is wrong. */
export interface LineProblem {
  readonly pointer: string;
  readonly message: string;
}

/**
 * Check the lines of a ReserveStock request and sort them by product, so two requests for the same lines compare
 * equal whatever their order. A repeated product is refused rather than summed: it is the caller's bug.
 */
export function normaliseLines(
  lines: readonly ReservationLine[],
): { readonly lines: ReservationLine[] } | { readonly problem: LineProblem } {
  if (lines.length < 1 || lines.length > MAX_LINES) {
    return { problem: { pointer: "/items", message: `must hold 1 to ${MAX_LINES} lines, not ${lines.length}` } };
  }
  const seen = new Set<string>();
  for (const [index, line] of lines.entries()) {
    if (!PRODUCT_ID.test(line.productId)) {
      return {
        problem: { pointer: `/items/${index}/productId`, message: `must be a prd_… id, not "${line.productId}"` },
      };
    }
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_LINE_QUANTITY) {
      return {
        problem: {
          pointer: `/items/${index}/quantity`,
          message: `must be 1 to ${MAX_LINE_QUANTITY}, not ${line.quantity}`,
        },
      };
    }
    if (seen.has(line.productId)) {
      return {
        problem: {
          pointer: `/items/${index}/productId`,
          message: `repeats ${line.productId}; merge the quantities into one line`,
        },
      };
    }
    seen.add(line.productId);
  }
  const sorted = lines.map((line) => ({ productId: line.productId, quantity: line.quantity }));
  sorted.sort((left, right) => (left.productId < right.productId ? -1 : left.productId > right.productId ? 1 : 0));
  return { lines: sorted };
}

/** Whether two normalised line lists ask for the same copies. */
export function sameLines(left: readonly ReservationLine[], right: readonly ReservationLine[]): boolean {
  return (
    left.length === right.length &&
    left.every((line, index) => line.productId === right[index]?.productId && line.quantity === right[index]?.quantity)
  );
}

/** What ReleaseStock does with a reservation in `state`. */
export type ReleaseDecision = "release" | "already-done" | "refuse-committed";

/** RESERVED is released; RELEASED, EXPIRED and UNAVAILABLE succeed unchanged (blind compensation); COMMITTED is sold. */
export function releaseDecision(state: ReservationState): ReleaseDecision {
  if (state === "RESERVED") return "release";
  if (state === "COMMITTED") return "refuse-committed";
  return "already-done";
}

/** What CommitStock does with a reservation in `state`. */
export type CommitDecision = "commit" | "already-done" | "refuse-lapsed" | "refuse-not-held";

/**
 * RESERVED before its expiry is committed; COMMITTED succeeds unchanged; RESERVED at or after its expiry has lapsed
 * even if the expiry job has not run yet; RELEASED, EXPIRED and UNAVAILABLE hold nothing to sell.
 */
export function commitDecision(state: ReservationState, expiresAt: string | null, now: Date): CommitDecision {
  if (state === "COMMITTED") return "already-done";
  if (state !== "RESERVED") return "refuse-not-held";
  if (expiresAt !== null && Date.parse(expiresAt) <= now.getTime()) return "refuse-lapsed";
  return "commit";
}
