import { type ContextClients, createContextClients } from "./gen/rest/index.js";
import { createResilientFetch, type ResilientFetchOptions, type RetryOptions } from "./resilient-fetch.js";

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** The platform's URL, e.g. `http://localhost:4000` for `ecom sim up`. */
  readonly baseUrl: string;
  /** A bearer token (from `POST /auth/login`), or a function giving the current one. */
  readonly token?: ResilientFetchOptions["token"];
  /** The fetch to send requests with (an MSW-intercepted one in tests, the simulator's in-process one, …). */
  readonly fetch?: (request: Request) => Promise<Response>;
  /** How requests are retried; `{ maxAttempts: 1 }` turns retries off. */
  readonly retry?: RetryOptions;
  /** Makes an Idempotency-Key for a mutation that has none. Default: a random UUID. */
  readonly idempotencyKey?: () => string;
}

/** One typed REST client per context (`client.catalog`, `client.cart`, …). */
export type EcomClient = ContextClients;

/**
 * Create the typed REST clients of every context. Each method is named for its operationId, takes the operation's
 * parameters and body as the contract types them, and resolves to `{ data }` or `{ error }` — a problem+json body
 * for an expected API failure — never throwing for one. Mutations carry an Idempotency-Key and are retried safely.
 */
export function createClient(options: ClientOptions): EcomClient {
  const resilient = createResilientFetch({
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
  });
  return createContextClients({ baseUrl: options.baseUrl.replace(/\/+$/, ""), fetch: resilient });
}
