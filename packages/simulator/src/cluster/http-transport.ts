import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { contextOfService, type ServiceTokens } from "./service-token.js";

/** Options of {@link createHttpTransport}. */
export interface HttpTransportOptions {
  /** The calling context: the `sub` of the service tokens this transport sends. */
  readonly caller: string;
  /** Where each context is served; asked on every call, so a context that moved to another process is found again. */
  readonly registry: { urlOf(context: string): string | undefined };
  /** Mints the service token each call carries (`aud` the called context). */
  readonly tokens: Pick<ServiceTokens, "tokenFor">;
  /** Around every call, on the calling side (the RPC trace, injected faults), first outermost. */
  readonly interceptors?: readonly Interceptor[];
}

/**
 * The transport a context calls other contexts over when they run in other processes: the generated Connect
 * clients (`createRpcClients(transport)`) over HTTP/1.1 to the process the registry names for the called context,
 * each call carrying `Authorization: Bearer <service token>` for that context. A context no process serves fails
 * the call with `unavailable`, as a context that is down does.
 */
export function createHttpTransport(options: HttpTransportOptions): Transport {
  const { caller, registry, tokens } = options;
  const serviceToken: Interceptor = (next) => async (request) => {
    const target = contextOf(request.method);
    request.header.set("authorization", `Bearer ${tokens.tokenFor(caller, target)}`);
    return next(request);
  };
  const interceptors = [...(options.interceptors ?? []), serviceToken];
  // One Connect transport per process URL, reused across calls (its HTTP agent keeps connections alive).
  const byUrl = new Map<string, Transport>();
  const transportTo = (method: DescMethod): Transport => {
    const context = contextOf(method);
    const url = registry.urlOf(context);
    if (url === undefined)
      throw new ConnectError(
        `No process serves ${context}: none has claimed it in the registry. Start one with ecom serve --contexts ${context}.`,
        Code.Unavailable,
      );
    let transport = byUrl.get(url);
    if (!transport) {
      transport = createConnectTransport({ baseUrl: url, httpVersion: "1.1", useBinaryFormat: true, interceptors });
      byUrl.set(url, transport);
    }
    return transport;
  };
  return {
    // Async, so a context no process serves rejects the call's promise rather than throwing where it is made.
    unary: async (method, signal, timeoutMs, header, input, contextValues) =>
      transportTo(method).unary(method, signal, timeoutMs, header, input, contextValues),
    stream: async (method, signal, timeoutMs, header, input, contextValues) =>
      transportTo(method).stream(method, signal, timeoutMs, header, input, contextValues),
  };
}

function contextOf(method: DescMethod): string {
  const context = contextOfService(method.parent.typeName);
  if (context === undefined)
    throw new ConnectError(`${method.parent.typeName} belongs to no ecom context.`, Code.Unimplemented);
  return context;
}

/**
 * The transport of a process serving some contexts (`ecom serve --contexts …`): calls to a context it serves itself
 * stay on `inProcess` (the in-process transport, with its service identity), calls to any other go to `remote`
 * (an {@link createHttpTransport}).
 */
export function createSplitTransport(options: {
  readonly local: ReadonlySet<string>;
  readonly inProcess: Transport;
  readonly remote: Transport;
}): Transport {
  const { local, inProcess, remote } = options;
  const pick = (method: DescMethod) => (local.has(contextOf(method)) ? inProcess : remote);
  return {
    unary: async (method, signal, timeoutMs, header, input, contextValues) =>
      pick(method).unary(method, signal, timeoutMs, header, input, contextValues),
    stream: async (method, signal, timeoutMs, header, input, contextValues) =>
      pick(method).stream(method, signal, timeoutMs, header, input, contextValues),
  };
}
