import type { Interceptor } from "@connectrpc/connect";
import type { RpcAccessRule } from "@ecom/sdk/rpc";
import { type Caller, callerKey, ServiceError, type TokenService } from "@ecom/services/platform";
import { authenticate } from "./gateway/request-parts.js";

// The caller and its context key live beside the contexts, whose `customer-own` RPCs act for that caller.
export { type Caller, callerKey };

/**
 * The rule of an operation or RPC (contracts/README.md, "Access policy"): REST operations take theirs from the
 * OpenAPI `security` and `x-access`, RPC methods from `rpcAccess` in contexts.yaml.
 */
export type AccessRule = RpcAccessRule;

/**
 * The one decision every protocol enforces: undefined when `caller` may call an operation of `rule`, else the
 * ServiceError to answer with. `customer-own` only lets a signed-in caller through; the handler then scopes what
 * it touches to the caller's own (another customer's things are `not_found`).
 */
export function accessDenied(rule: AccessRule | undefined, caller: Caller, what: string): ServiceError | undefined {
  if (caller.kind === "service") return undefined;
  if (rule === "public") return undefined;
  if (rule === undefined || rule === "internal")
    return new ServiceError("forbidden", `${what} is internal: only the platform's own contexts may call it.`);
  if (caller.kind === "anonymous")
    return new ServiceError("unauthenticated", `${what} needs a bearer token from POST /auth/login.`);
  if (rule === "admin" && caller.principal.role !== "admin")
    return new ServiceError("forbidden", `${what} needs the admin role; log in with an admin account.`);
  return undefined;
}

/** The caller of a request with this Authorization header; a ServiceError `unauthenticated` for a bad token. */
export function callerOf(tokens: TokenService, authorization: string | undefined, fallbackToken?: string): Caller {
  const principal = authenticate(tokens, authorization, fallbackToken);
  return principal ? { kind: "principal", principal } : { kind: "anonymous" };
}

/**
 * The in-process transport's server-side interceptor: every call on it comes from another context, so it carries
 * the platform's service identity. Only the in-process router has it; the port's router never does, so no
 * request from outside can present this identity.
 */
export const serviceIdentityInterceptor: Interceptor = (next) => async (request) => {
  request.contextValues.set(callerKey, { kind: "service" });
  return next(request);
};

/**
 * The access check of Connect, gRPC and gRPC-web calls: the method's rule from `rules` (a method without one is
 * refused: fail closed), the caller from the service identity or the bearer token in `authorization`.
 * Refusals are ServiceErrors (`unauthenticated`, `forbidden`), answered with their Connect codes by
 * serviceErrorsAsConnect, which must come before this interceptor in the router's list.
 */
export function createAccessInterceptor(options: {
  readonly tokens: TokenService;
  readonly rules: Readonly<Record<string, AccessRule>>;
}): Interceptor {
  return (next) => async (request) => {
    const name = `${request.service.typeName}/${request.method.name}`;
    let caller = request.contextValues.get(callerKey);
    if (caller.kind !== "service") {
      // A bad token throws a ServiceError `unauthenticated`; serviceErrorsAsConnect answers it with its Connect code.
      caller = callerOf(options.tokens, request.header.get("authorization") ?? undefined);
      request.contextValues.set(callerKey, caller);
    }
    const denied = accessDenied(options.rules[name], caller, name);
    if (denied) throw denied;
    return next(request);
  };
}
