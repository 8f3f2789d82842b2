import type { Interceptor } from "@connectrpc/connect";
import { type Attributes, SpanKind, trace } from "@opentelemetry/api";
import type { TrustsCaller } from "./platform-tracing.js";
import { connectCodeName, type SpanScope } from "./span-scope.js";
import { edgeParent, headerGetter, headerSetter, propagator } from "./trace-context.js";

type RpcRequest = Parameters<Parameters<Interceptor>[0]>[0];

const rpcAttributes = (request: RpcRequest): Attributes => ({
  "rpc.system": "connect_rpc",
  "rpc.service": request.service.typeName,
  "rpc.method": request.method.name,
  // ecom.<context>.v1.<Service>: the context that serves it.
  "ecom.context": request.service.typeName.split(".")[1] ?? "",
});

const rpcFailure = (error: unknown): Attributes => ({ "rpc.connect_rpc.error_code": connectCodeName(error) });

/** A CLIENT span per call, its `traceparent` put in the call's headers. */
export function rpcClientInterceptor({ tracer, active, run }: SpanScope): Interceptor {
  return (next) => (request) => {
    const parent = active();
    const span = tracer.startSpan(
      `${request.service.typeName}/${request.method.name}`,
      { kind: SpanKind.CLIENT, attributes: rpcAttributes(request) },
      parent,
    );
    const context = trace.setSpan(parent, span);
    propagator.inject(context, request.header, headerSetter);
    return run(span, parent, () => next(request), rpcFailure);
  };
}

/**
 * A SERVER span per call. At the edge (the port's router, given `trustsCaller`) the caller's `traceparent` is weighed
 * by {@link edgeParent}; inside the platform it is the parent.
 */
export function rpcServerInterceptor({ tracer, active, run }: SpanScope, trustsCaller?: TrustsCaller): Interceptor {
  return (next) => (request) => {
    const extracted = propagator.extract(active(), request.header, headerGetter);
    const { parent, links } = trustsCaller
      ? edgeParent(extracted, request.header.get("authorization") ?? undefined, trustsCaller)
      : { parent: extracted, links: undefined };
    const span = tracer.startSpan(
      `${request.service.typeName}/${request.method.name}`,
      { kind: SpanKind.SERVER, attributes: rpcAttributes(request), ...(links ? { links } : {}) },
      parent,
    );
    return run(span, parent, () => next(request), rpcFailure);
  };
}
