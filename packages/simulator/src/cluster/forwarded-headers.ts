import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { forwardedClientHeaders, GATEWAY_TOKEN_HEADER } from "./forwarded-client.js";
import type { GatewayRouterOptions } from "./gateway-router.js";
import { claimsServiceType } from "./service-token.js";

// Hop-by-hop headers (RFC 9110 7.6.1) are the connection's own, never forwarded.
export const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * The headers a request is passed on with: without hop-by-hop headers (but `Upgrade` and `Connection` for an
 * upgrade, `keepUpgrade`), an outside service token, or, at a public edge, the caller's trace; with the client's
 * address vouched for by the gateway's token and the host it asked for.
 */
export function forwardedHeaders(
  request: IncomingMessage,
  keepUpgrade: boolean,
  options: Pick<GatewayRouterOptions, "tokens" | "publicEdge">,
): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (
      name.startsWith(":") ||
      (HOP_BY_HOP.has(name) && !(keepUpgrade && (name === "upgrade" || name === "connection")))
    )
      continue;
    headers[name] = value;
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
  if (bearer !== undefined && claimsServiceType(bearer)) delete headers.authorization;
  if (options.publicEdge) {
    delete headers.traceparent;
    delete headers.tracestate;
  }
  // Only the gateway vouches for an address: a client's own token header never passes.
  delete headers[GATEWAY_TOKEN_HEADER];
  Object.assign(
    headers,
    forwardedClientHeaders(options.tokens, request.headers["x-forwarded-for"], request.socket.remoteAddress),
  );
  if (request.headers.host) headers["x-forwarded-host"] = request.headers.host;
  return headers;
}
