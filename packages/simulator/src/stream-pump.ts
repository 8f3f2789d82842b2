import type { IncomingMessage, ServerResponse } from "node:http";
import { ServiceError } from "@ecom/services/platform";
import type { EventLogReader, LoggedEvent } from "./bus/event-bus.js";
import { writeProblem } from "./problem.js";
import type { StreamGate } from "./stream-gate.js";

/** Events read from the log per page: a replay from the start never holds more than this in memory per stream. */
const PAGE_SIZE = 100;
const KEEP_ALIVE_MS = 15_000;

/**
 * A cap on the event streams (Server-Sent Events and WebSockets) open at once: each holds a socket and buffers,
 * so beyond the cap a new one is answered 503 with Retry-After instead of being let in.
 */
export interface StreamSlots {
  /** Take a slot; false when every slot is taken. */
  acquire(): boolean;
  release(): void;
  readonly open: number;
}

/** Slots for at most `max` streams at once. */
export function createStreamSlots(max: number): StreamSlots {
  let open = 0;
  return {
    acquire() {
      if (open >= max) return false;
      open += 1;
      return true;
    },
    release() {
      open = Math.max(0, open - 1);
    },
    get open() {
      return open;
    },
  };
}

/** The 503 a stream gets when every slot is taken. */
export function tooManyStreams(response: ServerResponse, instance: string): void {
  writeProblem(
    response,
    new ServiceError("unavailable", "Too many event streams are open; try again in a few seconds.", {
      retryAfterSeconds: 5,
    }),
    instance,
  );
}

/** What {@link pumpEvents} needs. */
export interface PumpOptions {
  readonly eventLog: EventLogReader;
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  /** Send the events after this sequence number. */
  readonly afterSeq: number;
  readonly types?: readonly string[] | undefined;
  readonly correlationId?: string | undefined;
  /** The frame of one event, or undefined to send nothing for it. */
  readonly frameOf: (event: LoggedEvent) => string | undefined;
  /** A client whose socket stays full this long (it does not read) is dropped. */
  readonly slowStreamTimeoutMs: number;
  /** Called once the stream ends, however it ends. */
  readonly onEnd?: () => void;
  /** Shared by every stream of the platform. */
  readonly gate: StreamGate;
}

/**
 * Feed a Server-Sent Events response from the event log with backpressure: read a page after the last event sent,
 * write its frames, and when the socket's buffer is full stop reading until it drains; a client that does not
 * drain within `slowStreamTimeoutMs` is dropped. New events only wake the pump, which reads them from the log, so
 * a slow client costs one page and its socket buffer, never a copy of the log. Keep-alive comments every 15 s
 * are written only while the buffer has room.
 */
export function pumpEvents(options: PumpOptions): void {
  const { eventLog, request, response } = options;
  let afterSeq = options.afterSeq;
  let ended = false;
  let wake: (() => void) | undefined;
  let appendedMeanwhile = false;
  const onAppended = () => {
    appendedMeanwhile = true;
    wake?.();
  };
  const writable = () => !ended && !response.writableEnded && !response.destroyed;
  const keepAlive = setInterval(() => {
    if (writable() && !response.writableNeedDrain) response.write(": keep-alive\n\n");
  }, KEEP_ALIVE_MS);
  keepAlive.unref();
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(keepAlive);
    unwatch();
    wake?.();
    options.onEnd?.();
  };
  request.once("close", end);
  response.once("close", end);
  // A write racing the end of the response (a shutdown's end(), a peer's reset) ends the stream; it is no crash.
  response.on("error", end);
  const unwatch = eventLog.watch(onAppended);

  /** Resolve once the buffer drained (true), or false after dropping a client that did not read in time. */
  const drained = () =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        response.off("drain", onDrain);
        response.destroy();
        resolve(false);
      }, options.slowStreamTimeoutMs);
      timer.unref();
      const onDrain = () => {
        clearTimeout(timer);
        resolve(true);
      };
      response.once("drain", onDrain);
    });

  const run = async () => {
    while (!ended) {
      appendedMeanwhile = false;
      // One page read and written in a turn of the gate; the socket's drain is awaited outside it.
      const { full, count } = await options.gate.run(async () => {
        const page = await eventLog.read({
          afterSeq,
          limit: PAGE_SIZE,
          ...(options.types ? { types: options.types } : {}),
          ...(options.correlationId !== undefined ? { correlationId: options.correlationId } : {}),
        });
        let room = true;
        for (const event of page) {
          if (!writable()) break;
          afterSeq = event.seq;
          const frame = options.frameOf(event);
          if (frame !== undefined) room = response.write(frame) && room;
        }
        return { full: !room, count: page.length };
      });
      if (!writable()) return end();
      if (full && response.writableNeedDrain && !(await drained())) return;
      if (count === PAGE_SIZE || appendedMeanwhile) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  };
  run().catch((error: unknown) => {
    response.destroy(error instanceof Error ? error : new Error(String(error)));
  });
}
