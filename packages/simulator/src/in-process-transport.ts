import {
  create,
  type DescMessage,
  type DescMethod,
  type DescMethodUnary,
  type MessageInitShape,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createContextValues,
  createMethodImplSpec,
  createRouterTransport,
  createServiceImplSpec,
  type HandlerContext,
  type Interceptor,
  type MethodImplSpec,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { runUnaryCall } from "@connectrpc/connect/protocol";

/** The interceptors of both ends of an in-process call, in the shape `createRouterTransport` takes them. */
export interface InProcessTransportOptions {
  /** Around every call, on the calling side (the RPC trace, injected faults), first outermost. */
  readonly transport?: { readonly interceptors?: readonly Interceptor[] };
  /** Around every call, on the serving side (error mapping, service identity, access), first outermost. */
  readonly router?: { readonly interceptors?: readonly Interceptor[] };
}

type AnyFn = (request: UnaryRequest) => Promise<UnaryResponse>;

/** `interceptors` around `next`, the first outermost (as connect-es applies them). */
function intercepted(next: AnyFn, interceptors: readonly Interceptor[]): AnyFn {
  return interceptors.reduceRight<AnyFn>((inner, interceptor) => interceptor(inner as never) as AnyFn, next);
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

  const implementation: AnyFn = async (request) => {
    const spec = specs.get(request.method);
    if (spec?.kind !== "unary") {
      throw new ConnectError(
        `${request.service.typeName}.${request.method.name} is not implemented`,
        Code.Unimplemented,
      );
    }
    const responseHeader = new Headers();
    const responseTrailer = new Headers();
    const context: HandlerContext = {
      method: request.method,
      service: request.service,
      // Read only if the handler asks: reading it makes the call's AbortController (0.7 % of a checkout's CPU when
      // every call made one here).
      get signal() {
        return request.signal;
      },
      timeoutMs: () => undefined,
      requestMethod: request.requestMethod,
      requestHeader: request.header,
      responseHeader,
      responseTrailer,
      protocolName: "connect",
      values: request.contextValues,
      url: request.url,
    };
    const output = await spec.impl(request.message, context);
    return {
      stream: false,
      service: request.service,
      method: request.method,
      header: responseHeader,
      trailer: responseTrailer,
      message: create(request.method.output, output),
    };
  };
  const served = intercepted(implementation, options.router?.interceptors ?? []);
  // The serving end sees its own context values (the service identity is set there, never by the caller). Built
  // field by field: a spread would read the caller's signal, which is made only when someone asks for it.
  const server: AnyFn = async (request) => {
    try {
      return await served({
        stream: false,
        service: request.service,
        method: request.method,
        requestMethod: request.requestMethod,
        url: request.url,
        header: request.header,
        contextValues: createContextValues(),
        message: request.message,
        get signal() {
          return request.signal;
        },
      });
    } catch (error) {
      throw ConnectError.from(error);
    }
  };
  const call = intercepted(server, options.transport?.interceptors ?? []);

  const request = <I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    header: HeadersInit | undefined,
    input: MessageInitShape<I>,
    contextValues: ContextValues | undefined,
  ) => ({
    stream: false as const,
    service: method.parent,
    method,
    requestMethod: "POST",
    url: `/${method.parent.typeName}/${method.name}`,
    header: new Headers(header),
    contextValues: contextValues ?? createContextValues(),
    message: create(method.input, input),
  });

  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      if (signal === undefined && timeoutMs === undefined) {
        // No deadline and nothing to cancel with: the signal exists only if an interceptor or handler reads it,
        // and nothing ever aborts it.
        let controller: AbortController | undefined;
        const unsignalled = {
          ...request(method, header, input, contextValues),
          get signal() {
            controller ??= new AbortController();
            return controller.signal;
          },
        };
        return (await call(unsignalled as UnaryRequest)) as UnaryResponse<typeof method.input, typeof method.output>;
      }
      // A deadline or a caller's signal: connect-es's own call runner links them and ends the call when either fires.
      return runUnaryCall({
        interceptors: [...(options.transport?.interceptors ?? [])],
        ...(signal ? { signal } : {}),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        req: request(method, header, input, contextValues),
        next: (req) =>
          new Promise((resolve, reject) => {
            req.signal.addEventListener("abort", () => reject(req.signal.reason), { once: true });
            server(req as UnaryRequest).then(resolve as never, reject);
          }),
      }) as Promise<UnaryResponse<typeof method.input, typeof method.output>>;
    },
    stream: (method, signal, timeoutMs, header, input, contextValues) =>
      streaming.stream(method, signal, timeoutMs, header, input, contextValues),
  };
}
