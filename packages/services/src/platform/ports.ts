import type { MessagePayloads, MessageType } from "@ecom/sdk";
import type { RpcClients } from "@ecom/sdk/rpc";
import type { Kysely, Transaction } from "kysely";

/**
 * The ports a context is given by whatever runs it: the in-process simulator today (SQLite, an in-process event
 * log), PostgreSQL and NATS JetStream later. A context sees only these, never the adapters behind them.
 */

/** The time. The simulator's clock is virtual: tests and `POST /_sim/clock/advance` move it; nothing sleeps. */
export interface Clock {
  now(): Date;
}

/**
 * Waits `milliseconds` of platform time, for backoff inside a call (a retry of a dependency that did not answer). The
 * simulator's clock is virtual: a wait ends when that much real time has passed or when the clock is advanced past
 * its end, whichever is first, and at once, rejecting, when the platform closes ({@link ContextRuntime.closing}).
 * Work that is due later than the call that wants it (a re-drive) is not slept for: it is persisted with its due time
 * and picked up by the context's `tick`, so a crash or another process resumes it.
 */
export type Sleep = (milliseconds: number) => Promise<void>;

/** Work to do once a transaction has committed (kick a relay, wake a waiter); see {@link ContextRuntime.afterCommit}. */
export type AfterCommitHook = () => void | Promise<void>;

/** Makes prefixed, time-sortable ids (`ord_01J…`); reproducible under `--seed`. */
export interface Ids {
  next(prefix: string): string;
}

/** What a published event carries besides its type and payload. */
export interface PublishOptions {
  /** Orders the events of one aggregate; usually its id. */
  readonly partitionKey: string;
  /** The business flow the event belongs to (one checkout). */
  readonly correlationId: string;
  /** The event or request that caused this one. */
  readonly causationId?: string | undefined;
}

/**
 * The transactional outbox: `publish` writes the event into the context's own store in the caller's transaction,
 * so the event exists if and only if the state change does. A relay delivers it after commit. The payload is
 * validated against the contract here: an invalid event is a bug and throws.
 */
export interface Outbox<TDatabase> {
  publish<TType extends MessageType>(
    trx: Transaction<TDatabase>,
    type: TType,
    payload: MessagePayloads[TType],
    options: PublishOptions,
  ): Promise<string>;
}

/** Who is calling, from a verified bearer token. */
export interface Principal {
  readonly customerId: string;
  readonly role: "customer" | "admin";
}

/** Issues and checks the platform's tokens (HS256 JWTs; the secret belongs to the data folder). */
export interface TokenService {
  issue(
    principal: Principal,
    options: { readonly expiresInSeconds: number; readonly type?: "access" | "refresh" },
  ): string;
  verify(
    token: string,
    options?: { readonly type?: "access" | "refresh" },
  ): Principal & { readonly expiresAt: Date; readonly tokenId: string };
}

/** A line of the platform's log. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Everything a context is given to run. Its store is its own and no other context's. */
export interface ContextRuntime<TDatabase> {
  readonly name: string;
  readonly db: Kysely<TDatabase>;
  /**
   * Run `hook` after `trx` commits (in registration order, never on rollback); `trx` is the one a
   * `db.transaction().execute(…)` callback was given. The transaction's `execute()` resolves only after its hooks,
   * so an RPC handler that awaits its transaction replies after them; a hook that throws is logged, not thrown (the
   * commit happened). This, not "the next turn of the event loop", is what runs after a commit: with a connection
   * pool the next turn may come before it.
   */
  afterCommit(trx: Transaction<TDatabase>, hook: AfterCommitHook): void;
  /**
   * Aborted when the platform starts closing, before any store closes: work under way (a saga run, a backoff) stops
   * there and is resumed by the next start, instead of failing on a closed store.
   */
  readonly closing: AbortSignal;
  /** Backoff inside a call, on the platform's clock (see {@link Sleep}). */
  readonly sleep: Sleep;
  readonly outbox: Outbox<TDatabase>;
  readonly clock: Clock;
  readonly ids: Ids;
  /** A number in [0, 1), reproducible under `--seed`. */
  readonly random: () => number;
  /** Typed Connect clients of the contexts that serve RPCs, over the in-process transport. */
  readonly rpc: RpcClients;
  readonly tokens: TokenService;
  readonly log: Logger;
  /** Switches the simulator exposes for fault injection (processor outage, latency, …), read at call time. */
  readonly faults: FaultSwitches;
  /** Counts what only the context sees (a webhook retry); absent where nothing collects metrics. */
  readonly metrics?: ContextMetrics;
  /** Spans of the platform's trace; absent when nothing is traced, so untraced work pays nothing. */
  readonly tracing?: ContextTracing | undefined;
}

/** What a span is given when it starts. */
export interface ContextSpanOptions {
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
  /**
   * A W3C `traceparent` kept with work done later (a queued e-mail): the span is its child instead of the active
   * span's. Null: work kept from an untraced time, which starts a trace of its own (the active span, whatever kicked
   * a background pass, is not its cause). Undefined: the active span's child.
   */
  readonly parent?: string | null | undefined;
}

/**
 * Spans of the platform's trace (OpenTelemetry in the simulator), for work a context does outside a request or an
 * event delivery, which the runtime traces by itself: a saga step, an e-mail or webhook sent after commit.
 */
export interface ContextTracing {
  /** Run `work` in a span named `<context> <name>`; a throw marks the span failed and goes on. */
  inSpan<TResult>(name: string, options: ContextSpanOptions, work: () => Promise<TResult>): Promise<TResult>;
  /** The active span as a W3C `traceparent`, to keep with work done later; undefined outside any span. */
  traceparent(): string | undefined;
}

/**
 * The counters a context feeds, by seed 004's names. What the event log already says (orders created, reservations
 * refused) is counted by the runtime from the log; only what leaves no event is counted here.
 */
export interface ContextMetrics {
  /** One more webhook attempt after a delivery's first (a retry or a redelivery). */
  webhookRetryAttempted(): void;
}

/** Fault injection switches, changed at run time through `POST /_sim/faults`. */
export interface FaultSwitches {
  /** The simulated payment processor answers nothing (every call fails as unavailable). */
  paymentProcessorDown: boolean;
  /**
   * The processor's SOAP interface answers nothing (503, no SOAP; its WSDL too): payment falls back to REST. The
   * processor itself is up, so REST still pays.
   */
  soapProcessorDown: boolean;
  /** Extra latency of every processor call, in milliseconds of real time. */
  paymentProcessorLatencyMs: number;
  /** The inventory context refuses every RPC as unavailable. */
  inventoryDown: boolean;
  /** The simulated carrier loses every parcel whose next scan falls due (a delivery exception, never delivered). */
  carrierLosesParcels: boolean;
  /** The simulated e-mail channel refuses every message (provider_unavailable); notifications are retried. */
  emailChannelDown: boolean;
}

/** Every fault switched off: how a platform starts, and the base a test switches one fault on from. */
export function noFaults(): FaultSwitches {
  return {
    paymentProcessorDown: false,
    soapProcessorDown: false,
    paymentProcessorLatencyMs: 0,
    inventoryDown: false,
    carrierLosesParcels: false,
    emailChannelDown: false,
  };
}
