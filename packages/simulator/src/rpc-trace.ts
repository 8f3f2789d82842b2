import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { VirtualClock } from "./virtual-clock.js";

/** One RPC between contexts, as the trace keeps it. */
export interface TracedCall {
  /** When it started, on the platform's clock. */
  readonly at: string;
  /** `ecom.inventory.v1.InventoryService`. */
  readonly service: string;
  /** `ReserveStock`. */
  readonly method: string;
  /** Real time it took, in milliseconds. */
  readonly durationMs: number;
  /** `ok`, or the Connect code it failed with (`unavailable`, `failed_precondition`, …). */
  readonly code: string;
  readonly correlationId: string;
}

/** How many calls the trace keeps (the oldest go first): enough for the flows a developer looks at. */
const KEPT = 5000;

/**
 * The last `capacity` items, oldest first. A ring: once full, a new item overwrites the oldest in place, so keeping
 * one costs the same however long the platform has run (dropping the first of an array moves all the others).
 */
function lastOf<T extends object>(capacity: number) {
  const items: T[] = [];
  /** Where the oldest item is once the ring is full (and so where the next one goes). */
  let oldest = 0;
  return {
    push(item: T): void {
      if (items.length < capacity) {
        items.push(item);
        return;
      }
      items[oldest] = item;
      oldest = (oldest + 1) % capacity;
    },
    /** The kept items that match, oldest first. */
    filter(keep: (item: T) => boolean): T[] {
      const found: T[] = [];
      for (let index = 0; index < items.length; index++) {
        const item = items[(oldest + index) % items.length];
        if (item !== undefined && keep(item)) found.push(item);
      }
      return found;
    },
  };
}

/** A call as the trace keeps it: its start as a number, turned into {@link TracedCall.at} only when read. */
type KeptCall = Omit<TracedCall, "at"> & { readonly atMs: number };

/** `failed_precondition` for Code.FailedPrecondition: the codes' names as the Connect protocol spells them. */
const codeNames = new Map<Code, string>();
function codeNameOf(error: unknown): string {
  const code = ConnectError.from(error).code;
  let name = codeNames.get(code);
  if (name === undefined) {
    name = Code[code].replace(/[A-Z]/g, (letter, index: number) => `${index > 0 ? "_" : ""}${letter.toLowerCase()}`);
    codeNames.set(code, name);
  }
  return name;
}

/**
 * A record of the RPCs contexts make to each other over the in-process transport, by correlation id: a call is
 * filed under the `correlation-id` header it carries (the Checkout Saga sends its checkout's on every call), and a
 * call without one is not recorded. The id travels in the call rather than in the async context, since keeping an
 * async context (AsyncLocalStorage) turns on a hook for every promise the process makes. It keeps the last 5,000
 * calls (`kept`, for tests). Every checkout's calls pass here, so a call keeps numbers and the strings it already
 * has; the time is formatted when someone reads the trace.
 */
export function createRpcTrace(clock: VirtualClock, options: { readonly kept?: number } = {}) {
  const calls = lastOf<KeptCall>(options.kept ?? KEPT);
  // Not an async function: the call's own promise carries the outcome, without a second one around it.
  const interceptor: Interceptor = (next) => (request) => {
    const correlationId = request.header.get("correlation-id");
    if (correlationId === null) return next(request);
    const atMs = clock.now().getTime();
    const started = performance.now();
    const record = (code: string) => {
      calls.push({
        atMs,
        service: request.service.typeName,
        method: request.method.name,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        code,
        correlationId,
      });
    };
    let answer: ReturnType<typeof next>;
    try {
      answer = next(request);
    } catch (error) {
      answer = Promise.reject(error);
    }
    return answer.then(
      (response) => {
        record("ok");
        return response;
      },
      (error: unknown) => {
        record(codeNameOf(error));
        throw error;
      },
    );
  };
  return {
    interceptor,
    /** The calls recorded for one correlation id, oldest first. */
    callsOf: (correlationId: string): TracedCall[] =>
      calls
        .filter((call) => call.correlationId === correlationId)
        .map(({ atMs, ...call }) => ({ at: new Date(atMs).toISOString(), ...call })),
  };
}
