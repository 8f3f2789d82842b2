import type { ContextRuntime } from "../platform/index.js";
import type { StockLedger } from "./stock-ledger.js";
import type { InventoryDatabase } from "./store.js";

/** What RestockReturn is asked to put back. */
export interface ReturnRestock {
  readonly returnId: string;
  readonly rmaNumber: string;
  readonly lines: readonly { readonly productId: string; readonly quantity: number }[];
  readonly correlationId: string;
}

/** How a restock came out: the adjustments made (now or by an earlier call), or a product without a stock record. */
export type ReturnRestockOutcome =
  | { readonly kind: "restocked"; readonly adjustmentIds: readonly string[] }
  | { readonly kind: "no-level"; readonly productId: string };

/**
 * Returned copies back on hand: one RESTOCK adjustment (source RETURN) per line, and the return recorded, all in
 * one transaction, so a repeated call (fulfilment retrying after a timeout or a crash) restocks exactly once.
 */
export function createReturnRestocks(runtime: ContextRuntime<InventoryDatabase>, ledger: StockLedger) {
  return {
    async restock(input: ReturnRestock): Promise<ReturnRestockOutcome> {
      return runtime.db
        .transaction()
        .execute(async (trx) => {
          const done = await trx
            .selectFrom("return_restocks")
            .select("adjustment_ids")
            .where("return_id", "=", input.returnId)
            .executeTakeFirst();
          if (done) return { kind: "restocked", adjustmentIds: JSON.parse(done.adjustment_ids) as string[] } as const;
          const adjustmentIds: string[] = [];
          for (const line of input.lines) {
            const outcome = await ledger.adjust(
              trx,
              {
                productId: line.productId,
                delta: line.quantity,
                reason: "RESTOCK",
                source: "RETURN",
                note: `Return ${input.rmaNumber} received in sellable condition`,
              },
              { correlationId: input.correlationId },
            );
            // Adding copies never falls below what is reserved, so only a missing level can refuse; roll back.
            if (outcome.kind !== "applied") throw new MissingLevel(line.productId);
            adjustmentIds.push(outcome.adjustment.adjustmentId);
          }
          await trx
            .insertInto("return_restocks")
            .values({
              return_id: input.returnId,
              adjustment_ids: JSON.stringify(adjustmentIds),
              restocked_at: runtime.clock.now().toISOString(),
            })
            .execute();
          return { kind: "restocked", adjustmentIds } as const;
        })
        .catch((error: unknown) => {
          if (error instanceof MissingLevel) return { kind: "no-level", productId: error.productId } as const;
          throw error;
        });
    },
  };
}

/** Returns restocked exactly once. */
export type ReturnRestocks = ReturnType<typeof createReturnRestocks>;

class MissingLevel extends Error {
  constructor(readonly productId: string) {
    super(`no stock record for ${productId}`);
  }
}
