import { CHECKOUT_STEPS, type CheckoutStepName, STEP_STATE, type StepStatus } from "./checkout-saga-rules.js";
import { type DetailColumns, standardDetail } from "./checkout-step-details.js";
import type { CheckoutsTable } from "./store.js";

/**
 * The saga's steps as they are kept: in the checkout's own row, written by the same versioned UPDATE that moves the
 * saga's state, so a step's record can never disagree with the saga nor be changed behind a runner's back. Two
 * columns: `step_statuses`, one letter per step (`P`ENDING, `S`UCCEEDED, `F`AILED, `C`OMPENSATED, in the steps'
 * order: what the canonical export compares), and `steps_json`, per step `[attempts, started, finished, compensated,
 * detail]` with each time in milliseconds after the saga's `started_at` (a few digits instead of a 24-byte timestamp)
 * and trailing nulls left out. A detail that the row's own columns say again (checkout-step-details.ts: "Order ord_…
 * created.") is kept as `1`, packed only when it is exactly that text. Read back, a step is exactly what the API has
 * always shown.
 */

/** One step of a saga (contracts/openapi/order.yaml#/components/schemas/SagaStep), as the API shows it. */
export interface CheckoutStep {
  /** 1 to 5, the step's place in the saga. */
  readonly position: number;
  readonly name: CheckoutStepName;
  readonly status: StepStatus;
  readonly attempts: number;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  readonly compensated_at: string | null;
  readonly detail: string | null;
}

/** The columns that hold a saga's steps. */
export type StepColumns = Pick<CheckoutsTable, "step_statuses" | "steps_json">;

/** What reading a saga's steps needs of its row: the step columns, its start, and what a standard detail says. */
export type StepRow = StepColumns & Pick<CheckoutsTable, "started_at"> & DetailColumns;

/** A change of one step, from the step as it stands. */
export type StepUpdate = (step: CheckoutStep) => CheckoutStep;

const LETTER: Readonly<Record<StepStatus, string>> = {
  PENDING: "P",
  SUCCEEDED: "S",
  FAILED: "F",
  COMPENSATED: "C",
};
const STATUS: Readonly<Record<string, StepStatus>> = { P: "PENDING", S: "SUCCEEDED", F: "FAILED", C: "COMPENSATED" };

type Packed = [
  attempts: number,
  started?: number | null,
  finished?: number | null,
  compensated?: number | null,
  /** The detail's text, or 1: the step's standard detail, as its row says it. */
  detail?: string | 1 | null,
];

/** The steps of a saga that has just started: all pending, none tried. */
export const NEW_STEPS: StepColumns = packSteps(
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
  "1970-01-01T00:00:00.000Z",
);

/** The steps of `checkout`, in their order. */
export function readSteps(checkout: StepRow): CheckoutStep[] {
  const base = Date.parse(checkout.started_at);
  const packed = JSON.parse(checkout.steps_json) as Packed[];
  return CHECKOUT_STEPS.map((_, index) => unpack(packed, checkout, index, base));
}

/** The `index`th step of `row` from its packed entry and status letter. */
function unpack(packed: readonly Packed[], row: StepRow, index: number, base: number): CheckoutStep {
  const time = (offset: number | null | undefined) =>
    offset === null || offset === undefined ? null : new Date(base + offset).toISOString();
  const name = CHECKOUT_STEPS[index] as CheckoutStepName;
  const [attempts, started, finished, compensated, detail] = packed[index] ?? [0];
  return {
    position: index + 1,
    name,
    status: STATUS[row.step_statuses[index] ?? "P"] ?? "PENDING",
    attempts,
    started_at: time(started),
    finished_at: time(finished),
    compensated_at: time(compensated),
    detail: detail === 1 ? (standardDetail(name, row) ?? null) : (detail ?? null),
  };
}

/**
 * `step` as its packed entry, times relative to `base`, trailing nulls left out; its detail as 1 when it is the
 * standard detail that `row` (the saga as this write leaves it) says.
 */
function pack(step: CheckoutStep, base: number, row?: DetailColumns): Packed {
  const offset = (time: string | null) => (time === null ? null : Date.parse(time) - base);
  const standard = row !== undefined && step.detail !== null && step.detail === standardDetail(step.name, row);
  const entry: Packed = [
    step.attempts,
    offset(step.started_at),
    offset(step.finished_at),
    offset(step.compensated_at),
    standard ? 1 : step.detail,
  ];
  while (entry.length > 1 && entry.at(-1) === null) entry.pop();
  return entry;
}

/** The status of each step of `checkout`. */
export function stepStatuses(checkout: Pick<CheckoutsTable, "step_statuses">): Record<CheckoutStepName, StepStatus> {
  return Object.fromEntries(
    CHECKOUT_STEPS.map((name, index) => [name, STATUS[checkout.step_statuses[index] ?? "P"] ?? "PENDING"]),
  ) as Record<CheckoutStepName, StepStatus>;
}

/**
 * The step columns of `checkout` with `updates` applied (to be written in the saga's versioned UPDATE). Only the
 * steps updated are unpacked and packed again (a change touches one or two of the five); the others keep their
 * entry as it is, which is what packing them again would give. `checkout`'s other columns must be those the write
 * leaves (a step's patch applied): a detail is kept as a mark only when they say it.
 */
export function changeSteps(checkout: StepRow, updates: Partial<Record<CheckoutStepName, StepUpdate>>): StepColumns {
  const base = Date.parse(checkout.started_at);
  const packed = JSON.parse(checkout.steps_json) as Packed[];
  const letters: string[] = [];
  const entries = CHECKOUT_STEPS.map((name, index): Packed => {
    const update = updates[name];
    if (!update) {
      letters.push(LETTER[STATUS[checkout.step_statuses[index] ?? "P"] ?? "PENDING"]);
      return packed[index] ?? [0];
    }
    const step = update(unpack(packed, checkout, index, base));
    letters.push(LETTER[step.status]);
    return pack(step, base, checkout);
  });
  return { step_statuses: letters.join(""), steps_json: JSON.stringify(entries) };
}

/** `steps` (in their order) as the columns keep them, times relative to the saga's `startedAt`. */
export function packSteps(steps: readonly CheckoutStep[], startedAt: string): StepColumns {
  const base = Date.parse(startedAt);
  return {
    step_statuses: steps.map((step) => LETTER[step.status]).join(""),
    steps_json: JSON.stringify(steps.map((step) => pack(step, base))),
  };
}

/** One more attempt of a step, started at `at` unless an earlier attempt already started it. */
export function started(at: string): StepUpdate {
  return (step) => ({ ...step, attempts: step.attempts + 1, started_at: step.started_at ?? at });
}

/** A step's end. */
export function finished(status: "SUCCEEDED" | "FAILED", at: string, detail: string): StepUpdate {
  return (step) => ({ ...step, status, finished_at: at, detail });
}

/**
 * A new saga's row with the start of its first step recorded: the insert that creates the saga writes it, so its run
 * does not write the saga once more before it acts (hand the row to `CheckoutSaga.kick`).
 */
export function withFirstStepBegun<TRow extends StepRow & Pick<CheckoutsTable, "state">>(checkout: TRow): TRow {
  const first = CHECKOUT_STEPS[0];
  return {
    ...checkout,
    state: STEP_STATE[first],
    ...changeSteps(checkout, { [first]: started(checkout.started_at) }),
  };
}
