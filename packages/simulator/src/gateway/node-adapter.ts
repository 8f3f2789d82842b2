import type { IncomingMessage, ServerResponse } from "node:http";
import type { GatewayRequest, GatewayResponse } from "./rest-gateway.js";

/** The largest request body accepted (1 MiB); a larger one gets 413 without being read further. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Read a node:http request into a {@link GatewayRequest}; undefined when the body is too large. `remoteAddress` is
 * the client's, when the port knows better than the socket (a request its gateway forwarded).
 */
export async function readNodeRequest(
  request: IncomingMessage,
  remoteAddress: string | undefined = request.socket.remoteAddress,
): Promise<GatewayRequest | undefined> {
  // An HTTP/1.x request with neither Content-Length nor Transfer-Encoding has no body (RFC 9112, 6.3): a GET is
  // not read at all (node discards the empty stream once the response ends). HTTP/2 may send a body without a
  // length, so it is always read.
  const bodiless =
    request.httpVersionMajor === 1 &&
    request.headers["content-length"] === undefined &&
    request.headers["transfer-encoding"] === undefined;
  const body = bodiless ? "" : await readBody(request);
  if (body === undefined) return undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !name.startsWith(":")) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return { method: request.method ?? "GET", url: request.url ?? "/", headers, body, remoteAddress };
}

/**
 * A request's body as text; undefined once it grows past {@link MAX_BODY_BYTES} (the rest is then left unread). Read by its `data` and `end` events rather than an async iterator, which makes
 * a promise per chunk and an end-of-stream watcher for each body (most bodies are one chunk). Rejects when the request
 * fails or closes before its end (a client that went away).
 */
function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = () => {
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onError);
      request.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      // Not read further: the answer closes the connection (destroying the request would cut the socket under it).
      settle();
      request.pause();
      resolve(undefined);
    };
    const onEnd = () => {
      settle();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString("utf8") : Buffer.concat(chunks).toString("utf8"));
    };
    const onError = (error: Error) => {
      settle();
      reject(error);
    };
    const onClose = () => {
      settle();
      reject(new Error("the request closed before its body ended"));
    };
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onError);
    request.on("close", onClose);
  });
}

/** Write a {@link GatewayResponse} to a node:http response. */
export function writeNodeResponse(response: ServerResponse, gateway: GatewayResponse): void {
  response.writeHead(gateway.status, { ...gateway.headers, "content-length": Buffer.byteLength(gateway.body) });
  response.end(gateway.body);
}

/** Turn a fetch Request into a {@link GatewayRequest} (for the in-process fetch). */
export async function readFetchRequest(request: Request): Promise<GatewayRequest> {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  return { method: request.method, url: `${url.pathname}${url.search}`, headers, body: await request.text() };
}

/** Turn a {@link GatewayResponse} into a fetch Response. */
export function toFetchResponse(gateway: GatewayResponse): Response {
  const empty = gateway.status === 204 || gateway.status === 304;
  return new Response(empty ? null : gateway.body, { status: gateway.status, headers: gateway.headers });
}
