import { createRouterTransport } from "@connectrpc/connect";
import { createRpcClients } from "@ecom/sdk";
import { inventoryV1, paymentV1 } from "@ecom/sdk/rpc";
import type { Selectable } from "kysely";
import { expect, it } from "vitest";
import { CheckoutSaga, DEFAULT_SAGA_OPTIONS } from "../../packages/services/src/order/checkout-saga.js";
import { changeSteps, started } from "../../packages/services/src/order/checkout-step-log.js";
import { migrations } from "../../packages/services/src/order/migrations.js";
import { createOrderStatements } from "../../packages/services/src/order/order-statements.js";
import type { CheckoutsTable, OrderDatabase, PricingSnapshot } from "../../packages/services/src/order/store.js";
import { describeBackends } from "./backends.js";
import { AT, checkoutRow } from "./checkout-row.js";
import { testContextRuntime } from "./context-runtime.js";
import { useContextStore } from "./context-store.js";

// Two runners of one Checkout Saga over the same store (two processes on PostgreSQL, or a run and a resume): the one
// whose version is stale must stop quietly when the other has gone past it, even when what stops it is the store
// refusing a row the other already wrote (the order) rather than its versioned UPDATE.

const ADDRESS = { name: "Ada", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };

/** A saga whose stock is reserved and priced, about to authorize its payment. */
function authorizing(checkoutId: string): Selectable<CheckoutsTable> {
  const pricing: PricingSnapshot = {
    products: [{ productId: "prd_1", isbn: "9780000000001", title: "Book" }],
    discount: 0,
    appliedPromotions: [],
    shippingAddress: ADDRESS,
    billingAddress: ADDRESS,
  };
  const row = checkoutRow(checkoutId, {
    cause_event_id: "evt_0",
    last_event_id: "evt_0",
    state: "AUTHORIZING_PAYMENT",
    reservation_id: "rsv_1",
    pricing_json: JSON.stringify(pricing),
    total: 1000,
  });
  return { ...row, ...changeSteps(row, { authorize_payment: started(AT) }) };
}

/** A gate the first Authorize waits at until the test opens it; every later Authorize passes at once. */
function authorizeGate() {
  let reach!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((resolve) => {
    reach = resolve;
  });
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let calls = 0;
  return {
    /** Resolves once the first Authorize waits at the gate. */
    reached,
    open: () => open(),
    async pass(): Promise<void> {
      if (calls++ > 0) return;
      reach();
      await opened;
    },
  };
}

describeBackends("the Checkout Saga run by two runners", (backend) => {
  const store = useContextStore<OrderDatabase>(backend, { name: "order", migrations });

  /** A runner of the order context's sagas over the test's store, as a process of its own has one. */
  function runner(name: string, gate: ReturnType<typeof authorizeGate>, errors: string[]) {
    const { PaymentStatus } = paymentV1;
    const runtime = testContextRuntime<OrderDatabase>({
      name: "order",
      db: store.db,
      idTag: name,
      clock: { now: () => new Date(AT) },
      rpc: createRpcClients(
        createRouterTransport(({ service }) => {
          service(paymentV1.PaymentService, {
            authorize: async () => {
              await gate.pass();
              return { paymentId: "pay_1", status: PaymentStatus.AUTHORIZED };
            },
            capture: () => ({ paymentId: "pay_1", status: PaymentStatus.CAPTURED }),
          });
          service(inventoryV1.InventoryService, { commitStock: () => ({}) });
        }),
      ),
      log: {
        info: () => undefined,
        warn: () => undefined,
        error: (message, fields) => errors.push(`${name}: ${message} ${JSON.stringify(fields)}`),
      },
    });
    return new CheckoutSaga(runtime, createOrderStatements(store.db), DEFAULT_SAGA_OPTIONS);
  }

  it("stops the stale runner quietly when the order it would create is already the other runner's", async () => {
    const checkoutId = "chk_raced";
    const statements = createOrderStatements(store.db);
    await statements.insertCheckout.execute(store.db, authorizing(checkoutId));
    const gate = authorizeGate();
    const errors: string[] = [];
    const stale = runner("stale", gate, errors);
    const winner = runner("winner", gate, errors);

    // The stale runner records its Authorize and waits in it; meanwhile the winner takes the saga from there to its
    // end: it authorizes again (idempotent), creates the order, captures and commits the stock.
    stale.kick(checkoutId);
    await gate.reached;
    winner.kick(checkoutId);
    await winner.idle();
    const ended = await statements.readCheckout.executeTakeFirst(store.db, { checkoutId });
    expect(ended).toMatchObject({ state: "COMPLETED", stock_commit: "COMMITTED" });

    // The stale runner's Authorize answers: it would create the order, which is there already. The other runner won;
    // there is nothing to do and nothing to report.
    gate.open();
    await stale.idle();
    expect(errors).toEqual([]);
    expect(await statements.readCheckout.executeTakeFirst(store.db, { checkoutId })).toEqual(ended);
    const orders = await store.db
      .selectFrom("orders")
      .select("order_id")
      .where("checkout_id", "=", checkoutId)
      .execute();
    expect(orders).toEqual([{ order_id: `ord_${checkoutId}` }]);
  });
});
