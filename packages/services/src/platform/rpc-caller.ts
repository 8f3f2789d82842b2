import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { Principal } from "./ports.js";

/**
 * Who is calling an RPC, as the access policy saw it: another context inside the platform (the in-process
 * transport's service identity, which no request on the port can carry), a caller with a verified bearer token,
 * or nobody.
 */
export type Caller =
  | { readonly kind: "service" }
  | { readonly kind: "principal"; readonly principal: Principal }
  | { readonly kind: "anonymous" };

/**
 * The caller of a Connect call. The runtime's access interceptor sets it before any handler runs; it lives here,
 * beside the contexts, so that handlers acting for their caller (`customer-own` methods) read the same value.
 */
export const callerKey = createContextKey<Caller>({ kind: "anonymous" }, { description: "ecom caller" });

/**
 * The signed-in customer or admin an RPC acts for, or undefined. The service identity is no customer: a
 * `customer-own` method called by another context finds nobody to act for and refuses, as REST does without a token.
 */
export function principalOf(context: HandlerContext): Principal | undefined {
  const caller = context.values.get(callerKey);
  return caller.kind === "principal" ? caller.principal : undefined;
}
