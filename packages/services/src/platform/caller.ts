import type { Principal } from "./ports.js";
import { ServiceError } from "./service-error.js";

/**
 * The caller of an operation that needs one. The gateway already refuses operations that declare bearerAuth without
 * a valid token; this guards operations whose token is optional and a misconfigured contract.
 */
export function signedIn(principal: Principal | undefined): Principal {
  if (!principal) throw new ServiceError("unauthenticated", "Send a bearer token from POST /auth/login.");
  return principal;
}

/** The caller, who must be an admin (403 otherwise); `what` names the operation in the message. */
export function requireAdmin(principal: Principal | undefined, what = "This operation"): Principal {
  const caller = signedIn(principal);
  if (caller.role !== "admin")
    throw new ServiceError("forbidden", `${what} needs the admin role; log in with an admin account.`);
  return caller;
}
