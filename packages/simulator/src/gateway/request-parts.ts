import { type Principal, ServiceError, type TokenService } from "@ecom/services/platform";

/**
 * Query parameters as the contract validators take them: one value as a string, a repeated one as an array of its
 * values in order; names in the order they first appear. One pass over the pairs, not a `getAll` scan per name.
 */
export function parseQuery(search: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of search) {
    // Own properties only: a name such as `constructor` is a parameter like any other.
    const seen = Object.hasOwn(query, key) ? query[key] : undefined;
    if (seen === undefined) query[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else query[key] = [seen, value];
  }
  return query;
}

/**
 * The caller of a request, from its Authorization header (`Bearer <token>`) or, where a client cannot set headers
 * (a browser's WebSocket), a token passed separately. Undefined without a token; a ServiceError `unauthenticated`
 * for a malformed header or a token that fails verification.
 */
export function authenticate(
  tokens: TokenService,
  authorization: string | undefined,
  fallbackToken?: string,
): Principal | undefined {
  const token = authorization === undefined ? fallbackToken : /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
  if (authorization !== undefined && !token)
    throw new ServiceError("unauthenticated", "The Authorization header must be `Bearer <token>`.");
  return token === undefined ? undefined : tokens.verify(token, { type: "access" });
}
