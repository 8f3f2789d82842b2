import type { IncomingHttpHeaders } from "node:http";
import type { ServiceTokens } from "./service-token.js";

/**
 * The header the gateway proves itself with: a service token (`sub` {@link GATEWAY_CALLER}, `aud`
 * {@link FORWARDED_CLIENT_AUDIENCE}) signed with the platform's service-token key, which only the platform's own
 * processes and its gateway hold.
 */
export const GATEWAY_TOKEN_HEADER = "ecom-gateway-token";
/** The `sub` of the gateway's token. No context has this name, so a context's token never passes for it. */
export const GATEWAY_CALLER = "gateway";
/**
 * The `aud` of the gateway's token: no context either, so the token vouches for the forwarded client address only
 * and calls no context's RPCs (they check `aud` against the called context).
 */
export const FORWARDED_CLIENT_AUDIENCE = "forwarded-client";

/** What a request offers to tell its client's address: its headers and the socket it came on. */
export interface ClientRequest {
  readonly headers: IncomingHttpHeaders;
  readonly socket?: { readonly remoteAddress?: string | undefined } | undefined;
}

/**
 * The address a process counts a request as coming from (anonymous Idempotency-Keys' scope, the request log's
 * client). The socket's address, unless the request carries a valid gateway token: then the last address of
 * `X-Forwarded-For`, the one the gateway appended as its own socket saw the client (earlier ones are the client's
 * word). Without `tokens` (a process no gateway fronts), or with a token missing, forged, expired or meant for
 * another audience, `X-Forwarded-For` is ignored: a client that reaches a process directly cannot pass for another.
 */
export function createClientAddress(
  tokens: Pick<ServiceTokens, "verify"> | undefined,
): (request: ClientRequest) => string | undefined {
  return (request) => {
    const own = request.socket?.remoteAddress;
    if (tokens === undefined) return own;
    const token = request.headers[GATEWAY_TOKEN_HEADER];
    const forwarded = lastForwarded(request.headers["x-forwarded-for"]);
    if (typeof token !== "string" || forwarded === undefined) return own;
    try {
      return tokens.verify(token, FORWARDED_CLIENT_AUDIENCE).context === GATEWAY_CALLER ? forwarded : own;
    } catch {
      // Not the gateway's: the header is someone's claim, not a fact.
      return own;
    }
  };
}

/**
 * The headers the gateway adds to a request it passes on from `remoteAddress`: `X-Forwarded-For` with that address
 * appended, and its token. A client's own gateway-token header never passes (it is replaced).
 */
export function forwardedClientHeaders(
  tokens: Pick<ServiceTokens, "tokenFor">,
  clientForwardedFor: string | string[] | undefined,
  remoteAddress: string | undefined,
): IncomingHttpHeaders {
  if (remoteAddress === undefined) return {};
  const chain = [clientForwardedFor, remoteAddress].flat().filter(Boolean).join(", ");
  return {
    "x-forwarded-for": chain,
    [GATEWAY_TOKEN_HEADER]: tokens.tokenFor(GATEWAY_CALLER, FORWARDED_CLIENT_AUDIENCE),
  };
}

function lastForwarded(header: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(header) ? header.join(",") : header;
  const last = joined?.split(",").at(-1)?.trim();
  return last === undefined || last === "" ? undefined : last;
}
