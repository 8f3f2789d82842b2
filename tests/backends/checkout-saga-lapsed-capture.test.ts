import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { createRpcClients } from "@ecom/sdk";
import { inventoryV1, paymentV1 } from "@ecom/sdk/rpc";
import type { Selectable } from "kysely";
import { expect, it } from "vitest";
import { CheckoutSaga, DEFAULT_SAGA_OPTIONS } from "../../packages/services/src/order/checkout-saga.js";
import {
  type CheckoutStep,
  changeSteps,
  finished,
  readSteps,
  started,
} from "../../packages/services/src/order/checkout-step-log.js";
import { migrations } from "../../packages/services/src/order/migrations.js";
import { createOrderStatements } from "../../packages/services/src/order/order-statements.js";
import type { CheckoutsTable, OrderDatabase } from "../../packages/services/src/order/store.js";
import { describeBackends } from "./backends.js";
import { AT, checkoutRow } from "./checkout-row.js";
import { testContextRuntime } from "./context-runtime.js";
import { useContextStore } from "./context-store.js";

// A saga resumed in capture_payment after its process died there, its hold lapsed meanwhile: on either store, the
// capture the dead run made is found (payment refuses to void it), refunded, and the saga fails saying so; while
// payment does not answer, the saga stays in the step with a re-drive persisted instead of failing.

/** A saga whose earlier run began capture_payment (one attempt) and died; its hold lapsed ten minutes ago. */
function capturing(checkoutId: string): Selectable<CheckoutsTable> {
  const row = checkoutRow(checkoutId, {
    state: "CAPTURING_PAYMENT",
    reservation_id: "rsv_1",
    reservation_expires_at: "2026-12-01T09:50:00.000Z",
    payment_id: "pay_1",
    total: 1000,
  });
  const done = (detail: string) => (step: CheckoutStep) => finished("SUCCEEDED", AT, detail)(started(AT)(step));
  return {
    ...row,
    ...changeSteps(row, {
      reserve_stock: done("Reserved."),
      calculate_discount: done("Priced."),
      authorize_payment: done("Authorized."),
      create_order: done("Created."),
      capture_payment: started(AT),
    }),
  };
}

describeBackends("a Checkout Saga resumed in its capture after the hold lapsed", (backend) => {
  const store = useContextStore<OrderDatabase>(backend, { name: "order", migrations });

  /** The order context's saga runner over the test's store; payment's Void is Unavailable `voidDown` times. */
  function runner(calls: string[], voidDown: { count: number }) {
    const runtime = testContextRuntime<OrderDatabase>({
      name: "order",
      db: store.db,
      clock: { now: () => new Date(AT) },
      rpc: createRpcClients(
        createRouterTransport(({ service }) => {
          service(paymentV1.PaymentService, {
            void: () => {
              calls.push("void");
              if (voidDown.count-- > 0) throw new ConnectError("payment is down", Code.Unavailable);
              throw new ConnectError("Payment pay_1 is CAPTURED", Code.FailedPrecondition);
            },
            refund: (request) => {
              calls.push(`refund ${request.idempotencyKey} ${request.amount?.amountMinor}`);
              return {
                refundId: "rfd_1",
                paymentId: request.paymentId,
                refundStatus: paymentV1.RefundStatus.SUCCEEDED,
                paymentStatus: paymentV1.PaymentStatus.REFUNDED,
              };
            },
            capture: () => {
              calls.push("capture");
              return { paymentId: "pay_1", status: paymentV1.PaymentStatus.CAPTURED };
            },
          });
          service(inventoryV1.InventoryService, {
            commitStock: () => {
              calls.push("commitStock");
              throw new ConnectError("reservation rsv_1 lapsed", Code.FailedPrecondition);
            },
            releaseStock: () => {
              calls.push("releaseStock");
              return { reservationId: "rsv_1", status: inventoryV1.ReservationStatus.EXPIRED };
            },
          });
        }),
      ),
    });
    return new CheckoutSaga(runtime, createOrderStatements(store.db), DEFAULT_SAGA_OPTIONS);
  }

  it("refunds the capture and fails, or waits with a re-drive while payment does not answer", async () => {
    const checkoutId = "chk_lapsed";
    const statements = createOrderStatements(store.db);
    await statements.insertCheckout.execute(store.db, capturing(checkoutId));
    const calls: string[] = [];
    // Down for the four tries of the first run: the step neither fails nor succeeds.
    const voidDown = { count: 4 };
    const saga = runner(calls, voidDown);

    saga.kick(checkoutId);
    await saga.idle();
    const waiting = await statements.readCheckout.executeTakeFirst(store.db, { checkoutId });
    expect(waiting).toMatchObject({ state: "CAPTURING_PAYMENT", failure_code: null });
    expect(waiting?.redrive_at).not.toBeNull();
    expect(calls).toEqual(["void", "void", "void", "void"]);

    calls.length = 0;
    saga.kick(checkoutId);
    await saga.idle();
    const ended = await statements.readCheckout.executeTakeFirst(store.db, { checkoutId });
    expect(ended).toMatchObject({
      state: "FAILED",
      failure_code: "reservation_expired",
      failure_step: "capture_payment",
    });
    expect(ended?.failure_message).toMatch(/refunded/);
    expect(calls).toEqual(["void", "commitStock", `refund ${checkoutId}:lapsed-refund 1000`, "releaseStock"]);
    const steps = readSteps(ended!);
    expect(steps.map((step) => step.status)).toEqual([
      "COMPENSATED",
      "SUCCEEDED",
      "COMPENSATED",
      "SUCCEEDED",
      "FAILED",
    ]);
    expect(steps[2]?.detail).toBe("Captured 10.00 USD before the hold lapsed; refunded as rfd_1.");
    expect(JSON.parse(ended!.compensations_json)).toMatchObject([{ action: "release_stock", reservationId: "rsv_1" }]);
  });
});
