import { inventoryV1, paymentV1 } from "@ecom/sdk/rpc";
import { describe, expect, it } from "vitest";
import {
  CHECKOUT_STEPS,
  type CheckoutStepName,
  cancellationReasonFor,
  FAILURE_MESSAGES,
  failureCodeOfPayment,
  isTerminal,
  LOCAL_STEPS,
  mergeLines,
  messageAfterRefund,
  nextAction,
  pendingCompensations,
  releaseReasonFor,
  type SagaAction,
  type StepStatus,
  stateAfter,
  stepAfter,
} from "./checkout-saga-rules.js";

describe("the saga's next action", () => {
  const cases: [string, { given: { state: string; stockCommit: string | null }; want: SagaAction }][] = [
    [
      "a new saga reserves stock",
      { given: { state: "STARTED", stockCommit: null }, want: { kind: "run", step: "reserve_stock" } },
    ],
    [
      "a saga found reserving (a crash before the answer was recorded) reserves again",
      { given: { state: "RESERVING_STOCK", stockCommit: null }, want: { kind: "run", step: "reserve_stock" } },
    ],
    [
      "a saga found calculating calculates again",
      {
        given: { state: "CALCULATING_DISCOUNT", stockCommit: null },
        want: { kind: "run", step: "calculate_discount" },
      },
    ],
    [
      "a saga found authorizing authorizes again (same idempotency key)",
      { given: { state: "AUTHORIZING_PAYMENT", stockCommit: null }, want: { kind: "run", step: "authorize_payment" } },
    ],
    [
      "a saga found creating the order creates it",
      { given: { state: "CREATING_ORDER", stockCommit: null }, want: { kind: "run", step: "create_order" } },
    ],
    [
      "a saga found capturing captures again",
      { given: { state: "CAPTURING_PAYMENT", stockCommit: null }, want: { kind: "run", step: "capture_payment" } },
    ],
    [
      "a failing saga compensates",
      { given: { state: "COMPENSATING", stockCommit: null }, want: { kind: "compensate" } },
    ],
    [
      "a completed saga whose stock is not committed commits it",
      { given: { state: "COMPLETED", stockCommit: "PENDING" }, want: { kind: "commit_stock" } },
    ],
    [
      "a completed saga with committed stock is done",
      { given: { state: "COMPLETED", stockCommit: "COMMITTED" }, want: { kind: "none" } },
    ],
    [
      "a completed saga whose commit was refused is done",
      { given: { state: "COMPLETED", stockCommit: "FAILED" }, want: { kind: "none" } },
    ],
    ["a failed saga is done", { given: { state: "FAILED", stockCommit: null }, want: { kind: "none" } }],
    ["an unknown state does nothing", { given: { state: "PAUSED", stockCommit: null }, want: { kind: "none" } }],
  ];
  it.each(cases)("%s", (_name, { given, want }) => {
    expect(nextAction(given)).toEqual(want);
  });
});

describe("the state after a step", () => {
  const cases: [CheckoutStepName, string][] = [
    ["reserve_stock", "CALCULATING_DISCOUNT"],
    ["calculate_discount", "AUTHORIZING_PAYMENT"],
    ["authorize_payment", "CREATING_ORDER"],
    ["create_order", "CAPTURING_PAYMENT"],
    ["capture_payment", "COMPLETED"],
  ];
  it.each(cases)("after %s the saga is %s", (step, want) => {
    expect(stateAfter(step)).toBe(want);
  });

  it("walks every step in order from STARTED to COMPLETED", () => {
    let action = nextAction({ state: "STARTED", stockCommit: null });
    const walked: string[] = [];
    while (action.kind === "run") {
      walked.push(action.step);
      action = nextAction({ state: stateAfter(action.step), stockCommit: null });
    }
    expect(walked).toEqual([...CHECKOUT_STEPS]);
    expect(isTerminal(stateAfter("capture_payment"))).toBe(true);
  });

  it("runs only create_order inside the transaction of the step before it, since only it calls no other context", () => {
    expect(CHECKOUT_STEPS.filter((step) => LOCAL_STEPS.has(step))).toEqual(["create_order"]);
    expect(stepAfter("authorize_payment")).toBe("create_order");
    expect(stepAfter("capture_payment")).toBeUndefined();
  });
});

describe("the compensations a failing saga owes", () => {
  const succeeded = (...names: CheckoutStepName[]) =>
    Object.fromEntries(names.map((name) => [name, "SUCCEEDED"])) as Partial<Record<CheckoutStepName, StepStatus>>;
  const ids = { paymentId: "pay_1", reservationId: "rsv_1" };
  const cases: [
    string,
    {
      given: Parameters<typeof pendingCompensations>[0];
      want: string[];
    },
  ][] = [
    [
      "out of stock at the first step owes nothing",
      { given: { steps: { reserve_stock: "FAILED" }, orderStatus: undefined, ...ids }, want: [] },
    ],
    [
      "a failed discount releases the stock",
      {
        given: {
          steps: { ...succeeded("reserve_stock"), calculate_discount: "FAILED" },
          orderStatus: undefined,
          ...ids,
        },
        want: ["release_stock"],
      },
    ],
    [
      "a declined card voids nothing (nothing is held) and releases the stock",
      {
        given: {
          steps: { ...succeeded("reserve_stock", "calculate_discount"), authorize_payment: "FAILED" },
          orderStatus: undefined,
          ...ids,
        },
        want: ["release_stock"],
      },
    ],
    [
      "a failed capture voids (learning what became of the money), then cancels the order, then releases",
      {
        given: {
          steps: {
            ...succeeded("reserve_stock", "calculate_discount", "authorize_payment", "create_order"),
            capture_payment: "FAILED",
          },
          orderStatus: "PENDING",
          ...ids,
        },
        want: ["void_payment", "cancel_order", "release_stock"],
      },
    ],
    [
      "a resumed compensation skips the order already canceled and the void already done",
      {
        given: {
          steps: {
            ...succeeded("reserve_stock", "calculate_discount", "create_order"),
            authorize_payment: "COMPENSATED",
            capture_payment: "FAILED",
          },
          orderStatus: "CANCELED",
          ...ids,
        },
        want: ["release_stock"],
      },
    ],
    [
      "everything undone owes nothing",
      {
        given: {
          steps: { reserve_stock: "COMPENSATED", authorize_payment: "COMPENSATED", capture_payment: "FAILED" },
          orderStatus: "CANCELED",
          ...ids,
        },
        want: [],
      },
    ],
    [
      "an UNAVAILABLE reservation id is never released",
      {
        given: { steps: { reserve_stock: "FAILED" }, orderStatus: undefined, paymentId: null, reservationId: "rsv_1" },
        want: [],
      },
    ],
  ];
  it.each(cases)("%s", (_name, { given, want }) => {
    expect(pendingCompensations(given).map((owed) => owed.action)).toEqual(want);
  });

  it("names what to undo", () => {
    expect(
      pendingCompensations({ steps: succeeded("reserve_stock", "authorize_payment"), orderStatus: undefined, ...ids }),
    ).toEqual([
      { action: "void_payment", paymentId: "pay_1" },
      { action: "release_stock", reservationId: "rsv_1" },
    ]);
  });
});

describe("failure codes and reasons", () => {
  const payment: [paymentV1.PaymentFailureCode | undefined, string][] = [
    [paymentV1.PaymentFailureCode.CARD_DECLINED, "card_declined"],
    [paymentV1.PaymentFailureCode.INSUFFICIENT_FUNDS, "insufficient_funds"],
    [paymentV1.PaymentFailureCode.EXPIRED_CARD, "expired_card"],
    [paymentV1.PaymentFailureCode.PROCESSOR_UNAVAILABLE, "processor_unavailable"],
    [paymentV1.PaymentFailureCode.PROCESSOR_ERROR, "processor_error"],
    [paymentV1.PaymentFailureCode.AUTHORIZATION_EXPIRED, "processor_error"],
    [undefined, "processor_error"],
  ];
  it.each(payment)("payment failure %s is checkout failure %s", (code, want) => {
    expect(failureCodeOfPayment(code)).toBe(want);
  });

  const release: [string | null, inventoryV1.ReleaseReason][] = [
    ["authorize_payment", inventoryV1.ReleaseReason.PAYMENT_FAILED],
    ["capture_payment", inventoryV1.ReleaseReason.PAYMENT_FAILED],
    ["calculate_discount", inventoryV1.ReleaseReason.CHECKOUT_FAILED],
    [null, inventoryV1.ReleaseReason.CHECKOUT_FAILED],
  ];
  it.each(release)("stock released after a failure at %s gives reason %s", (step, want) => {
    expect(releaseReasonFor(step)).toBe(want);
  });

  const cancellation: [string | null, string][] = [
    ["reservation_expired", "out_of_stock"],
    ["card_declined", "payment_failed"],
    ["processor_unavailable", "payment_failed"],
    ["address_not_found", "other"],
    [null, "other"],
  ];
  it.each(cancellation)("an order canceled by a saga failing with %s is canceled for %s", (code, want) => {
    expect(cancellationReasonFor(code)).toBe(want);
  });
  it("says a refunded payment went back where the failure said nothing was charged", () => {
    expect(messageAfterRefund(FAILURE_MESSAGES.processor_error, true)).toBe(
      "The payment could not be processed; the payment taken was refunded. Try again or use another card.",
    );
    expect(messageAfterRefund(FAILURE_MESSAGES.processor_unavailable, false)).toBe(
      "A service we depend on did not answer; the payment taken could not be refunded at once; contact support to have it refunded. Try again in a moment.",
    );
    expect(messageAfterRefund("The payment failed.", true)).toBe(
      "The payment failed. (the payment taken was refunded)",
    );
  });
});

describe("merging checkout lines", () => {
  it("sums the quantities of a product listed twice and keeps the first price", () => {
    expect(
      mergeLines([
        { productId: "a", quantity: 1, unitPrice: 100 },
        { productId: "b", quantity: 2, unitPrice: 50 },
        { productId: "a", quantity: 3, unitPrice: 100 },
      ]),
    ).toEqual([
      { productId: "a", quantity: 4, unitPrice: 100 },
      { productId: "b", quantity: 2, unitPrice: 50 },
    ]);
  });
});
