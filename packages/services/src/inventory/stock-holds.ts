import type { Transaction } from "kysely";
import { correlationOf, type ReservationRow } from "./reservation-rows.js";
import type { ReservationStatements } from "./reservation-statements.js";
import type { StockLedger, StockLevelRow } from "./stock-ledger.js";
import type { ReservationLine } from "./stock-rules.js";
import type { InventoryDatabase } from "./store.js";

/** What a reservation's change does to stock levels besides its own row: copies given back, low-stock rechecks. */
export class StockHolds {
  readonly #ledger: StockLedger;
  readonly #statements: ReservationStatements;

  constructor(ledger: StockLedger, statements: ReservationStatements) {
    this.#ledger = ledger;
    this.#statements = statements;
  }

  /** Give a held reservation's copies back to `available` (release and expiry). */
  async unhold(trx: Transaction<InventoryDatabase>, lines: readonly ReservationLine[], now: string): Promise<void> {
    for (const line of lines) {
      const changed = await this.#statements.unholdLine.executeChanges(trx, {
        productId: line.productId,
        quantity: line.quantity,
        now,
      });
      // A held reservation's copies are always counted in `reserved`; anything else is a bug worth stopping for.
      if (changed !== 1n) throw new Error(`stock of ${line.productId} holds fewer copies than a reservation`);
    }
  }

  /** Recheck the low-stock alert of each of `row`'s products, in the reservation's flow. */
  async recheck(
    trx: Transaction<InventoryDatabase>,
    row: ReservationRow,
    lines: readonly ReservationLine[],
  ): Promise<void> {
    for (const line of lines) {
      await this.#ledger.recheckAlert(trx, line.productId, { correlationId: correlationOf(row) });
    }
  }

  /**
   * {@link recheck} of levels this transaction has just written and read back (`levels`, by product), so they are
   * not read again; a product on two lines is rechecked as it stands after the first.
   */
  async recheckWritten(
    trx: Transaction<InventoryDatabase>,
    row: ReservationRow,
    lines: readonly ReservationLine[],
    levels: Map<string, StockLevelRow>,
  ): Promise<void> {
    for (const line of lines) {
      const level = levels.get(line.productId);
      if (!level) throw new Error(`stock of ${line.productId} was not read back`);
      levels.set(line.productId, await this.#ledger.recheckAlertOf(trx, level, { correlationId: correlationOf(row) }));
    }
  }
}
