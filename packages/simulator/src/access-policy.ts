import type { Interceptor } from "@connectrpc/connect";
import type { RpcAccessRule } from "@ecom/sdk/rpc";
import { type Caller, callerKey, ServiceError, type TokenService } from "@ecom/services/platform";
import { claimsServiceType, contextOfService, type ServiceTokens } from "./cluster/service-token.js";
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
export const serviceIdentityInterceptor: Interceptor = (next) => (request) => {
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
  /**
   * Given only to a process that serves contexts to other processes: a bearer token with `typ: "service"` is then
   * checked here (signature, `aud` = the called method's context, `exp`) and makes the caller the service identity.
   * Without it, such a token goes to `tokens`, which refuses it.
   */
  readonly serviceTokens?: Pick<ServiceTokens, "verify">;
}): Interceptor {
  const { serviceTokens } = options;
  // A method's name and rule, found once per method rather than by a new string on every call.
  const methods = new WeakMap<object, { readonly name: string; readonly rule: AccessRule | undefined }>();
  const methodOf = (request: {
    readonly service: { readonly typeName: string };
    readonly method: { name: string };
  }) => {
    let method = methods.get(request.method);
    if (!method) {
      const name = `${request.service.typeName}/${request.method.name}`;
      method = { name, rule: options.rules[name] };
      methods.set(request.method, method);
    }
    return method;
  };
  // Not an async function: a call from another context (most calls) passes straight on, without a promise of its
  // own; a refusal is a rejected promise, as an async interceptor's would be.
  return (next) => (request) => {
    let caller = request.contextValues.get(callerKey);
    // The service identity may call any method (accessDenied lets it through before looking at the rule).
    if (caller.kind === "service") return next(request);
    try {
      // A bad token throws a ServiceError `unauthenticated`; serviceErrorsAsConnect answers it with its Connect code.
      const authorization = request.header.get("authorization") ?? undefined;
      const bearer = authorization === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
      if (serviceTokens && bearer !== undefined && claimsServiceType(bearer)) {
        // The audience is the context the called method belongs to, never one the request names.
        serviceTokens.verify(bearer, contextOfService(request.service.typeName) ?? request.service.typeName);
        caller = { kind: "service" };
      } else {
        caller = callerOf(options.tokens, authorization);
      }
      request.contextValues.set(callerKey, caller);
      const { name, rule } = methodOf(request);
      const denied = accessDenied(rule, caller, name);
      if (denied) throw denied;
    } catch (error) {
      return Promise.reject(error);
    }
    return next(request);
  };
}
