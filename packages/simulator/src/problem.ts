import type { ServerResponse } from "node:http";
import { ERROR_WIRE, type ServiceError } from "@ecom/services/platform";
import type { GatewayResponse } from "./gateway/rest-gateway.js";

const PROBLEM = "application/problem+json";

/**
 * The one problem+json (RFC 9457) builder of the port: the gateway, the handlers' errors, the WebSocket
 * handshakes, the event streams and `/_sim` all answer through it. The status (of the response and of the body's
 * `status`) comes from the error code's row of ERROR_WIRE, so the two always agree.
 */
export function problemResponse(error: ServiceError, instance: string, correlationId: string): GatewayResponse {
  const { status, title } = ERROR_WIRE[error.code];
  const code = error.details.problem ?? error.code;
  const body = {
    type: `https://ecom.dev/problems/${code}`,
    title,
    status,
    code,
    detail: error.message,
    instance,
    ...(error.details.errors ? { errors: error.details.errors } : {}),
    ...(correlationId ? { correlationId } : {}),
  };
  const headers: Record<string, string> = { "content-type": PROBLEM };
  if (correlationId) headers["correlation-id"] = correlationId;
  if (error.details.retryAfterSeconds !== undefined) headers["retry-after"] = String(error.details.retryAfterSeconds);
  return { status, headers, body: JSON.stringify(body) };
}

/** Write a problem straight to a node response (streams, refusals before the gateway), closing the request. */
export function writeProblem(
  response: ServerResponse,
  error: ServiceError,
  instance: string,
  extraHeaders: Readonly<Record<string, string>> = {},
): void {
  const problem = problemResponse(error, instance, "");
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(problem.status, {
    ...problem.headers,
    ...extraHeaders,
    "content-length": Buffer.byteLength(problem.body),
  });
  response.end(problem.body);
}
