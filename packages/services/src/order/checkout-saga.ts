import { type Selectable, sql, type Transaction } from "kysely";
import { type ContextRuntime, isUniqueViolation } from "../platform/index.js";
import { KeyedLock } from "../platform/keyed-lock.js";
import { createSagaCall, type SagaCall, type SagaRetryOptions } from "./checkout-calls.js";
import { type CompensationPorts, commitStock, compensate } from "./checkout-compensation.js";
import {
  type CheckoutStepName,
  FAILURE_MESSAGES,
  isTerminal,
  LOCAL_STEPS,
  nextAction,
  READ_ONLY_STEPS,
  STEP_STATE,
  stateAfter,
  stepAfter,
} from "./checkout-saga-rules.js";
import { type CheckoutStep, changeSteps, finished, type StepUpdate, started } from "./checkout-step-log.js";
import { type CheckoutChanges, performStep, type StepOutcome } from "./checkout-steps.js";
import { type HandOutResult, OrderHandOuts } from "./order-hand-outs.js";
import type { OrderStatements } from "./order-statements.js";
import { SagaWatchers } from "./saga-watchers.js";
import { type CheckoutsTable, type OrderDatabase, UNFINISHED_CHECKOUT } from "./store.js";

export type { SagaRetryOptions } from "./checkout-calls.js";

/** Tuning of the saga runner. */
export interface CheckoutSagaOptions {
  readonly retry: SagaRetryOptions;
  /**
   * A compensation or stock commit whose dependency stays down is tried again after this many milliseconds of the
   * platform's clock (doubling each time), at most `redriveLimit` times per process; the next start resumes it in any
   * case. The time is persisted (`redrive_at`) and the order context's tick drives what is due, so a crash or
   * another process resumes it too.
   */
  readonly redriveDelayMs: number;
  readonly redriveLimit: number;
}

/** The defaults: four tries 10, 40 and 160 ms apart; a stuck compensation is tried again after 1 s, 2 s, … 32 s. */
export const DEFAULT_SAGA_OPTIONS: CheckoutSagaOptions = {
  retry: { attempts: 4, baseDelayMs: 10 },
  redriveDelayMs: 1_000,
  redriveLimit: 6,
};

type Runtime = ContextRuntime<OrderDatabase>;
type Checkout = Selectable<CheckoutsTable>;
type Trx = Transaction<OrderDatabase>;

/**
 * Where a run goes after one turn: on with the saga as it now stands (`begun` names the step whose start the turn
 * already recorded), or nowhere (the saga ended, or waits for a dependency). `pending` is what the turn decided and
 * did not write (before a read-only step, READ_ONLY_STEPS): `checkout` holds it, at the version last written, and the
 * next write of the saga writes it too.
 */
type Turn =
  | {
      readonly checkout: Checkout;
      readonly begun?: CheckoutStepName | undefined;
      readonly pending?: CheckoutChanges | undefined;
    }
  | undefined;

/**
 * The saga's inputs and event chain that nothing reads once it has ended (COMPLETED or FAILED): the event that
 * started it and the last one it published (the causation of a next event, and an ended saga publishes none), and
 * the shipping address it priced. The write that ends it empties them (NOT NULL columns), ~90 bytes a saga; what
 * GET /checkouts, POST /orders, the stock commit and the canonical export read is kept. A saga that gets that far
 * empties the address ids and the starting event earlier, once their last reader is done (checkout-steps.ts).
 */
const SPENT_WHEN_ENDED = { cause_event_id: "", last_event_id: "", shipping_address_id: "" } as const;

/** Another runner changed the saga since this one read it; this run stops and leaves the saga to it. */
class SagaMovedError extends Error {
  override name = "SagaMovedError";
}

/**
 * Drives Checkout Sagas: reserve stock → calculate discount (with the product and address snapshots) → authorize
 * payment → create the order → capture → order.paid, then commit the stock; on a failure it compensates in reverse.
 *
 * Every step records its state and a new attempt BEFORE it acts and its result after, in the saga's own row (its
 * steps are kept there, checkout-step-log.ts): one versioned write between two calls records the result of the step
 * that called and the start of the next (a step that calls nothing, create_order, runs whole inside it, with the
 * order it writes in the same transaction). The insert that creates the saga records its first step's start; a step
 * that only reads (calculate_discount) is recorded with the step before it, after it (READ_ONLY_STEPS). Every call it makes is idempotent by the
 * checkout (ReserveStock by checkout id, Authorize by "<checkoutId>:authorize", Capture and Void by payment id,
 * Release and Commit by reservation id), so running a step again after a crash repeats nothing. At most one run
 * per checkout at a time in this process (a lock per checkout id); across processes every change names the version
 * it read, so a second runner stops instead of acting twice.
 */
export class CheckoutSaga {
  readonly #runtime: Runtime;
  readonly #options: CheckoutSagaOptions;
  readonly #locks = new KeyedLock();
  readonly #queued = new Set<string>();
  readonly #watchers = new SagaWatchers();
  readonly #redrives = new Map<string, number>();
  /** Each saga a run of this process drives now, as that run last wrote it (or was handed it). */
  readonly #driven = new Map<string, Checkout>();
  readonly #handOuts = new OrderHandOuts();
  readonly #call: SagaCall;
  readonly #ports: CompensationPorts;
  readonly #statements: OrderStatements;

  constructor(runtime: Runtime, statements: OrderStatements, options: CheckoutSagaOptions = DEFAULT_SAGA_OPTIONS) {
    this.#runtime = runtime;
    this.#statements = statements;
    this.#options = options;
    this.#call = createSagaCall(runtime, options.retry);
    this.#ports = {
      runtime,
      call: this.#call,
      transition: (checkout, changes, more) => this.#transition(checkout, changes, more && ((trx) => more(trx))),
      redrive: (checkoutId, why) => this.#redrive(checkoutId, why),
    };
  }

  /**
   * Run the saga of `checkoutId` soon, in the background. Inside a transaction, kick from its after-commit hook
   * (`runtime.afterCommit`), or the run may not see what the transaction wrote. Nothing starts once the platform is
   * closing: the next start resumes it. `written` is the saga's row as the caller has just committed it (a new
   * saga): the run starts from it instead of reading it (a change made meanwhile moved its version, which the
   * run's first write names, so the run stops rather than overwrite it). Its current step's start is taken as
   * recorded (withFirstStepBegun).
   */
  kick(checkoutId: string, written?: Checkout): void {
    if (this.#queued.has(checkoutId) || this.#runtime.closing.aborted) return;
    this.#queued.add(checkoutId);
    this.withLock(checkoutId, async () => {
      this.#queued.delete(checkoutId);
      await this.#drive(checkoutId, written);
    }).catch((error: unknown) => this.#interrupted(checkoutId, error));
  }

  /**
   * Resolves when no saga run is queued or under way in this process (scheduled re-drives after an outage are not
   * waited for). A subscription kicks its run in an after-commit hook, which its transaction awaits: once the
   * delivery is done, the run is queued here.
   */
  async idle(): Promise<void> {
    while (this.#locks.size > 0 || this.#queued.size > 0) await this.#locks.settled();
  }

  /** Resume every saga that has not ended, and every paid order whose stock is still to be committed. */
  async resumeAll(): Promise<number> {
    const unfinished = await this.#runtime.db
      .selectFrom("checkouts")
      .select("checkout_id")
      .where(sql.raw<boolean>(UNFINISHED_CHECKOUT))
      .orderBy("checkout_id")
      .execute();
    for (const { checkout_id } of unfinished) this.kick(checkout_id);
    return unfinished.length;
  }

  /** Drive every saga whose re-drive is due at `now` (the order context's tick). */
  async redriveDue(now: Date): Promise<number> {
    const due = await this.#runtime.db
      .selectFrom("checkouts")
      .select("checkout_id")
      .where("redrive_at", "<=", now.toISOString())
      .orderBy("redrive_at")
      .execute();
    // A saga being driven now is left to its run, which persists its next time if it needs one.
    for (const { checkout_id } of due) if (!this.#locks.has(checkout_id)) this.kick(checkout_id);
    return due.length;
  }

  /** Run `work` while no saga run (and no other locked work) touches `checkoutId`. */
  withLock<T>(checkoutId: string, work: () => Promise<T>): Promise<T> {
    return this.#locks.run(checkoutId, work);
  }

  /**
   * Resolves when the saga of `checkoutId` records a change (one into a state `until` accepts, when given): to the
   * saga as this process's run has just committed it, or to true when the change is not known (the saga was created,
   * or a run stopped: read it); false after `timeoutMs` without one.
   */
  waitForChange(
    checkoutId: string,
    timeoutMs: number,
    until?: (state: string) => boolean,
    /** While this holds, the timeout does not end the wait: a run is bound to tell (see {@link waitForOrder}). */
    holdOn?: () => boolean,
  ): Promise<Checkout | boolean> {
    return this.#watchers.waitForChange(checkoutId, timeoutMs, until, holdOn);
  }

  /**
   * {@link waitForChange} until the saga ends, for `POST /orders`: when this process's run pays the order meanwhile,
   * its write hands the order out to the first such caller (OrderHandOuts), which resolves with the order as written;
   * the others resolve knowing it was handed out.
   */
  waitForOrder(checkoutId: string, timeoutMs: number): Promise<HandOutResult<Checkout | boolean>> {
    return this.#handOuts.wait(checkoutId, (picked) => this.waitForChange(checkoutId, timeoutMs, isTerminal, picked));
  }

  /**
   * The saga of `checkoutId` as the run of this process that drives it now last wrote it (or read it, or was handed
   * it); undefined when no run of this process drives it. A committed row, so what it says of the saga's end and
   * its customer is true; a later change is told to {@link waitForChange}'s waiters, or stops the run.
   */
  driven(checkoutId: string): Checkout | undefined {
    return this.#driven.get(checkoutId);
  }

  /** Tell whoever waits on `checkoutId` that it changed (into `checkout`, as committed, when known). */
  notify(checkoutId: string, checkout?: Checkout): void {
    this.#watchers.notify(checkoutId, checkout);
  }

  async #drive(checkoutId: string, written?: Checkout): Promise<void> {
    // The saga is read once (or not at all, when the kick handed it over); each turn goes on from what the previous
    // one wrote (every write names the version it read, so a change made behind this run's back stops it instead of
    // being overwritten).
    const first = written ?? (await this.#statements.readCheckout.executeTakeFirst(this.#runtime.db, { checkoutId }));
    if (!first) return;
    const firstAction = nextAction({ state: first.state, stockCommit: first.stock_commit });
    let turn: Turn = { checkout: first, begun: written && firstAction.kind === "run" ? firstAction.step : undefined };
    this.#driven.set(checkoutId, first);
    try {
      // Each turn does one step (or one compensation); the bound only guards against a bug.
      for (let count = 0; count < 32 && turn; count++) {
        const checkout: Checkout = turn.checkout;
        const { begun, pending } = turn;
        // Closing: stop between steps (every step is recorded before it acts); the next start resumes the saga.
        if (this.#runtime.closing.aborted) return;
        const action = nextAction({ state: checkout.state, stockCommit: checkout.stock_commit });
        if (action.kind === "none") {
          this.#redrives.delete(checkoutId);
          if (checkout.redrive_at !== null) {
            await this.#runtime.db
              .updateTable("checkouts")
              .set({ redrive_at: null })
              .where("checkout_id", "=", checkoutId)
              .execute();
          }
          return;
        }
        const act = async (): Promise<Turn> => {
          if (action.kind === "run") return this.#runStep(checkout, action.step, begun === action.step, pending);
          const changed =
            action.kind === "compensate"
              ? await compensate(this.#ports, checkout)
              : await commitStock(this.#ports, checkout);
          return changed && { checkout: changed };
        };
        const step = action.kind === "run" ? action.step : action.kind;
        const tracing = this.#runtime.tracing;
        turn = await (tracing
          ? tracing.inSpan(`saga ${step}`, { attributes: { "ecom.checkout_id": checkoutId } }, act)
          : act());
        // A turn that wrote nothing (its result waits for the next write) changed nothing anyone can read.
        if (turn?.pending) continue;
        if (turn) this.#driven.set(checkoutId, turn.checkout);
        this.notify(checkoutId, turn?.checkout);
      }
    } catch (error) {
      if (error instanceof SagaMovedError) return;
      throw error;
    } finally {
      this.#driven.delete(checkoutId);
      // A caller picked for a hand-out that no committed change told (the write rolled back): it reads the saga.
      if (this.#handOuts.hasPicked(checkoutId)) this.notify(checkoutId);
    }
  }

  #interrupted(checkoutId: string, error: unknown): void {
    this.notify(checkoutId);
    const message = error instanceof Error ? error.message : String(error);
    // Whatever failed once the platform began closing (a store closed under the run, a backoff cut short) is the
    // shutdown's doing, whatever the store's driver calls it: the next start resumes the saga.
    if (this.#runtime.closing.aborted) {
      this.#runtime.log.warn("checkout saga interrupted; it resumes on the next start", { checkoutId, error: message });
    } else {
      this.#runtime.log.error("checkout saga stopped by an unexpected error; it resumes on the next start", {
        checkoutId,
        error: error instanceof Error ? (error.stack ?? message) : message,
      });
    }
  }

  /** Persist when the saga is to be driven again (the tick does it), or that it waits for the next start. */
  async #redrive(checkoutId: string, why: string): Promise<void> {
    const count = this.#redrives.get(checkoutId) ?? 0;
    let redriveAt: string | null = null;
    if (count >= this.#options.redriveLimit) {
      this.#runtime.log.warn("checkout saga is waiting for a dependency; it resumes on the next start", {
        checkoutId,
        why,
      });
    } else {
      this.#redrives.set(checkoutId, count + 1);
      const delay = this.#options.redriveDelayMs * 2 ** count;
      redriveAt = new Date(this.#runtime.clock.now().getTime() + delay).toISOString();
    }
    await this.#runtime.db
      .updateTable("checkouts")
      .set({ redrive_at: redriveAt })
      .where("checkout_id", "=", checkoutId)
      .execute();
  }

  #now(): string {
    return this.#runtime.clock.now().toISOString();
  }

  /**
   * Change the saga if nobody changed it since `checkout` was read (its version), with whatever `more` writes and
   * returns in the same transaction: the row is updated once, with `changes` and what `more` returned, by an UPDATE
   * that names the version read. `more` runs before that UPDATE (which writes what it returns), so a version that
   * moved meanwhile rolls its writes back with it. A runner whose saga another runner moved can also be stopped
   * inside `more`, before its UPDATE: the rows it inserts (the order, keyed on the checkout) are the other's, already
   * written, and the store refuses them as duplicates (on PostgreSQL once the other's transaction commits). Such a
   * refusal is taken as the moved version it stands for once a read confirms the version moved (SagaMovedError: the
   * other runner won, nothing is left to do); with the version unmoved it is a bug, and thrown. The UPDATE returns
   * `reservation_expired_at`, which inventory's subscription sets outside the saga, so the saga as changed holds it
   * as of this write. A change with nothing more is one statement, atomic on its own.
   */
  async #transition(
    checkout: Checkout,
    changes: CheckoutChanges,
    more?: (trx: Trx, claimed: Checkout) => Promise<CheckoutChanges | undefined>,
  ): Promise<Checkout> {
    const claimed: Checkout = { ...checkout, ...changes, version: checkout.version + 1, updated_at: this.#now() };
    const ends = changes.state !== undefined && isTerminal(changes.state) && !isTerminal(checkout.state);
    const claim = async (db: Runtime["db"] | Trx, written: CheckoutChanges): Promise<Checkout> => {
      const extra = ends ? { ...written, ...SPENT_WHEN_ENDED } : written;
      const result = await this.#statements.claimCheckout(db, {
        ...changes,
        ...extra,
        version: claimed.version,
        updated_at: claimed.updated_at,
        $checkoutId: checkout.checkout_id,
        $version: checkout.version,
      });
      if (!result) throw new SagaMovedError(`checkout ${checkout.checkout_id} moved`);
      return { ...claimed, ...extra, reservation_expired_at: result.reservation_expired_at };
    };
    if (!more) return claim(this.#runtime.db, {});
    try {
      return await this.#runtime.db.transaction().execute(async (trx) => claim(trx, (await more(trx, claimed)) ?? {}));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const { checkout_id: checkoutId } = checkout;
      const now = await this.#statements.readCheckout.executeTakeFirst(this.#runtime.db, { checkoutId });
      if (now?.version === checkout.version) throw error;
      throw new SagaMovedError(`checkout ${checkoutId} moved`, { cause: error });
    }
  }

  /**
   * Run one step: record it (state, one more attempt) before acting, unless the turn before already did, then its
   * outcome. A retry of the step's call is recorded as one more attempt, by a versioned change of the saga too.
   * `pending` (what the turn before did not write, `checkout` holding it) is written by the step's first write.
   */
  async #runStep(checkout: Checkout, step: CheckoutStepName, begun: boolean, pending?: CheckoutChanges): Promise<Turn> {
    let unwritten = pending;
    let current = checkout;
    const write = (changes: CheckoutChanges): Promise<Checkout> => {
      const all = unwritten ? { ...unwritten, ...changes } : changes;
      unwritten = undefined;
      return this.#transition(current, all);
    };
    if (!begun)
      current = await write({ state: STEP_STATE[step], ...changeSteps(current, { [step]: started(this.#now()) }) });
    const call = createSagaCall(this.#runtime, this.#options.retry, async (retried, detail) => {
      current = await write(
        changeSteps(current, {
          [retried]: (state: CheckoutStep) => ({ ...state, attempts: state.attempts + 1, detail }),
        }),
      );
    });
    const handOut = (checkoutId: string) => this.#handOuts.pick(checkoutId);
    const outcome = await performStep(
      { runtime: this.#runtime, call, statements: this.#statements, handOut },
      current,
      step,
    );
    if (outcome.ok === true) return this.#succeeded(current, step, outcome, unwritten);
    if (outcome.ok === "later") {
      // The step stays begun (its attempts say so): the re-drive, or the next start, runs it again.
      if (unwritten) await write({});
      await this.#redrive(checkout.checkout_id, outcome.why);
      return undefined;
    }
    const failed = await write({
      ...outcome.patch,
      state: "COMPENSATING",
      failure_code: outcome.code,
      failure_message: outcome.message ?? FAILURE_MESSAGES[outcome.code],
      failure_step: step,
      ...changeSteps({ ...current, ...outcome.patch }, { [step]: finished("FAILED", this.#now(), outcome.detail) }),
    });
    this.#runtime.log.info("checkout failed; compensating", {
      checkoutId: checkout.checkout_id,
      step,
      code: outcome.code,
    });
    return { checkout: failed };
  }

  /**
   * Record that `step` succeeded and, in the same write, run the local steps after it (create_order) and record the
   * start of the next step that acts outside: one write of the saga between two calls, a transaction only when a
   * step writes more than the saga's row (the order, its events). Before a read-only step nothing is written: the
   * turn hands its changes on as pending, and that step's first write writes them (READ_ONLY_STEPS).
   */
  async #succeeded(
    checkout: Checkout,
    step: CheckoutStepName,
    outcome: StepOutcome & { ok: true },
    pending?: CheckoutChanges,
  ): Promise<Turn> {
    const local: CheckoutStepName[] = [];
    let next = stepAfter(step);
    while (next && LOCAL_STEPS.has(next)) {
      local.push(next);
      next = stepAfter(next);
    }
    const last = local.at(-1) ?? step;
    const now = this.#now();
    const updates: Partial<Record<CheckoutStepName, StepUpdate>> = {
      [step]: finished("SUCCEEDED", now, outcome.detail),
      ...(next ? { [next]: started(now) } : {}),
    };
    // The saga as this write leaves it, for the step log's details (checkout-step-log.ts).
    const patched = { ...checkout, ...outcome.patch };
    const changes = { ...pending, ...outcome.patch, state: stateAfter(last), ...changeSteps(patched, updates) };
    if (next && READ_ONLY_STEPS.has(next) && !outcome.write && local.length === 0) {
      return { checkout: { ...checkout, ...changes }, begun: next, pending: changes };
    }
    const more =
      outcome.write || local.length > 0
        ? async (trx: Trx, row: Checkout): Promise<CheckoutChanges> => {
            let written = (await outcome.write?.(trx, row)) ?? {};
            const localUpdates = { ...updates };
            for (const name of local) {
              const runLocal = async () => {
                const current = { ...row, ...written };
                const done = await performStep(
                  { runtime: this.#runtime, call: this.#call, statements: this.#statements },
                  current,
                  name,
                );
                // A local step calls nothing, so it cannot fail for an outside reason; a failure here is a bug.
                if (done.ok !== true) {
                  throw new Error(`checkout ${row.checkout_id}: ${name} failed: ${done.ok ? done.why : done.detail}`);
                }
                localUpdates[name] = (state) => finished("SUCCEEDED", now, done.detail)(started(now)(state));
                return { ...written, ...(await done.write?.(trx, current)) };
              };
              // Its span is a child of the step whose transaction it runs in.
              const tracing = this.#runtime.tracing;
              written = await (tracing
                ? tracing.inSpan(`saga ${name}`, { attributes: { "ecom.checkout_id": row.checkout_id } }, runLocal)
                : runLocal());
            }
            return { ...written, ...changeSteps({ ...patched, ...written }, localUpdates) };
          }
        : undefined;
    const changed = await this.#transition(checkout, changes, more);
    return { checkout: changed, begun: next };
  }
}
