import { type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { EcomMessage } from "@ecom/sdk";
import { validateRequest, validationProblem } from "@ecom/sdk/runtime/v1";
import {
  type Ids,
  isServiceError,
  type Logger,
  type Principal,
  ServiceError,
  type SocketConnection,
  type SocketSource,
  TITLES,
  type TokenService,
} from "@ecom/services/platform";
import type { RawData, WebSocket, WebSocketServer } from "ws";
import { accessDenied } from "./access-policy.js";
import type { EventLogReader, LoggedEvent } from "./bus/event-bus.js";
import { authenticate, parseQuery } from "./gateway/request-parts.js";
import { type GatewayResponse, problemResponse } from "./gateway/rest-gateway.js";
import type { RestRouter } from "./gateway/rest-router.js";
import type { StreamGate } from "./stream-gate.js";
import type { StreamSlots } from "./stream-pump.js";

/** What the WebSocket side of the one port needs. */
export interface EventSocketsOptions {
  readonly eventLog: EventLogReader;
  readonly router: RestRouter;
  /** The socket source of an operation, when a context serves it as one. */
  readonly sourceOf: (context: string, operationId: string) => SocketSource | undefined;
  readonly tokens: TokenService;
  readonly ids: Ids;
  readonly log: Logger;
  /** Real milliseconds between pings (default 30 s, as the contracts promise). */
  readonly pingIntervalMs?: number;
  /** Real milliseconds a socket may stay silent (no message, pong or ping) before it is closed (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** The cap on open event streams, shared with Server-Sent Events: a handshake beyond it is answered 503. */
  readonly slots?: StreamSlots;
  /** The streams' share of the event loop, shared with Server-Sent Events: handshakes are taken in its turns. */
  readonly gate?: StreamGate;
}

/** The WebSocket operations of every context, served on the one port. */
export interface EventSockets {
  /** Take a WebSocket handshake (the HTTP/1.1 server's `upgrade` event): refuse it with a problem, or upgrade it. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Refuse new handshakes, close every open socket (1001, going away) and stop the heartbeat. */
  close(): Promise<void>;
}

/** The close code and reason every socket gets when the platform stops (RFC 6455: going away). */
export const SHUTDOWN_CLOSE = { code: 1001, reason: "The simulator is shutting down." } as const;

const CLOSE_GRACE_MS = 1_000;
/** Client messages are small JSON commands; a larger one closes the socket (1009), as `ws` does. */
const MAX_MESSAGE_BYTES = 64 * 1024;
/** A client this far behind is not reading; it is closed (1013, try again later) rather than buffered without end. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

interface LiveConnection extends SocketConnection {
  readonly socket: WebSocket;
  readonly source: SocketSource;
  subscriptions: Set<string> | undefined;
  readonly idle: NodeJS.Timeout;
  /** Client messages are handled one after another, so a subscribe and the unsubscribe after it keep their order. */
  queue: Promise<void>;
}

/** A client message the runtime understands. */
type ClientCommand = { readonly action: "subscribe" | "unsubscribe"; readonly key: string };

/**
 * The answer to a request for a WebSocket operation that is not a WebSocket handshake (an in-process request, an
 * HTTP/2 request, an HTTP/1.1 request without `Upgrade: websocket`): 426 with the contract's `upgrade_required`.
 */
export function upgradeRequiredResponse(pathname: string, correlationId: string): GatewayResponse {
  const problem = problemResponse(
    new ServiceError(
      "upgrade_required",
      `Open ${pathname} with a WebSocket client (Upgrade websocket, Sec-WebSocket-Version 13).`,
    ),
    pathname,
    correlationId,
  );
  // RFC 9110: a 426 names the protocol to upgrade to.
  return { ...problem, headers: { ...problem.headers, upgrade: "websocket" } };
}

/**
 * Serve the contexts' WebSocket operations: a handshake is routed to its operation, authenticated (Authorization
 * header or `access_token` query parameter), checked against the contract and, when it asks for one thing to follow,
 * authorized by the source — all before the upgrade, so a refusal is a plain problem+json answer. After it, each new
 * event of the source's types that the source accepts for the connection is sent as its envelope's JSON text, and
 * subscribe/unsubscribe messages change what the connection follows. Pings every 30 s keep proxies from cutting
 * quiet sockets and find dead peers; a socket silent for 60 s is terminated.
 */
export function createEventSockets(options: EventSocketsOptions): EventSockets {
  const { eventLog, router, sourceOf, tokens, ids, log } = options;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const correlationIds = new WeakMap<IncomingMessage, string>();
  // `ws` is loaded with the first handshake, not with the platform: most runs never open a socket, and a start
  // that loads less answers /healthz sooner.
  let server: Promise<WebSocketServer> | undefined;
  const webSocketServer = () => {
    server ??= import("ws").then(({ WebSocketServer }) => {
      const made = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: MAX_MESSAGE_BYTES });
      made.on("headers", (headers, request) => {
        const correlationId = correlationIds.get(request);
        if (correlationId) headers.push(`Correlation-Id: ${correlationId}`);
      });
      return made;
    });
    return server;
  };
  const connections = new Set<LiveConnection>();
  let closing = false;

  const send = (connection: LiveConnection, text: string) => {
    const { socket } = connection;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      socket.close(1013, "Too far behind: read the socket's messages as they come.");
      return;
    }
    socket.send(text);
  };
  const sendJson = (connection: LiveConnection, message: Record<string, unknown>) =>
    send(connection, JSON.stringify(message));
  const sendError = (connection: LiveConnection, error: ServiceError, command?: ClientCommand) =>
    sendJson(connection, {
      action: "error",
      type: `https://ecom.dev/problems/${error.code}`,
      title: TITLES[error.code],
      code: error.code,
      detail: error.message,
      ...(command ? { request: { action: command.action, [connection.source.subscriptionKey]: command.key } } : {}),
    });

  const onAppended = (events: readonly LoggedEvent[]) => {
    if (connections.size === 0) return;
    for (const event of events) {
      let message: EcomMessage | undefined;
      for (const connection of connections) {
        if (!connection.source.types.includes(event.eventType as never)) continue;
        message ??= JSON.parse(event.envelope) as EcomMessage;
        let accepted = false;
        try {
          accepted = connection.source.accepts(message, connection);
        } catch (error) {
          log.error("a WebSocket source failed to filter an event", { eventId: event.eventId, error: String(error) });
        }
        // The envelope exactly as the producer's outbox wrote it, payload and all.
        if (accepted) send(connection, event.envelope);
      }
    }
  };
  const unwatch = eventLog.watch(onAppended);

  const pinger = setInterval(() => {
    for (const { socket } of connections) if (socket.readyState === socket.OPEN) socket.ping();
  }, options.pingIntervalMs ?? 30_000);
  pinger.unref();

  const handleMessage = async (connection: LiveConnection, data: RawData, isBinary: boolean) => {
    const { source } = connection;
    const command = parseCommand(data, isBinary, source.subscriptionKey);
    if (isServiceError(command)) return sendError(connection, command);
    const key = source.subscriptionKey;
    if (command.action === "unsubscribe") {
      if (!connection.subscriptions) {
        return sendError(
          connection,
          new ServiceError(
            "conflict",
            `This socket follows everything you may see; to narrow it, subscribe to the ${key}s you want first.`,
          ),
          command,
        );
      }
      connection.subscriptions.delete(command.key);
      return sendJson(connection, { action: "unsubscribed", [key]: command.key });
    }
    try {
      await source.authorize(command.key, connection);
    } catch (error) {
      if (!isServiceError(error)) log.error("a WebSocket source failed to authorize", { error: String(error) });
      return sendError(connection, ServiceError.from(error), command);
    }
    connection.subscriptions ??= new Set();
    connection.subscriptions.add(command.key);
    sendJson(connection, { action: "subscribed", [key]: command.key });
  };

  const open = (socket: WebSocket, source: SocketSource, handshake: SocketConnection) => {
    const connection: LiveConnection = {
      socket,
      source,
      principal: handshake.principal,
      query: handshake.query,
      subscriptions: handshake.subscriptions ? new Set(handshake.subscriptions) : undefined,
      idle: setTimeout(() => socket.terminate(), idleTimeoutMs).unref(),
      queue: Promise.resolve(),
    };
    connections.add(connection);
    const heard = () => connection.idle.refresh();
    socket.on("pong", heard);
    socket.on("ping", heard);
    socket.on("message", (data, isBinary) => {
      heard();
      connection.queue = connection.queue
        .then(() => handleMessage(connection, data, isBinary))
        .catch((error) => log.error("a WebSocket message failed", { error: String(error) }));
    });
    socket.on("error", (error) => log.warn("a WebSocket failed", { error: error.message }));
    socket.once("close", () => {
      clearTimeout(connection.idle);
      connections.delete(connection);
    });
  };

  const admit = async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // The client may have gone while the handshake waited for its turn.
    if (socket.destroyed) return;
    const url = new URL(request.url ?? "/", "http://gateway.invalid");
    const headers = lowerCaseHeaders(request);
    const correlationId = headers["correlation-id"] || ids.next("cor");
    const refuse = (error: ServiceError) =>
      refuseHandshake(socket, problemResponse(error, url.pathname, correlationId));

    const routed = router.route(request.method ?? "GET", url.pathname);
    const source =
      routed.kind === "match" ? sourceOf(routed.match.context, routed.match.operation.operationId) : undefined;
    if (routed.kind !== "match" || !source) {
      return refuse(
        new ServiceError(
          "not_found",
          `No WebSocket operation at ${request.method} ${url.pathname}; the contracts' operations that answer 101 are.`,
        ),
      );
    }
    const { binding, operation, path } = routed.match;

    let principal: Principal | undefined;
    try {
      principal = authenticate(tokens, headers.authorization, url.searchParams.get("access_token") ?? undefined);
    } catch (error) {
      return refuse(ServiceError.from(error));
    }
    const denied = accessDenied(
      operation.access,
      principal ? { kind: "principal", principal } : { kind: "anonymous" },
      `GET ${operation.path} (in the Authorization header or the access_token query parameter)`,
    );
    if (denied) return refuse(denied);

    // RFC 6455 compares the Upgrade value case-insensitively; the contract spells it in lower case.
    if (headers.upgrade !== undefined) headers.upgrade = headers.upgrade.toLowerCase();
    const parts = { path, query: parseQuery(url.searchParams), header: headers, body: undefined };
    const issues = validateRequest(binding.validators ?? (await binding.loadValidators()), operation, parts);
    if (issues.length > 0) {
      const problem = validationProblem(operation, issues);
      return refuse(new ServiceError("validation", problem.detail, { errors: problem.errors }));
    }

    let connection: SocketConnection = { principal, query: parts.query, subscriptions: undefined };
    const chosen = parts.query[source.subscriptionKey];
    if (typeof chosen === "string") {
      try {
        await source.authorize(chosen, connection);
      } catch (error) {
        if (!isServiceError(error)) log.error("a WebSocket source failed to authorize", { error: String(error) });
        return refuse(ServiceError.from(error));
      }
      connection = { ...connection, subscriptions: new Set([chosen]) };
    }
    const upgrader = await webSocketServer();
    if (closing) return refuse(new ServiceError("unavailable", "The simulator is shutting down."));
    if (options.slots && !options.slots.acquire())
      return refuse(
        new ServiceError("unavailable", "Too many event streams are open; try again in a few seconds.", {
          retryAfterSeconds: 5,
        }),
      );
    socket.once("close", () => options.slots?.release());

    correlationIds.set(request, correlationId);
    upgrader.handleUpgrade(request, socket, head, (webSocket) => open(webSocket, source, connection));
  };

  return {
    upgrade(request, socket, head) {
      // Node took its own error listener off the socket with the upgrade; until `ws` owns it, a reset peer is ours.
      const onEarlyError = () => socket.destroy();
      socket.on("error", onEarlyError);
      // Taken in the streams' turn (stream-gate.ts): a burst of handshakes comes in at the streams' pace.
      (options.gate ? options.gate.run(() => admit(request, socket, head)) : admit(request, socket, head))
        .catch((error) => {
          log.error("a WebSocket handshake failed", { error: String(error) });
          refuseHandshake(socket, problemResponse(ServiceError.from(error), request.url ?? "/", ""));
        })
        .finally(() => socket.off("error", onEarlyError));
    },
    async close() {
      closing = true;
      clearInterval(pinger);
      unwatch();
      await Promise.all(
        [...connections].map(
          ({ socket }) =>
            new Promise<void>((resolve) => {
              if (socket.readyState === socket.CLOSED) return resolve();
              socket.once("close", () => resolve());
              socket.close(SHUTDOWN_CLOSE.code, SHUTDOWN_CLOSE.reason);
              // A peer that does not answer the close frame is cut off.
              setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
            }),
        ),
      );
      const made = await server;
      await new Promise<void>((resolve) => (made ? made.close(() => resolve()) : resolve()));
    },
  };
}

/** A client message as a command, or the ServiceError to answer it with. */
function parseCommand(data: RawData, isBinary: boolean, subscriptionKey: string): ClientCommand | ServiceError {
  const example = `{"action":"subscribe","${subscriptionKey}":"…"}`;
  if (isBinary) return new ServiceError("validation", `Send JSON text messages, such as ${example}.`);
  let message: unknown;
  try {
    message = JSON.parse(rawText(data));
  } catch {
    return new ServiceError("validation", `The message is not valid JSON; send one such as ${example}.`);
  }
  if (typeof message !== "object" || message === null || Array.isArray(message))
    return new ServiceError("validation", `The message must be a JSON object, such as ${example}.`);
  const { action } = message as { action?: unknown };
  const key = (message as Record<string, unknown>)[subscriptionKey];
  if (action !== "subscribe" && action !== "unsubscribe")
    return new ServiceError("validation", `"action" must be "subscribe" or "unsubscribe", as in ${example}.`);
  if (typeof key !== "string" || key === "")
    return new ServiceError("validation", `"${subscriptionKey}" must be a non-empty string, as in ${example}.`);
  return { action, key };
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data as ArrayBuffer).toString("utf8");
}

function lowerCaseHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** Answer a handshake with a plain HTTP response (no upgrade) and close the connection once it is written. */
function refuseHandshake(socket: Duplex, response: GatewayResponse): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const headers = {
    ...response.headers,
    "content-length": String(Buffer.byteLength(response.body)),
    connection: "close",
  };
  const head = [
    `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ""}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.once("finish", () => socket.destroy());
  socket.end(`${head.join("\r\n")}\r\n\r\n${response.body}`);
}
