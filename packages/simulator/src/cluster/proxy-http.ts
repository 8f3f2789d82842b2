import type { Agent, IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { ServiceError } from "@ecom/services/platform";
import { writeProblem } from "../problem.js";
import { HOP_BY_HOP } from "./forwarded-headers.js";
import { type GatewayTarget, requestTo } from "./gateway-target.js";

/**
 * Pass a request on to `target`'s process and its answer back, both bodies streamed (SSE written as it comes). A
 * process that does not answer is 503 `unavailable` problem at `instance`, or a dropped connection once the answer
 * has begun.
 */
export function proxyHttp(
  request: IncomingMessage,
  response: ServerResponse,
  target: GatewayTarget,
  via: { readonly agent: Agent; readonly headers: IncomingHttpHeaders; readonly instance: string },
): void {
  const upstream = requestTo(target, request, via.agent, via.headers);
  upstream.on("response", (answer) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers))
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    response.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
    // Streams (SSE) are written as they come: no buffering between the process and the client.
    response.flushHeaders();
    answer.pipe(response);
    answer.on("error", () => response.destroy());
  });
  upstream.on("error", (error) => {
    if (response.headersSent) return response.destroy();
    writeProblem(
      response,
      new ServiceError(
        "unavailable",
        `The process serving ${target.context} (${target.url.origin}) did not answer: ${error.message}.`,
      ),
      via.instance,
    );
  });
  // A client that goes away (an SSE reader closing its tab) ends the request to the process too.
  response.on("close", () => {
    if (!response.writableFinished) upstream.destroy();
  });
  request.pipe(upstream);
}
