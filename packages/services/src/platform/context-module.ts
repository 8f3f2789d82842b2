import type { ConnectRouter } from "@connectrpc/connect";
import type { EcomMessage, MessageOf, MessageType } from "@ecom/sdk";
import type { Migration, Transaction } from "kysely";
import type { FeedHandler } from "./inbound-feed.js";
import type { ContextRuntime, Principal } from "./ports.js";
import type { Projection } from "./projection.js";

/** A REST request after the gateway checked it against the contract (parameters are coerced to their types). */
export interface RestRequest<TPath = Record<string, string>, TQuery = Record<string, unknown>, TBody = unknown> {
  readonly path: TPath;
  readonly query: TQuery;
  /** Header names lower-case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: TBody;
  /** The body's text exactly as received (for signatures computed over the bytes, such as webhooks). */
  readonly rawBody: string;
  /** The caller, when a valid bearer token came with the request. */
  readonly principal: Principal | undefined;
  /** The request's Correlation-Id, or the one generated for it. */
  readonly correlationId: string;
}

/** What a REST handler answers: a status its contract declares, a body matching that status's schema. */
export interface RestResult<TStatus extends number = number, TBody = unknown> {
  readonly status: TStatus;
  readonly body?: TBody;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * False for an answer that must not be replayed for the same Idempotency-Key because it describes work still
   * under way (a 202 the client is meant to retry for the final answer). Default true.
   */
  readonly replayable?: boolean;
}

type JsonContent<T> = T extends { content: { "application/json": infer TBody } } ? TBody : never;
// openapi-typescript declares a part an operation lacks as `path?: never` / `requestBody?: never`: that is an empty
// part (no parameters, no body), which a caller can pass, rather than `never`, which no caller could.
type Parameters<TOperation, TWhere extends string> = TOperation extends { parameters: infer TParams }
  ? TWhere extends keyof TParams
    ? [NonNullable<TParams[TWhere]>] extends [never]
      ? Record<string, never>
      : NonNullable<TParams[TWhere]>
    : Record<string, never>
  : Record<string, never>;
type Body<TOperation> = TOperation extends { requestBody?: infer TRequestBody }
  ? [NonNullable<TRequestBody>] extends [never]
    ? undefined
    : JsonContent<NonNullable<TRequestBody>> | (undefined extends TRequestBody ? undefined : never)
  : undefined;
type SuccessResults<TOperation> = TOperation extends { responses: infer TResponses }
  ? {
      [TStatus in keyof TResponses & number]: `${TStatus}` extends `2${string}`
        ? RestResult<
            TStatus,
            JsonContent<TResponses[TStatus]> extends never ? undefined : JsonContent<TResponses[TStatus]>
          >
        : never;
    }[keyof TResponses & number]
  : never;

/** A handler of one operation, typed from the contract's generated `operations` entry. */
export type OperationHandler<TOperation> = (
  request: RestRequest<Parameters<TOperation, "path">, Parameters<TOperation, "query">, Body<TOperation>>,
) => Promise<SuccessResults<TOperation>>;

/** Handlers for some of a context's operations, keyed by operationId and typed by the generated `operations`. */
export type RestHandlers<TOperations> = { readonly [TId in keyof TOperations]?: OperationHandler<TOperations[TId]> };

/**
 * A handler of one event or command type; runs inside the subscriber's transaction, which also moves the
 * subscriber's cursor past the event, so an event is handled once.
 */
export type MessageHandler<TDatabase, TType extends MessageType> = (
  message: MessageOf<TType>,
  trx: Transaction<TDatabase>,
) => Promise<void>;

/**
 * A Server-Sent Events operation of a context's contract (`text/event-stream`) fed from the event log: the runtime
 * sends `initial` frames for a new subscriber, then one `frame` per new event of `types`.
 */
export interface EventStreamSource {
  /** The event types the stream is made of. */
  readonly types: readonly MessageType[];
  /** Frames for a new subscriber, from the history of `types` (oldest first) and its `Last-Event-ID`. */
  initial(
    history: readonly EcomMessage[],
    options: { readonly lastEventId?: string | undefined; readonly now: Date },
  ): string[];
  /** The frame for one new event, or undefined to send nothing. */
  frame(message: EcomMessage): string | undefined;
}

/** One open WebSocket connection of a {@link SocketSource}, as the source sees it. */
export interface SocketConnection {
  /** The caller, from the handshake's bearer token (Authorization header or `access_token` query parameter). */
  readonly principal: Principal | undefined;
  /** The handshake's query parameters, checked against the contract (coerced to their types). */
  readonly query: Readonly<Record<string, unknown>>;
  /**
   * The keys the connection follows (the query's and subscribe messages' `subscriptionKey`, less unsubscribe ones);
   * undefined while the client has chosen none, so the source decides what an unnarrowed socket carries. An empty
   * set means the client unsubscribed from everything it chose, and follows nothing.
   */
  readonly subscriptions: ReadonlySet<string> | undefined;
}

/**
 * A WebSocket operation of a context's contract fed from the event log: the runtime authenticates and checks the
 * handshake, keeps each connection's subscriptions (the query parameter and `{"action":"subscribe"|"unsubscribe",
 * <subscriptionKey>: …}` messages), and sends each new event of `types` that `accepts` lets through, one JSON text
 * message per event envelope.
 */
export interface SocketSource {
  /** The event types the socket carries. */
  readonly types: readonly MessageType[];
  /** The query parameter and subscribe-message field that name one thing to follow (`orderId`). */
  readonly subscriptionKey: string;
  /**
   * Whether the caller may follow `key`: resolves, or rejects with a ServiceError (`not_found` for what the caller
   * may not see). For the query's key it runs before the upgrade and its error is the handshake's answer; for a
   * subscribe message, its error is sent back as an error message.
   */
  authorize(key: string, connection: SocketConnection): Promise<void>;
  /** Whether the connection receives `message` (one of `types`), given its caller, query and subscriptions. */
  accepts(message: EcomMessage, connection: SocketConnection): boolean;
}

/** What a context contributes to the running platform. Every part is optional. */
export interface ContextParts<TDatabase> {
  /**
   * REST handlers by operationId (untyped here; build them with {@link RestHandlers} of the context's operations).
   * An operation may have none (the gateway answers 501), so a context's `RestHandlers` fits without a cast.
   */
  readonly rest?: Readonly<
    Record<string, ((request: RestRequest<never, never, never>) => Promise<RestResult>) | undefined>
  >;
  /** Its Server-Sent Events operations, by operationId. */
  readonly streams?: Readonly<Record<string, EventStreamSource>>;
  /** Its WebSocket operations, by operationId. */
  readonly sockets?: Readonly<Record<string, SocketSource>>;
  /** Registers the context's Connect services. */
  readonly rpc?: (router: ConnectRouter) => void;
  /** Its GraphQL contract (contracts/graphql/<context>.graphql) and the resolvers that answer it. */
  readonly graphql?: GraphqlPart;
  /** Handlers of the events it subscribes to and the commands it handles (contexts.yaml says which). */
  readonly subscriptions?: { readonly [TType in MessageType]?: MessageHandler<TDatabase, TType> };
  /**
   * Handlers of messages from outside the bus, keyed by the address of the contract channel they arrive on, with its
   * `{parameters}` (`iot/inventory/{sku}/delta`); the runtime subscribes its transport to each (see inbound-feed.ts).
   */
  readonly feeds?: Readonly<Record<string, FeedHandler>>;
  /** Called once every context is up: resume unfinished work (sagas). */
  readonly start?: () => Promise<void>;
  /**
   * Resolves when the context's own background work (a saga run, say; not event delivery, which the runtime tracks)
   * is done, so `settle()` can wait for it.
   */
  readonly idle?: () => Promise<void>;
  /** Called after the clock moves: expire what is due. */
  readonly tick?: (now: Date) => Promise<void>;
  /**
   * Called when the platform closes, before its store does: stop background work (abort calls under way, take no
   * more); whatever is unfinished must resume from the store on the next start.
   */
  readonly stop?: () => Promise<void>;
  /**
   * Read-only views of what the context simulates, served as the simulator's `GET /_sim/<name>` (the mailbox of the
   * simulated e-mail channel). Each gets the query string and answers JSON; a ServiceError is its problem answer.
   */
  readonly views?: Readonly<Record<string, (query: URLSearchParams) => Promise<unknown>>>;
  /**
   * External systems the context talks to that the simulator stands in for, served at `/_sim/<path>` by any method
   * (`processor/soap`: the payment processor's SOAP interface). The request's url is absolute, with the host asked.
   */
  readonly endpoints?: Readonly<Record<string, SimulatedEndpoint>>;
  /** Called on the first start with an empty store: load seed data. */
  readonly seed?: () => Promise<void>;
  /** Where the context's circuit breakers stand: `/healthz`, `/_sim/breakers` and the console all read this. */
  readonly breakers?: () => readonly BreakerStatus[];
}

/**
 * A resolver of one field: `parent` is what the parent field's resolver returned (undefined at the root), `args` the
 * field's arguments as graphql-js coerced them to the contract's types. A ServiceError it throws becomes a GraphQL
 * error carrying the error's code; anything else is masked.
 */
export type GraphqlResolver = (parent: unknown, args: Readonly<Record<string, unknown>>) => unknown;

/** Resolvers by type name and field name; fields without one read the parent's property of the same name. */
export type GraphqlResolvers = Readonly<Record<string, Readonly<Record<string, GraphqlResolver>>>>;

/** What a context serves over GraphQL: the SDL of its contract and, per request, the resolvers. */
export interface GraphqlPart {
  /** The SDL the schema is built from (the generated `<context>GraphqlSchema` of @ecom/sdk). */
  readonly schema: string;
  /**
   * Resolvers for one request, made anew for each so their batching loaders share reads within the request and
   * never serve one request's reads to another. Every call returns the same types and fields.
   */
  readonly forRequest: () => GraphqlResolvers;
}

/** An external system's HTTP interface that the simulator serves (see ContextParts `endpoints`). */
export type SimulatedEndpoint = (request: {
  readonly method: string;
  readonly url: string;
  /** Header names lower-case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}) => Promise<{ readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string }>;

/** A circuit breaker's state as a developer reads it. */
export interface BreakerStatus {
  /** What the breaker guards, e.g. `payment processor`. */
  readonly name: string;
  readonly state: "closed" | "open" | "half-open";
  readonly consecutiveFailures: number;
  readonly failureThreshold: number;
  readonly coolDownMs: number;
  /** Milliseconds of platform time until an open breaker lets a trial call through; 0 unless open. */
  readonly retryAfterMs: number;
}

/** A bounded context as the platform runs it: its name, its store's migrations, and how to build its parts. */
export interface ContextModule<TDatabase> {
  /** The context's name in contracts/contexts.yaml. */
  readonly name: string;
  /**
   * Whether the context's store holds only read models built from events (search, analytics): a lost one is rebuilt
   * by `ecom replay`, while a lost store of original facts can only come back from a backup.
   */
  readonly readModel?: boolean;
  /** Kysely migrations of the context's own store, applied in name order. */
  readonly migrations: Readonly<Record<string, Migration>>;
  /**
   * The read models the context keeps from events (contexts.yaml's `kind: projection` entities). The runtime applies
   * them on delivery before the context's own subscriptions; `ecom replay` rebuilds them from the log with the same
   * functions and no running context.
   */
  readonly projections?: readonly Projection<TDatabase>[];
  create(runtime: ContextRuntime<TDatabase>): ContextParts<TDatabase>;
}

/** Declare a context (an identity function that fixes the database type). */
export function defineContext<TDatabase>(module: ContextModule<TDatabase>): ContextModule<TDatabase> {
  return module;
}

/**
 * A context module of any store type, for the code that composes contexts. Store types differ per context and
 * appear in both argument and result positions (invariant), so only `any` relates them all.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above; each context is checked against its own store type.
export type AnyContextModule = ContextModule<any>;
