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
 * A record of the RPCs contexts make to each other over the in-process transport, by correlation id: a call is
 * filed under the `correlation-id` header it carries (the Checkout Saga sends its checkout's on every call), and a
 * call without one is not recorded. The id travels in the call rather than in the async context, since keeping an
 * async context (AsyncLocalStorage) turns on a hook for every promise the process makes.
 */
export function createRpcTrace(clock: VirtualClock) {
  const calls: TracedCall[] = [];
  const interceptor: Interceptor = (next) => async (request) => {
    const correlationId = request.header.get("correlation-id");
    if (correlationId === null) return next(request);
    const at = clock.now().toISOString();
    const started = performance.now();
    const record = (code: string) => {
      calls.push({
        at,
        service: request.service.typeName,
        method: request.method.name,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        code,
        correlationId,
      });
      if (calls.length > KEPT) calls.splice(0, calls.length - KEPT);
    };
    try {
      const response = await next(request);
      record("ok");
      return response;
    } catch (error) {
      record(
        Code[ConnectError.from(error).code].replace(
          /[A-Z]/g,
          (letter, index: number) => `${index > 0 ? "_" : ""}${letter.toLowerCase()}`,
        ),
      );
      throw error;
    }
  };
  return {
    interceptor,
    /** The calls recorded for one correlation id, oldest first. */
    callsOf: (correlationId: string): TracedCall[] => calls.filter((call) => call.correlationId === correlationId),
  };
}
