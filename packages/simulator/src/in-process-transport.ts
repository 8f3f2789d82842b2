import { create, type DescMessage, type DescMethod, type DescMethodUnary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  createContextValues,
  createMethodImplSpec,
  createRouterTransport,
  createServiceImplSpec,
  type Interceptor,
  type MethodImplSpec,
  type Transport,
  type UnaryResponse,
} from "@connectrpc/connect";
import { runUnaryCall } from "@connectrpc/connect/protocol";
import { InProcessHandlerContext, ServedRequest, UnsignalledRequest } from "./in-process-call.js";

/** The interceptors of both ends of an in-process call, in the shape `createRouterTransport` takes them. */
export interface InProcessTransportOptions {
  /** Around every call, on the calling side (the RPC trace, injected faults), first outermost. */
  readonly transport?: { readonly interceptors?: readonly Interceptor[] };
  /** Around every call, on the serving side (error mapping, service identity, access), first outermost. */
  readonly router?: { readonly interceptors?: readonly Interceptor[] };
}

/**
 * What an interceptor wraps and returns, as connect-es types it: a call of either kind (unary or streaming) to its
 * response. The ends below serve unary calls only and refuse a streaming request, which never comes this way.
 */
type Next = Parameters<Interceptor>[0];

/** `interceptors` around `next`, the first outermost (as connect-es applies them). */
function intercepted(next: Next, interceptors: readonly Interceptor[]): Next {
  return interceptors.reduceRight<Next>((inner, interceptor) => interceptor(inner), next);
}

/**
 * A served response as the response of `method`, the one it was asked for. The one cast of the transport: the map of
 * implementations is keyed by DescMethod, which erases each method's message types, and `implementation` makes the
 * message with `create(request.method.output, …)`, so it is this method's output.
 */
function responseOf<TInput extends DescMessage, TOutput extends DescMessage>(
  _method: DescMethodUnary<TInput, TOutput>,
  response: Awaited<ReturnType<Next>>,
): UnaryResponse<TInput, TOutput> {
  return response as UnaryResponse<TInput, TOutput>;
}

/** The refusal of a method this transport does not serve in process. */
function unimplemented(request: Parameters<Next>[0]): ConnectError {
  return new ConnectError(`${request.service.typeName}.${request.method.name} is not implemented`, Code.Unimplemented);
}

/**
 * The transport contexts call each other over inside one process. A call goes straight to the implementation the
 * serving context registered (`routes`), through the interceptors a call meets at both ends of Connect's own
 * router transport (the caller's, then the server's with fresh context values and the caller's headers), but hands
 * the message objects over instead of encoding them to bytes and parsing them back, and makes no AbortController
 * or deadline timer for a call that has neither a signal nor a timeout. A failure that is not a ConnectError
 * reaches the caller as one (`unknown`), as it would over the wire. Streaming methods (none today) go through
 * `createRouterTransport`.
 */
export function createInProcessTransport(
  routes: (router: ConnectRouter) => void,
  options: InProcessTransportOptions = {},
): Transport {
  const specs = new Map<DescMethod, MethodImplSpec>();
  const recorder: ConnectRouter = {
    handlers: [],
    service(service, implementation) {
      for (const spec of Object.values(createServiceImplSpec(service, implementation).methods)) {
        specs.set(spec.method, spec);
      }
      return recorder;
    },
    rpc(method, implementation) {
      specs.set(method, createMethodImplSpec(method, implementation));
      return recorder;
    },
  };
  routes(recorder);
  const streaming = createRouterTransport(routes, {
    ...(options.transport ? { transport: { interceptors: [...(options.transport.interceptors ?? [])] } } : {}),
    ...(options.router ? { router: { interceptors: [...(options.router.interceptors ?? [])] } } : {}),
  });

  const implementation: Next = async (request) => {
    const spec = specs.get(request.method);
    if (request.stream || spec?.kind !== "unary") throw unimplemented(request);
    const context = new InProcessHandlerContext(request);
    const output = await spec.impl(request.message, context);
    return {
      stream: false,
      service: request.service,
      method: request.method,
      header: context.responseHeader,
      trailer: context.responseTrailer,
      message: create(request.method.output, output),
    };
  };
  const served = intercepted(implementation, options.router?.interceptors ?? []);
  const server: Next = async (request) => {
    try {
      if (request.stream) throw unimplemented(request);
      return await served(new ServedRequest(request, createContextValues()));
    } catch (error) {
      throw ConnectError.from(error);
    }
  };
  const callerInterceptors = [...(options.transport?.interceptors ?? [])];
  const call = intercepted(server, callerInterceptors);

  // The path a request names, once per method rather than a new string per call.
  const urls = new Map<DescMethod, string>();
  const urlOf = (method: DescMethod) => {
    let url = urls.get(method);
    if (url === undefined) {
      url = `/${method.parent.typeName}/${method.name}`;
      urls.set(method, url);
    }
    return url;
  };

  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      const message = create(method.input, input);
      if (signal === undefined && timeoutMs === undefined) {
        // No deadline and nothing to cancel with: the signal exists only if an interceptor or handler reads it.
        const request = new UnsignalledRequest(
          method,
          urlOf(method),
          new Headers(header),
          contextValues ?? createContextValues(),
          message,
        );
        return responseOf(method, await call(request));
      }
      // A deadline or a caller's signal: connect-es's own call runner links them and ends the call when either fires.
      return runUnaryCall({
        interceptors: callerInterceptors,
        ...(signal ? { signal } : {}),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        req: {
          stream: false,
          service: method.parent,
          method,
          requestMethod: "POST",
          url: urlOf(method),
          header: new Headers(header),
          contextValues: contextValues ?? createContextValues(),
          message,
        },
        next: (req) =>
          new Promise((resolve, reject) => {
            req.signal.addEventListener("abort", () => reject(req.signal.reason), { once: true });
            server(req).then((response) => resolve(responseOf(method, response)), reject);
          }),
      });
    },
    stream: (method, signal, timeoutMs, header, input, contextValues) =>
      streaming.stream(method, signal, timeoutMs, header, input, contextValues),
  };
}
