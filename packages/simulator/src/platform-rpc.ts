import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { createRpcClients, type RpcClients, rpcAccess } from "@ecom/sdk/rpc";
import { ServiceError, serviceErrorsAsConnect, toConnectError } from "@ecom/services/platform";
import { createAccessInterceptor, serviceIdentityInterceptor } from "./access-policy.js";
import { createHttpTransport, createSplitTransport } from "./cluster/http-transport.js";
import { createServiceTokens } from "./cluster/service-token.js";
import { createInProcessTransport } from "./in-process-transport.js";
import type { RunningContext } from "./platform-contexts.js";
import type { PlatformCore } from "./platform-core.js";
import type { createRpcTrace } from "./rpc-trace.js";

/** Typed clients that resolve on first use: contexts get them before the transport serving their RPCs exists. */
export function createDeferredRpc(): { readonly rpc: RpcClients; resolve(clients: RpcClients): void } {
  let rpcClients: RpcClients | undefined;
  const rpc = new Proxy({} as RpcClients, {
    get: (_target, property) => {
      if (!rpcClients) throw new Error("RPC clients are used before the platform finished starting");
      return rpcClients[property as keyof RpcClients];
    },
  });
  return {
    rpc,
    resolve(clients) {
      rpcClients = clients;
    },
  };
}

/** The contexts' Connect services, and the interceptors the port's router puts before them. */
export interface PlatformRpc {
  readonly routes: (router: ConnectRouter) => void;
  readonly accessInterceptor: Interceptor;
  readonly faultInterceptor: Interceptor;
  /** The clients the contexts call each other with: in-process, or (split mode) over HTTP for other processes'. */
  readonly clients: RpcClients;
}

/**
 * Serve every context's Connect services on one in-process transport, behind the access check and the fault
 * switch; in split mode, calls to contexts of other processes go over HTTP with service tokens.
 */
export function createPlatformRpc(
  core: PlatformCore,
  running: readonly RunningContext[],
  rpcTrace: ReturnType<typeof createRpcTrace>,
): PlatformRpc {
  const { faults, tracing, options, external } = core;
  // Not an async function: with no fault on, a call passes straight on without a promise of its own.
  const faultInterceptor: Interceptor = (next) => (request) => {
    if (faults.inventoryDown && request.service.typeName.startsWith("ecom.inventory.")) {
      // Thrown on the calling side of the in-process transport too, where no router maps it: already a Connect error.
      return Promise.reject(
        toConnectError(new ServiceError("unavailable", "inventory is down (fault injected with POST /_sim/faults)")),
      );
    }
    return next(request);
  };
  const routes = (router: ConnectRouter) => {
    for (const context of running) context.parts.rpc?.(router);
  };
  // One access check for every Connect call: on the in-process transport it sees the service identity that only
  // this transport's router sets; on the port, the caller's bearer token (contexts.yaml rpcAccess decides).
  // serviceErrorsAsConnect comes first on both routers: it answers every ServiceError thrown inside (handlers,
  // the access check) with the error table's Connect code.
  // Split mode: the port also takes the other processes' service tokens, and calls to their contexts go over HTTP.
  const serviceTokens =
    external && options.split ? createServiceTokens({ key: external.stores.secrets.serviceToken }) : undefined;
  const accessInterceptor = createAccessInterceptor({
    tokens: core.tokens,
    rules: rpcAccess,
    ...(serviceTokens ? { serviceTokens } : {}),
  });
  const rpcClientInterceptors = [...tracing.rpcClientInterceptors, rpcTrace.interceptor, faultInterceptor];
  const inProcess = createInProcessTransport(routes, {
    router: {
      interceptors: [
        ...tracing.rpcServerInterceptors,
        serviceErrorsAsConnect,
        serviceIdentityInterceptor,
        accessInterceptor,
      ],
    },
    transport: { interceptors: rpcClientInterceptors },
  });
  const clients = createRpcClients(
    serviceTokens && options.split
      ? createSplitTransport({
          local: new Set(options.contexts.map((module) => module.name)),
          inProcess,
          remote: createHttpTransport({
            caller: options.contexts.map((module) => module.name).join("+"),
            registry: options.split.registry,
            tokens: serviceTokens,
            interceptors: rpcClientInterceptors,
          }),
        })
      : inProcess,
  );
  return { routes, accessInterceptor, faultInterceptor, clients };
}
