import { describe, expect, it } from "vitest";
import { CHECKOUT_STEPS } from "./checkout-saga-rules.js";
import {
  changeSteps,
  finished,
  NEW_STEPS,
  packSteps,
  readSteps,
  started,
  stepStatuses,
  withFirstStepBegun,
} from "./checkout-step-log.js";

const STARTED = "2026-12-01T10:00:00.000Z";
/** A saga's row as the step log reads it: what a step's standard detail is made of, none of it known yet. */
const UNKNOWN = {
  items_json: '[{"productId":"prd_1","quantity":2,"unitPrice":1000}]',
  currency: "USD",
  subtotal: 2000,
  total: null,
  reservation_id: null,
  reservation_expires_at: null,
  payment_id: null,
  order_id: "ord_1",
};
const fresh = { ...UNKNOWN, ...NEW_STEPS, started_at: STARTED };

describe("a saga's steps kept in its row", () => {
  it("start all pending and untried, in the saga's order", () => {
    expect(readSteps(fresh)).toEqual(
      CHECKOUT_STEPS.map((name, index) => ({
        position: index + 1,
        name,
        status: "PENDING",
        attempts: 0,
        started_at: null,
        finished_at: null,
        compensated_at: null,
        detail: null,
      })),
    );
  });

  it("of a new saga whose insert records its first step's start: reserving stock, one attempt since the saga began", () => {
    const begun = withFirstStepBegun({ ...fresh, state: "STARTED" });
    expect(begun.state).toBe("RESERVING_STOCK");
    const [reserve, ...others] = readSteps(begun);
    expect(reserve).toMatchObject({ status: "PENDING", attempts: 1, started_at: STARTED, finished_at: null });
    for (const step of others) expect(step).toMatchObject({ status: "PENDING", attempts: 0, started_at: null });
  });

  it("read back every change exactly, times to the millisecond", () => {
    const begun = { ...fresh, ...changeSteps(fresh, { reserve_stock: started("2026-12-01T10:00:00.004Z") }) };
    const retried = {
      ...begun,
      ...changeSteps(begun, {
        reserve_stock: (step) => ({ ...step, attempts: step.attempts + 1, detail: "retrying" }),
      }),
    };
    const done = {
      ...retried,
      ...changeSteps(retried, {
        reserve_stock: finished("SUCCEEDED", "2026-12-01T10:00:02.250Z", "Reserved 1 copy as res_1."),
        calculate_discount: started("2026-12-01T10:00:02.250Z"),
      }),
    };
    const [reserve, calculate, authorize] = readSteps(done);
    expect(reserve).toMatchObject({
      status: "SUCCEEDED",
      attempts: 2,
      started_at: "2026-12-01T10:00:00.004Z",
      finished_at: "2026-12-01T10:00:02.250Z",
      detail: "Reserved 1 copy as res_1.",
    });
    expect(calculate).toMatchObject({ status: "PENDING", attempts: 1, started_at: "2026-12-01T10:00:02.250Z" });
    expect(authorize).toMatchObject({ status: "PENDING", attempts: 0, started_at: null });
    expect(stepStatuses(done)).toMatchObject({ reserve_stock: "SUCCEEDED", calculate_discount: "PENDING" });
  });

  it("keep a later attempt's start as the step's first", () => {
    const once = { ...fresh, ...changeSteps(fresh, { authorize_payment: started("2026-12-01T10:00:01.000Z") }) };
    const twice = { ...once, ...changeSteps(once, { authorize_payment: started("2026-12-01T10:05:00.000Z") }) };
    expect(readSteps(twice)[2]).toMatchObject({ attempts: 2, started_at: "2026-12-01T10:00:01.000Z" });
  });

  it("hold times as milliseconds after the saga started and one letter per status", () => {
    const changed = changeSteps(fresh, {
      reserve_stock: finished("FAILED", "2026-12-01T10:00:01.500Z", "Out of stock."),
    });
    expect(changed).toEqual({
      step_statuses: "FPPPP",
      steps_json: '[[0,null,1500,null,"Out of stock."],[0],[0],[0],[0]]',
    });
  });

  it("pack a change as all five steps read, changed and packed again would be, the steps not changed as they were", () => {
    const saga = {
      ...UNKNOWN,
      started_at: STARTED,
      step_statuses: "SSFPC",
      steps_json: '[[1,4,2250,null,"Reserved 1 copy."],[2,2250,3000,null,"x"],[1,3000,3100],[0],[0,null,null,9000]]',
    };
    const updates = {
      authorize_payment: finished("SUCCEEDED", "2026-12-01T10:00:04.000Z", "Authorized."),
      create_order: started("2026-12-01T10:00:04.000Z"),
    };
    const changed = changeSteps(saga, updates);
    const repacked = packSteps(
      readSteps(saga).map((step) => updates[step.name as keyof typeof updates]?.(step) ?? step),
      STARTED,
    );
    expect(changed).toEqual(repacked);
    expect(JSON.parse(changed.steps_json).slice(0, 2)).toEqual(JSON.parse(saga.steps_json).slice(0, 2));
    expect(changed.step_statuses).toBe("SSSPC");
  });

  it("keep a detail the row says again as a mark, and read it back as the very text", () => {
    const row = {
      ...fresh,
      reservation_id: "rsv_1",
      reservation_expires_at: "2026-12-01T10:15:00.000Z",
      total: 1800,
      payment_id: "pay_1",
    };
    const details = {
      reserve_stock: "Reserved 2 copies as rsv_1 until 2026-12-01T10:15:00.000Z.",
      calculate_discount: "No promotion applied; total 18.00 USD.",
      authorize_payment: "Authorized 18.00 USD as pay_1.",
      create_order: "Order ord_1 created.",
      capture_payment: "Captured 18.00 USD.",
    };
    const at = "2026-12-01T10:00:01.000Z";
    const done = {
      ...row,
      ...changeSteps(
        row,
        Object.fromEntries(Object.entries(details).map(([name, detail]) => [name, finished("SUCCEEDED", at, detail)])),
      ),
    };
    expect(JSON.parse(done.steps_json)).toEqual(CHECKOUT_STEPS.map(() => [0, null, 1000, null, 1]));
    expect(readSteps(done).map((step) => step.detail)).toEqual(Object.values(details));
  });

  it("keep a detail as text when the row does not say it (a discount, a partial capture, a value the row lacks)", () => {
    const row = { ...fresh, total: 1800, payment_id: "pay_1" };
    const details = {
      calculate_discount: "SAVE10 took 2.00 USD off; total 18.00 USD.",
      authorize_payment: "Authorized 18.00 USD as pay_2.",
      capture_payment: "Captured 9.00 USD.",
      reserve_stock: "Reserved 2 copies as rsv_1.",
    };
    const at = "2026-12-01T10:00:01.000Z";
    const done = {
      ...row,
      ...changeSteps(
        row,
        Object.fromEntries(Object.entries(details).map(([name, detail]) => [name, finished("SUCCEEDED", at, detail)])),
      ),
    };
    expect(done.steps_json).not.toContain(",1]");
    const read = Object.fromEntries(readSteps(done).map((step) => [step.name, step.detail]));
    expect(read).toMatchObject(details);
  });
});
