import { AsyncLocalStorage } from "node:async_hooks";
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
 * A record of the RPCs contexts make to each other over the in-process transport, by correlation id: a context
 * runs the work of one flow with `traceAs(correlationId, work)`, and every call made within it (however deep) is
 * recorded under that id, since the id travels with the async context rather than through each call's arguments.
 */
export function createRpcTrace(clock: VirtualClock) {
  const flow = new AsyncLocalStorage<string>();
  const calls: TracedCall[] = [];
  const interceptor: Interceptor = (next) => async (request) => {
    const correlationId = request.header.get("correlation-id") ?? flow.getStore();
    if (correlationId === undefined) return next(request);
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
    traceAs: <TResult>(correlationId: string, work: () => Promise<TResult>) => flow.run(correlationId, work),
    /** The calls recorded for one correlation id, oldest first. */
    callsOf: (correlationId: string): TracedCall[] => calls.filter((call) => call.correlationId === correlationId),
  };
}
