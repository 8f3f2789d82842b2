/** How mutations and reads are retried. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 4. */
  readonly maxAttempts?: number;
  /** The first backoff in milliseconds; each later one doubles. Default 200. */
  readonly baseDelayMs?: number;
  /** The longest backoff in milliseconds. Default 5000. */
  readonly maxDelayMs?: number;
}

/** What {@link createResilientFetch} needs; everything but the fetch has a default. */
export interface ResilientFetchOptions {
  readonly fetch?: (request: Request) => Promise<Response>;
  /** A bearer token, or a function giving the current one (called before every attempt). */
  readonly token?: string | (() => string | undefined | Promise<string | undefined>);
  readonly retry?: RetryOptions;
  /** Makes an Idempotency-Key for a mutation that has none. Default: a random UUID. */
  readonly idempotencyKey?: () => string;
  /** Waits between attempts; tests pass one that does not sleep. */
  readonly sleep?: (milliseconds: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1) for jitter. Default Math.random. */
  readonly random?: () => number;
}

const MUTATIONS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const defaultSleep = (milliseconds: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, milliseconds);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** Whether a response is worth another attempt: the server failed or asked us to slow down. */
const retryable = (status: number) => status >= 500 || status === 429;

/**
 * A fetch that authenticates, makes mutations idempotent and retries. Every mutation carries an Idempotency-Key
 * (the caller's, or a new one) and every retry reuses it, so the server answers a retried charge with the first
 * response instead of charging twice. Network errors, 5xx and 429 are retried with exponential backoff and full
 * jitter (honouring Retry-After); other responses, including 4xx problems, are returned as they are.
 */
export function createResilientFetch(options: ResilientFetchOptions = {}): (request: Request) => Promise<Response> {
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const maxAttempts = Math.max(1, options.retry?.maxAttempts ?? 4);
  const baseDelay = options.retry?.baseDelayMs ?? 200;
  const maxDelay = options.retry?.maxDelayMs ?? 5000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const newKey = options.idempotencyKey ?? (() => crypto.randomUUID());

  return async (request) => {
    const original = request.clone();
    if (MUTATIONS.has(original.method) && !original.headers.has("idempotency-key")) {
      original.headers.set("idempotency-key", newKey());
    }
    for (let attempt = 1; ; attempt++) {
      const token = typeof options.token === "function" ? await options.token() : options.token;
      const attemptRequest = original.clone();
      if (token && !attemptRequest.headers.has("authorization"))
        attemptRequest.headers.set("authorization", `Bearer ${token}`);
      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await send(attemptRequest);
      } catch (error) {
        if (original.signal.aborted) throw error;
        failure = error;
      }
      const last = attempt >= maxAttempts;
      if (response && (!retryable(response.status) || last)) return response;
      if (!response && last) throw failure;
      const backoff = Math.min(maxDelay, baseDelay * 2 ** (attempt - 1));
      const retryAfter = Number(response?.headers.get("retry-after"));
      const delay =
        Number.isFinite(retryAfter) && retryAfter > 0
          ? Math.min(maxDelay, retryAfter * 1000)
          : Math.floor(random() * backoff);
      await response?.body?.cancel().catch(() => {});
      await sleep(delay, original.signal);
    }
  };
}
