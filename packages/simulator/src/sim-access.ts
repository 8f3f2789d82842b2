import { isIP } from "node:net";
import { ServiceError, type TokenService } from "@ecom/services/platform";
import { callerOf } from "./access-policy.js";

/** Whether `host` only accepts connections from this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare === "::1" || bare === "0:0:0:0:0:0:0:1") return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare)?.[1];
  return mapped?.startsWith("127.") === true;
}

/**
 * Whether a `/_sim` request reveals customers' data or changes the platform: everything under `/_sim/` except
 * reading the clock and the fault switches. `/healthz` is never guarded.
 */
export function simRouteIsGuarded(method: string, pathname: string): boolean {
  if (!pathname.startsWith("/_sim/") && pathname !== "/_sim") return false;
  return !(method === "GET" && (pathname === "/_sim/clock" || pathname === "/_sim/faults"));
}

/**
 * The `/_sim` guard: open on loopback (a developer's own machine), admin token required once the server is bound
 * to an address others can reach. Returns the refusal, or undefined when the request may go on.
 */
export function createSimGuard(tokens: TokenService) {
  let guarded = false;
  return {
    /** Called when the server binds: guard `/_sim` unless `host` is loopback. */
    boundTo(host: string) {
      guarded = !isLoopbackHost(host);
    },
    get guarded() {
      return guarded;
    },
    /**
     * Whether a request may speak for the platform as `/_sim` may: always on loopback, else only with an admin token.
     * The public edge honours a caller's `traceparent` only then (see the tracing's `trustsCaller`).
     */
    trusts(authorization: string | undefined): boolean {
      if (!guarded) return true;
      try {
        const caller = callerOf(tokens, authorization);
        return caller.kind === "principal" && caller.principal.role === "admin";
      } catch {
        return false;
      }
    },
    refusal(method: string, pathname: string, authorization: string | undefined): ServiceError | undefined {
      if (!guarded || !simRouteIsGuarded(method, pathname)) return undefined;
      let caller: ReturnType<typeof callerOf>;
      try {
        caller = callerOf(tokens, authorization);
      } catch (error) {
        return ServiceError.from(error);
      }
      if (caller.kind === "anonymous")
        return new ServiceError(
          "unauthenticated",
          `${pathname} needs an admin bearer token when the simulator listens on a non-loopback address.`,
        );
      if (caller.kind === "principal" && caller.principal.role !== "admin")
        return new ServiceError("forbidden", `${pathname} needs the admin role on a non-loopback address.`);
      return undefined;
    },
  };
}
