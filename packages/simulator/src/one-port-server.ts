import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from "node:http";
import {
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from "node:http2";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { createConnectionLimits, DEFAULT_SERVER_LIMITS, type ServerLimits } from "./connection-limits.js";

/** A request handler that serves both HTTP/1.1 and HTTP/2 (node's compatibility API). */
export type DualHandler = (
  request: IncomingMessage | Http2ServerRequest,
  response: ServerResponse | Http2ServerResponse,
) => void;

/** Takes a WebSocket handshake (an HTTP/1.1 request with `Upgrade: websocket`) and owns its socket from then on. */
export type WebSocketUpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** What the one port serves besides the request handler. */
export interface OnePortServerOptions {
  /** WebSocket handshakes; without it they are served as plain requests, as other upgrades are. */
  readonly websocket?: WebSocketUpgradeHandler;
  /** Timeouts and per-client limits (the defaults when absent). */
  readonly limits?: ServerLimits;
}

/**
 * HTTP/2 sessions with nothing sent either way this long are closed. Longer than the HTTP/1.1 keep-alive, since
 * an open event stream on a session is quiet between its 15-second keep-alive comments.
 */
const HTTP2_IDLE_MS = 30_000;

/** One TCP port serving HTTP/1.1 and cleartext HTTP/2 (h2c with prior knowledge, as gRPC clients speak it). */
export interface OnePortServer {
  listen(port: number, host: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

// Every HTTP/2 connection starts with this preface; nothing HTTP/1.1 does.
const PREFACE_START = "PRI * HTTP/2.0";

/**
 * Serve REST, Connect, gRPC-web and gRPC on one port: each new connection's first bytes say which protocol it
 * speaks, and the connection is handed to an HTTP/1.1 or an HTTP/2 server sharing one handler.
 */
export function createOnePortServer(handler: DualHandler, options: OnePortServerOptions = {}): OnePortServer {
  const limits = options.limits ?? DEFAULT_SERVER_LIMITS;
  const guard = createConnectionLimits(limits);
  const http1 = createHttp1Server(
    { maxHeaderSize: limits.maxHeaderBytes },
    handler as (request: IncomingMessage, response: ServerResponse) => void,
  );
  http1.keepAliveTimeout = limits.idleTimeoutMs;
  const { websocket } = options;
  // Connections that are no longer HTTP/1.1 requests: WebSockets (their owner closes them) and HTTP/2 sessions.
  const upgraded = new Set<Duplex>();
  const h2 = new Set<Duplex>();
  if (websocket) {
    http1.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (request.headers.upgrade?.toLowerCase() === "websocket") {
        guard.handedOver(socket as Socket);
        upgraded.add(socket);
        socket.once("close", () => upgraded.delete(socket));
        websocket(request, socket, head);
      } else replayWithoutUpgrade(http1, request, socket, head);
    });
  }
  const http2 = createHttp2Server(
    { settings: { maxHeaderListSize: limits.maxHeaderBytes } },
    handler as (request: Http2ServerRequest, response: Http2ServerResponse) => void,
  );
  // Without a 'timeout' listener, node destroys a session that stays idle this long.
  http2.setTimeout(HTTP2_IDLE_MS);
  const sockets = new Set<Socket>();
  // The HTTP/1.1 server never listens itself, so node does not track its connections and closeIdleConnections()
  // finds none: count each connection's requests in flight here, so shutdown can cut the idle ones at once.
  const busy = new Map<Duplex, number>();
  let closing = false;
  http1.on("request", (request: IncomingMessage, response: ServerResponse) => {
    guard.request(request, response);
    const socket = request.socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    response.once("close", () => {
      const left = (busy.get(socket) ?? 1) - 1;
      if (left > 0) busy.set(socket, left);
      else busy.delete(socket);
      if (closing && left <= 0) socket.destroy();
    });
  });
  const sessions = new Set<ServerHttp2Session>();
  http2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  const server = createNetServer((socket) => {
    if (!guard.accept(socket)) return;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    let seen = Buffer.alloc(0);
    const sniff = () => {
      const chunk: Buffer | null = socket.read();
      if (chunk === null) return;
      seen = Buffer.concat([seen, chunk]);
      const start = seen.toString("latin1", 0, PREFACE_START.length);
      // Too short to tell, and still a possible preface: wait for more bytes before choosing.
      if (seen.length < PREFACE_START.length && PREFACE_START.startsWith(start)) return;
      socket.off("readable", sniff);
      socket.unshift(seen);
      const isHttp2 = start === PREFACE_START;
      if (isHttp2) {
        guard.handedOver(socket);
        h2.add(socket);
      }
      (isHttp2 ? http2 : http1).emit("connection", socket);
    };
    socket.on("readable", sniff);
  });
  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve(server.address() as AddressInfo));
      });
    },
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // HTTP/1.1 connections between requests end now; one with a request in flight ends when its response does.
      for (const socket of sockets) if (!busy.has(socket) && !upgraded.has(socket) && !h2.has(socket)) socket.destroy();
      // HTTP/2 sessions end once their open streams finish.
      for (const session of sessions) session.close();
      // In-flight requests get a moment to finish; then what is left (idle HTTP/2 sessions, open streams) is cut.
      const grace = new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref());
      await Promise.race([closed, grace]);
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/**
 * Serve a request whose upgrade we do not take (`Upgrade: h2c` from `curl --http2`) as a plain HTTP/1.1 request.
 * Node 20 hands every request with an Upgrade header to the `upgrade` listener once there is one, with its parser
 * already gone; so the request head is written back without its upgrade headers, ahead of the bytes still unread,
 * and the socket is handed to the HTTP/1.1 server again, which reads it (body, keep-alive) as it would have.
 */
function replayWithoutUpgrade(
  http1: ReturnType<typeof createHttp1Server>,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  const lines = [`${request.method} ${request.url} HTTP/${request.httpVersion}`];
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index]!;
    let value = request.rawHeaders[index + 1] ?? "";
    if (/^(upgrade|http2-settings)$/i.test(name)) continue;
    if (/^connection$/i.test(name)) {
      // Keep what else it says (`close`), without asking for the upgrade again.
      value = value
        .split(",")
        .map((token) => token.trim())
        .filter((token) => token !== "" && !/^(upgrade|http2-settings)$/i.test(token))
        .join(", ");
      if (value === "") continue;
    }
    lines.push(`${name}: ${value}`);
  }
  socket.unshift(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), head]));
  http1.emit("connection", socket);
}
