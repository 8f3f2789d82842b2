import type { IncomingMessage, ServerResponse } from "node:http";
import type { EcomMessage } from "@ecom/sdk";
import type { EventStreamSource } from "@ecom/services/platform";
import type { EventLog, LoggedEvent } from "./event-log.js";

const KEEP_ALIVE_MS = 15_000;

/** Every event of the source's types in the log, oldest first, parsed. */
async function history(eventLog: EventLog, source: EventStreamSource): Promise<EcomMessage[]> {
  const messages: EcomMessage[] = [];
  for (let after = 0; ; ) {
    const batch = await eventLog.read({ afterSeq: after, types: source.types, limit: 1000 });
    for (const event of batch) messages.push(JSON.parse(event.envelope) as EcomMessage);
    if (batch.length < 1000) return messages;
    after = batch[batch.length - 1]!.seq;
  }
}

/** The frames a new subscriber gets first, for an in-process (non-live) request. */
export async function initialStreamBody(
  eventLog: EventLog,
  source: EventStreamSource,
  lastEventId: string | undefined,
  now: Date,
): Promise<string> {
  return source.initial(await history(eventLog, source), { lastEventId, now }).join("");
}

/**
 * Serve a context's Server-Sent Events operation live: the source's initial frames, then a frame per new event of
 * its types, with a keep-alive comment every 15 seconds. Events appended while the history is read are held and
 * sent after it, so none is lost or sent twice.
 */
export async function serveEventStream(
  request: IncomingMessage,
  response: ServerResponse,
  options: { readonly eventLog: EventLog; readonly source: EventStreamSource; readonly now: () => Date },
): Promise<void> {
  const { eventLog, source } = options;
  const held: LoggedEvent[] = [];
  let live = false;
  const sent = new Set<string>();
  const send = (message: EcomMessage) => {
    if (sent.has(message.eventId)) return;
    sent.add(message.eventId);
    const frame = source.frame(message);
    if (frame) response.write(frame);
  };
  const onAppended = (events: LoggedEvent[]) => {
    const relevant = events.filter((event) => source.types.includes(event.eventType as never));
    if (live) for (const event of relevant) send(JSON.parse(event.envelope) as EcomMessage);
    else held.push(...relevant);
  };
  eventLog.on("appended", onAppended);
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const past = await history(eventLog, source);
  for (const message of past) sent.add(message.eventId);
  const lastEventId = request.headers["last-event-id"];
  for (const frame of source.initial(past, {
    lastEventId: Array.isArray(lastEventId) ? lastEventId[0] : lastEventId,
    now: options.now(),
  })) {
    response.write(frame);
  }
  live = true;
  for (const event of held) send(JSON.parse(event.envelope) as EcomMessage);
  const keepAlive = setInterval(() => response.write(": keep-alive\n\n"), KEEP_ALIVE_MS);
  keepAlive.unref();
  request.once("close", () => {
    clearInterval(keepAlive);
    eventLog.off("appended", onAppended);
  });
}
