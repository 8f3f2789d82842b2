import { request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type SecurityKit, startKit } from "./security-kit.js";

// The port's limits, with short timeouts so the mechanism is watched at work (the defaults are longer; the
// exhaustion test runs them). Every wait here is for an event (a close, an answer), never for a time to pass.

let kit: SecurityKit;
let port: number;
beforeAll(async () => {
  kit = await startKit({
    limits: {
      headersTimeoutMs: 1_000,
      bodyTimeoutMs: 1_000,
      idleTimeoutMs: 500,
      maxHeaderBytes: 4 * 1024,
      maxConnectionsPerAddress: 300,
      maxStreams: 3,
      // Long enough that a reading client on a loaded machine is never taken for one that does not read.
      slowStreamTimeoutMs: 5_000,
    },
  });
  port = Number(new URL(kit.url).port);
  // A log worth tens of megabytes, so a replay cannot fit in the socket buffers of a client that does not read.
  const padding = "x".repeat(4_000);
  for (let start = 0; start < 6_000; start += 1_000) {
    await kit.platform.bus.publish(
      Array.from({ length: 1_000 }, (_, offset) => {
        const eventId = `evt_limits${String(start + offset).padStart(8, "0")}`;
        return {
          eventId,
          eventType: "ecommerce.limits.filler.recorded.v1",
          producer: "limits",
          correlationId: "cor_limits",
          envelope: JSON.stringify({ eventId, payload: { padding } }),
        };
      }),
    );
  }
});
afterAll(async () => {
  await kit.close();
});

const open = (): Socket => {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  return socket;
};
/** Resolve once `condition` holds, looking every 20 ms. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}
const closed = (socket: Socket) => new Promise<void>((resolve) => socket.once("close", () => resolve()));
/** The status line of the first answer on `socket`. */
const statusLine = (socket: Socket) =>
  new Promise<string>((resolve) => {
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (text.includes("\r\n")) resolve(text.slice(0, text.indexOf("\r\n")));
    });
  });

describe("finding 4: slow clients were never cut", () => {
  it("a connection that sends nothing is closed", async () => {
    await closed(open());
  });

  it("a request head sent a byte at a time is closed before it completes", async () => {
    const socket = open();
    const head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let index = 0;
    const timer = setInterval(() => socket.write(head[index++ % head.length]!), 50);
    await closed(socket);
    clearInterval(timer);
    expect(index).toBeLessThan(head.length);
  });

  it("a body sent a byte at a time is closed before it completes", async () => {
    const socket = open();
    socket.write(
      "POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n",
    );
    let sent = 0;
    const timer = setInterval(() => {
      socket.write("{");
      sent++;
    }, 50);
    await closed(socket);
    clearInterval(timer);
    expect(sent).toBeLessThan(500);
  });

  it("an idle keep-alive connection is closed after its response", async () => {
    const socket = open();
    const answered = statusLine(socket);
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(await answered).toBe("HTTP/1.1 200 OK");
    await closed(socket);
  });

  it("a request head over the header limit is answered 431", async () => {
    const socket = open();
    const answered = statusLine(socket);
    socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(8 * 1024)}\r\n\r\n`);
    expect(await answered).toBe("HTTP/1.1 431 Request Header Fields Too Large");
  });

  it("still serves 256 connections from one address at once", async () => {
    const sockets = Array.from({ length: 256 }, open);
    const answers = await Promise.all(
      sockets.map((socket) => {
        const answered = statusLine(socket);
        socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        return answered;
      }),
    );
    expect(answers.every((line) => line === "HTTP/1.1 200 OK")).toBe(true);
    for (const socket of sockets) socket.destroy();
  });
});

describe("finding 3: a client that did not read an event stream grew the server without bound", () => {
  it("a replaying client that does not read is dropped, and the log is paged to it, not loaded", async () => {
    // Each open stream watches the log; its watch ends with the stream. (A paused client cannot see the server's
    // close until it reads what is buffered, so the server's side is what is counted.)
    let watching = 0;
    const log = kit.platform.eventLog;
    const watch = log.watch.bind(log);
    const spy = vi.spyOn(log, "watch").mockImplementation((onEvents) => {
      watching++;
      const stop = watch(onEvents);
      return () => {
        watching--;
        stop();
      };
    });
    const listeners = () => watching;
    const before = listeners();
    const socket = open();
    socket.write("GET /_sim/events?since=0 HTTP/1.1\r\nHost: x\r\n\r\n");
    socket.pause();
    await until(() => listeners() > before);
    await until(() => listeners() === before);
    socket.destroy();
    spy.mockRestore();
  });

  it("a reading client still gets every event of a replay, page after page", async () => {
    const type = "ecommerce.limits.filler.recorded.v1";
    // The last 1,500 fillers: several pages of the pump, without making the test read the whole log.
    const since = (await kit.platform.eventLog.lastSeq()) - 1_500;
    const want = (await kit.platform.eventLog.read({ afterSeq: since, types: [type], limit: 10_000 })).length;
    const response = await fetch(`${kit.url}/_sim/events?since=${since}&types=${type}`);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    let frames = 0;
    while (frames < want) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      const parts = text.split("\n\n");
      text = parts.pop() ?? "";
      frames += parts.filter((part) => part.startsWith("id: ")).length;
    }
    await reader.cancel();
    expect(want).toBeGreaterThan(1_000);
    expect(frames).toBe(want);
  });

  it("streams beyond the cap are answered 503 with Retry-After", async () => {
    const held = Array.from({ length: 3 }, () => {
      const socket = open();
      const answered = statusLine(socket);
      socket.write("GET /_sim/events HTTP/1.1\r\nHost: x\r\n\r\n");
      return { socket, answered };
    });
    for (const { answered } of held) expect(await answered).toBe("HTTP/1.1 200 OK");
    const refused = await new Promise<{ status: number; retryAfter: unknown; body: string }>((resolve, reject) => {
      const request = httpRequest({ host: "127.0.0.1", port, path: "/_sim/events", agent: false }, (response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, retryAfter: response.headers["retry-after"], body }),
        );
      });
      request.on("error", reject);
      request.end();
    });
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe("5");
    expect(JSON.parse(refused.body)).toMatchObject({ status: 503, code: "unavailable" });
    for (const { socket } of held) socket.destroy();
  });
});
