import { Code, ConnectError } from "@connectrpc/connect";
import { paymentV1 } from "@ecom/sdk/rpc";
import type { ContextRuntime } from "../platform/index.js";
import { returnLines } from "./return-views.js";
import type { FulfilmentDatabase, ReturnTable } from "./store.js";

type Runtime = ContextRuntime<FulfilmentDatabase>;

/** Connect codes worth asking again for later: the other context could not answer now. */
const TRANSIENT = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.Internal, Code.Unknown, Code.Aborted]);

/**
 * Finishes received returns: puts sellable copies back through inventory's RestockReturn, then refunds the returned
 * lines through payment's Refund. Each step was persisted as PENDING when the return was received and is marked
 * DONE only after its call succeeded; both calls are idempotent by the return id, so a retried pass, a crash
 * between the call and the mark, or a restart (which resumes every PENDING step) still restocks and refunds once.
 * A call that fails transiently stays PENDING and is tried again when the clock moves.
 */
export function createReturnProcessor(runtime: Runtime) {
  const { db, rpc, log } = runtime;
  let running: Promise<void> | undefined;
  let again = false;

  const restock = async (row: ReturnTable) => {
    await rpc.inventory.restockReturn({
      returnId: row.return_id,
      rmaNumber: row.rma_number,
      items: returnLines(row).map(({ productId, quantity }) => ({ productId, quantity })),
      correlationId: row.correlation_id,
    });
    await db.updateTable("returns").set({ restock_state: "DONE" }).where("return_id", "=", row.return_id).execute();
  };

  const refund = async (row: ReturnTable) => {
    const shipment = await db
      .selectFrom("shipments")
      .select("payment_id")
      .where("shipment_id", "=", row.shipment_id)
      .executeTakeFirstOrThrow();
    await db
      .updateTable("returns")
      .set({ refund_attempts: row.refund_attempts + 1 })
      .where("return_id", "=", row.return_id)
      .execute();
    const answer = await rpc.payment.refund({
      paymentId: shipment.payment_id,
      amount: { amountMinor: BigInt(row.refund_amount), currency: row.currency },
      reason: paymentV1.RefundReason.RETURN_RECEIVED,
      // One refund per return, whatever happens to this call.
      idempotencyKey: `${row.return_id}:refund`,
    });
    const failed = answer.refundStatus === paymentV1.RefundStatus.FAILED;
    await db
      .updateTable("returns")
      .set({
        refund_state: failed ? "FAILED" : "DONE",
        refund_id: answer.refundId,
        refund_error: failed ? (answer.failure?.message ?? "refused by payment") : null,
      })
      .where("return_id", "=", row.return_id)
      .execute();
    if (failed)
      log.error("payment refused the refund of a return", { returnId: row.return_id, why: answer.failure?.message });
  };

  /** One step; a transient failure leaves it PENDING, anything else marks it FAILED (a retry cannot fix it). */
  const attempt = async (row: ReturnTable, step: "restock" | "refund", action: (row: ReturnTable) => Promise<void>) => {
    try {
      await action(row);
    } catch (error) {
      const connect = ConnectError.from(error);
      if (TRANSIENT.has(connect.code)) {
        log.warn(`a return's ${step} will be tried again`, { returnId: row.return_id, error: connect.message });
        return;
      }
      log.error(`a return's ${step} failed`, { returnId: row.return_id, error: connect.message });
      await db
        .updateTable("returns")
        .set(
          step === "restock"
            ? { restock_state: "FAILED" }
            : { refund_state: "FAILED", refund_error: connect.message.slice(0, 500) },
        )
        .where("return_id", "=", row.return_id)
        .execute();
    }
  };

  const finish = async (row: ReturnTable) => {
    if (row.restock_state === "PENDING") await attempt(row, "restock", restock);
    if (row.refund_state === "PENDING") await attempt(row, "refund", refund);
  };

  const pass = async () => {
    const pending = await db
      .selectFrom("returns")
      .selectAll()
      .where((where) => where.or([where("refund_state", "=", "PENDING"), where("restock_state", "=", "PENDING")]))
      .orderBy("received_at")
      .execute();
    for (const row of pending) await finish(row);
  };

  /** Run passes until no kick is left unanswered. */
  const run = async () => {
    do {
      again = false;
      await pass();
    } while (again);
  };

  return {
    /** Finish what is pending, in the background (after the caller's transaction committed). */
    kick(): void {
      if (running) {
        again = true;
        return;
      }
      running = run()
        .catch((error) => log.error("the return processor failed", { error: String(error) }))
        .finally(() => {
          running = undefined;
        });
    },
    /** Resolves when no pass is running. */
    async idle(): Promise<void> {
      while (running) await running;
    },
  };
}

/** Finishes received returns. */
export type ReturnProcessor = ReturnType<typeof createReturnProcessor>;
