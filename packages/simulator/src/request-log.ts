import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { DualHandler } from "./one-port-server.js";

/** One request the port served, as the request log shows it. */
export interface RequestLogEntry {
  readonly method: string;
  /** The path and query asked for. */
  readonly url: string;
  /** The status sent (0 when the connection closed before a response began). */
  readonly status: number;
  readonly durationMs: number;
  /** The response's Correlation-Id (every REST answer echoes or makes one), when it has one. */
  readonly correlationId: string | undefined;
  readonly httpVersion: string;
  readonly userAgent: string | undefined;
  readonly remoteAddress: string | undefined;
}

/**
 * Wrap the port's handler so each request is reported once its response is done. The report is taken from what
 * the response already holds, after it finished, so it never delays an answer; writing it out is the caller's.
 * `clientAddress` names the client (the socket's address unless the port's gateway vouched for another).
 */
export function withRequestLog(
  handler: DualHandler,
  onRequest: (entry: RequestLogEntry) => void,
  clientAddress: (request: IncomingMessage | Http2ServerRequest) => string | undefined = (request) =>
    request.socket?.remoteAddress,
): DualHandler {
  return (request, response) => {
    const started = performance.now();
    // Headers handed to writeHead (as the gateway does) are not kept where getHeader finds them: note the id there.
    let headedId: string | undefined;
    const writeHead = response.writeHead;
    response.writeHead = function (this: typeof response, ...args: unknown[]) {
      const headers = args.find((arg) => typeof arg === "object" && arg !== null && !Array.isArray(arg));
      const id = (headers as Record<string, unknown> | undefined)?.["correlation-id"];
      if (typeof id === "string") headedId = id;
      return (writeHead as (...rest: unknown[]) => typeof response).apply(this, args);
    } as typeof response.writeHead;
    const report = () => {
      const header = response.getHeader("correlation-id");
      const correlationId = headedId ?? (typeof header === "string" ? header : undefined);
      onRequest({
        method: request.method ?? "GET",
        url: request.url ?? "/",
        status: response.headersSent ? response.statusCode : 0,
        durationMs: performance.now() - started,
        correlationId,
        httpVersion: request.httpVersion,
        userAgent: request.headers["user-agent"],
        remoteAddress: clientAddress(request),
      });
    };
    (response as ServerResponse | Http2ServerResponse).once("close", report);
    handler(request as IncomingMessage & Http2ServerRequest, response as ServerResponse & Http2ServerResponse);
  };
}
