import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * How long the port waits for slow clients and how much one client may hold. Every limit applies to HTTP/1.1
 * connections from their first byte; HTTP/2 sessions get `idleTimeoutMs`.
 */
export interface ServerLimits {
  /** A request head (request line and headers) must arrive whole within this, from the connection's start or the end of the previous response. */
  readonly headersTimeoutMs: number;
  /** A request body must arrive whole within this, from the end of its head. */
  readonly bodyTimeoutMs: number;
  /** A connection with no request in flight is closed after this long (HTTP/1.1 keep-alive; HTTP/2 sessions). */
  readonly idleTimeoutMs: number;
  /** The largest request head accepted (431 beyond it, from node's parser). */
  readonly maxHeaderBytes: number;
  /** Open connections from one client address beyond this are closed at once. */
  readonly maxConnectionsPerAddress: number;
  /** Open event streams (SSE and WebSocket) beyond this are answered 503 with Retry-After. */
  readonly maxStreams: number;
  /** A stream whose socket stays full (the client does not read) this long is dropped. */
  readonly slowStreamTimeoutMs: number;
}

/** The defaults, as README.md ("Security model") documents them. */
export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 15_000,
  bodyTimeoutMs: 30_000,
  idleTimeoutMs: 5_000,
  maxHeaderBytes: 16 * 1024,
  maxConnectionsPerAddress: 1_024,
  maxStreams: 1_000,
  slowStreamTimeoutMs: 30_000,
};

/**
 * Timers and counters for the connections of one port. Node's own `headersTimeout` and `requestTimeout` are checked
 * only for connections a server accepted itself, and the one port hands connections over after sniffing their
 * first bytes, so the port keeps these deadlines itself: a head that does not arrive, a body that trickles, a
 * socket that says nothing are all cut.
 */
export function createConnectionLimits(limits: ServerLimits) {
  const perAddress = new Map<string, number>();
  const deadlines = new WeakMap<Socket, NodeJS.Timeout>();

  /** Destroy `socket` in `ms` unless cleared first, or unless `done()` says what it waited for has come. */
  const cut = (socket: Socket, ms: number, done: () => boolean = () => false) => {
    clearTimeout(deadlines.get(socket));
    const timer = setTimeout(() => {
      deadlines.delete(socket);
      if (!done()) socket.destroy();
    }, ms);
    timer.unref();
    deadlines.set(socket, timer);
  };
  const clear = (socket: Socket) => {
    clearTimeout(deadlines.get(socket));
    deadlines.delete(socket);
  };

  return {
    /** A new connection: false (and the socket destroyed) when its address holds too many already. */
    accept(socket: Socket): boolean {
      const address = socket.remoteAddress ?? "unknown";
      const open = perAddress.get(address) ?? 0;
      if (open >= limits.maxConnectionsPerAddress) {
        socket.destroy();
        return false;
      }
      perAddress.set(address, open + 1);
      socket.once("close", () => {
        clear(socket);
        const left = (perAddress.get(address) ?? 1) - 1;
        if (left > 0) perAddress.set(address, left);
        else perAddress.delete(address);
      });
      // Until a whole request head (or an HTTP/2 preface) arrives.
      cut(socket, limits.headersTimeoutMs);
      return true;
    },
    /** The connection turned out to be HTTP/2 or a WebSocket: its own protocol's timeouts govern it from now on. */
    handedOver(socket: Socket): void {
      clear(socket);
    },
    /** An HTTP/1.1 request head arrived: its body now has `bodyTimeoutMs`; after the response, the next head. */
    request(request: IncomingMessage, response: ServerResponse): void {
      const socket = request.socket;
      // `complete` turns true once the parser has the whole message, whether or not a handler reads the body.
      if (request.complete) clear(socket);
      else cut(socket, limits.bodyTimeoutMs, () => request.complete);
      response.once("finish", () => {
        if (!socket.destroyed) cut(socket, limits.headersTimeoutMs);
      });
    },
  };
}
