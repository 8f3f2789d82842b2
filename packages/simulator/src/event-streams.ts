import type { IncomingMessage, ServerResponse } from "node:http";
import type { EcomMessage } from "@ecom/sdk";
import type { EventStreamSource } from "@ecom/services/platform";
import type { EventLogReader } from "./bus/event-bus.js";
import type { StreamGate } from "./stream-gate.js";
import { pumpEvents } from "./stream-pump.js";

/** Every event of the source's types in the log, oldest first, parsed, and the sequence number of the last. */
async function history(
  eventLog: EventLogReader,
  source: EventStreamSource,
): Promise<{ messages: EcomMessage[]; lastSeq: number }> {
  const messages: EcomMessage[] = [];
  for (let after = 0; ; ) {
    const batch = await eventLog.read({ afterSeq: after, types: source.types, limit: 1000 });
    for (const event of batch) messages.push(JSON.parse(event.envelope) as EcomMessage);
    if (batch.length > 0) after = batch[batch.length - 1]!.seq;
    if (batch.length < 1000) return { messages, lastSeq: after };
  }
}

/** The frames a new subscriber gets first, for an in-process (non-live) request. */
export async function initialStreamBody(
  eventLog: EventLogReader,
  source: EventStreamSource,
  lastEventId: string | undefined,
  now: Date,
): Promise<string> {
  return source.initial((await history(eventLog, source)).messages, { lastEventId, now }).join("");
}

/**
 * Serve a context's Server-Sent Events operation live: the source's initial frames from the history of its types,
 * then a frame per new event of its types, read from the log after the history's last event (so none is lost or
 * sent twice) with backpressure: a client that does not read is dropped after `slowStreamTimeoutMs`.
 */
export async function serveEventStream(
  request: IncomingMessage,
  response: ServerResponse,
  options: {
    readonly eventLog: EventLogReader;
    readonly source: EventStreamSource;
    readonly now: () => Date;
    readonly slowStreamTimeoutMs: number;
    readonly gate: StreamGate;
  },
): Promise<void> {
  const { eventLog, source } = options;
  // Opened in the streams' turn (stream-gate.ts): a burst of new streams comes in at the streams' pace.
  const lastSeq = await options.gate.run(async () => {
    if (response.destroyed) return undefined;
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const { messages: past, lastSeq } = await history(eventLog, source);
    const lastEventId = request.headers["last-event-id"];
    for (const frame of source.initial(past, {
      lastEventId: Array.isArray(lastEventId) ? lastEventId[0] : lastEventId,
      now: options.now(),
    })) {
      response.write(frame);
    }
    return lastSeq;
  });
  if (lastSeq === undefined) return;
  pumpEvents({
    eventLog,
    request,
    response,
    afterSeq: lastSeq,
    types: source.types,
    frameOf: (event) => source.frame(JSON.parse(event.envelope) as EcomMessage),
    slowStreamTimeoutMs: options.slowStreamTimeoutMs,
    gate: options.gate,
  });
}
