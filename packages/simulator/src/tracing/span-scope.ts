import { AsyncLocalStorage } from "node:async_hooks";
import { Code, ConnectError } from "@connectrpc/connect";
import { isServiceError } from "@ecom/services/platform";
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";

/** `invalid_argument`: the Connect code as the Connect protocol writes it (`rpc.connect_rpc.error_code`). */
export function connectCodeName(error: unknown): string {
  return Code[ConnectError.from(error).code].replace(
    /[A-Z]/g,
    (letter, index: number) => `${index > 0 ? "_" : ""}${letter.toLowerCase()}`,
  );
}

/**
 * What a failed span says of its error: the stable code alone (`not_found`, `invalid_argument`), never the message or
 * stack, which may carry a customer's data (a card token) out to a collector that is outside the platform.
 */
function errorCodeOf(error: unknown): string {
  if (isServiceError(error)) return error.code;
  if (error instanceof ConnectError) return connectCodeName(error);
  return error instanceof Error ? error.name : typeof error;
}

/**
 * A platform's tracer and its active span. The span travels in an AsyncLocalStorage of the platform's own (no global
 * context manager is installed), so platforms in one process keep apart.
 */
export interface SpanScope {
  readonly tracer: Tracer;
  /** The context of the active span, or the root context outside any. */
  active(): Context;
  /**
   * Run `work` with `span` active; a throw marks the span failed with the error's code as `error.type` and status
   * description (see {@link errorCodeOf}). The span ends when `work` settles.
   */
  run<TResult>(
    span: Span,
    parent: Context,
    work: () => Promise<TResult>,
    failed?: (error: unknown) => Attributes,
  ): Promise<TResult>;
}

/** The scope of `tracer`'s spans, with a store of its own for the active one. */
export function createSpanScope(tracer: Tracer): SpanScope {
  const store = new AsyncLocalStorage<Context>();
  return {
    tracer,
    active: () => store.getStore() ?? ROOT_CONTEXT,
    async run(span, parent, work, failed) {
      try {
        return await store.run(trace.setSpan(parent, span), work);
      } catch (error) {
        const code = errorCodeOf(error);
        span.setAttributes({ "error.type": code, ...failed?.(error) });
        span.setStatus({ code: SpanStatusCode.ERROR, message: code });
        throw error;
      } finally {
        span.end();
      }
    },
  };
}
