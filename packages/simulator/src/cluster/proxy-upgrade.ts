import type { Agent, IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { ServiceError } from "@ecom/services/platform";
import { problemResponse } from "../problem.js";
import { HOP_BY_HOP } from "./forwarded-headers.js";
import { type GatewayTarget, requestTo } from "./gateway-target.js";

/**
 * Pass a WebSocket upgrade on to `target`'s process over a connection of its own (`streamAgent`), then join the two
 * sockets; an upgrade the process refuses is answered with its own answer, and the connection ends.
 */
export function proxyUpgrade(
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: GatewayTarget,
  via: { readonly streamAgent: Agent; readonly headers: IncomingHttpHeaders },
): void {
  // Its own connection: once upgraded, the socket leaves any agent's pool, and a pooled one would wait its turn.
  const upstream = requestTo(target, request, via.streamAgent, via.headers);
  upstream.on("upgrade", (answer, upstreamSocket, upstreamHead) => {
    socket.write(statusLines(answer));
    if (upstreamHead.length > 0) socket.write(upstreamHead);
    if (head.length > 0) upstreamSocket.write(head);
    upstreamSocket.pipe(socket).pipe(upstreamSocket);
    upstreamSocket.on("error", () => socket.destroy());
    socket.on("error", () => upstreamSocket.destroy());
    upstreamSocket.on("close", () => socket.destroy());
    socket.on("close", () => upstreamSocket.destroy());
  });
  // The process refused the upgrade (401, 404, …): its answer goes back as is, and the connection ends.
  upstream.on("response", async (answer) => {
    const chunks: Buffer[] = [];
    for await (const chunk of answer) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const lines = [`HTTP/1.1 ${answer.statusCode ?? 502} ${answer.statusMessage ?? ""}`];
    for (const [name, value] of Object.entries(answer.headers))
      if (value !== undefined && !HOP_BY_HOP.has(name) && name !== "content-length")
        lines.push(`${name}: ${Array.isArray(value) ? value.join(", ") : value}`);
    lines.push(`content-length: ${body.length}`, "connection: close");
    socket.end(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`), body]));
  });
  upstream.on("error", () => socket.destroy());
  socket.on("error", () => upstream.destroy());
  upstream.end();
}

/** An HTTP/1.1 status line and headers, as a raw socket takes them. */
function statusLines(answer: IncomingMessage): string {
  const lines = [`HTTP/1.1 ${answer.statusCode ?? 502} ${answer.statusMessage ?? ""}`];
  for (let i = 0; i < answer.rawHeaders.length; i += 2)
    lines.push(`${answer.rawHeaders[i]}: ${answer.rawHeaders[i + 1]}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** Refuse an upgrade on its raw socket with a problem (and its Retry-After, when it has one). */
export function refuseUpgrade(socket: Duplex, error: ServiceError): void {
  const problem = problemResponse(error, "", "");
  const headers = Object.entries(problem.headers)
    .filter(([name]) => name !== "content-length")
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.end(
    `HTTP/1.1 ${problem.status} ${error.code}\r\n${headers}` +
      `content-length: ${Buffer.byteLength(problem.body)}\r\nconnection: close\r\n\r\n${problem.body}`,
  );
}
