import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { LoggedEvent } from "../bus/event-bus.js";
import type { JetStreamNames } from "../bus/jetstream-names.js";
import { loggedEvent } from "../bus/jetstream-subscription.js";
import type { ReplayLog } from "./projection-rebuild.js";

/** Messages the server pushes ahead of the replay at most. */
const BUFFERED = 1_000;

/**
 * The JetStream stream as replay reads it: an ordered consumer from the stream's first message, every event's subject
 * (server 2.9 takes one filter, and a context projects several types), the types kept here, until the context's
 * cursor or the stream's last message. Repeats of an eventId are left to the caller ({@link rebuildProjections}
 * skips them); the stream's count per type would read every subject, so the total is not said.
 */
export function jetStreamLog(options: {
  readonly manager: JetStreamManager;
  readonly client: JetStreamClient;
  readonly names: JetStreamNames;
}): ReplayLog {
  const { manager, client, names } = options;
  return {
    async *pages({ types, upTo, pageSize }) {
      const { state } = await manager.streams.info(names.stream);
      const last = Math.min(upTo, state.last_seq);
      if (state.messages === 0 || last < state.first_seq || types.length === 0) return;
      const wanted = new Set(types);
      const consumer = await client.consumers.get(names.stream, {
        filter_subjects: names.allEvents,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: state.first_seq,
      });
      const messages = await consumer.consume({ max_messages: Math.min(BUFFERED, Math.max(pageSize, 100)) });
      try {
        let page: LoggedEvent[] = [];
        for await (const message of messages) {
          if (message.seq > last) break;
          const event = loggedEvent(message);
          if (wanted.has(event.eventType)) page.push(event);
          // The cursor, or the stream's end (the platform is stopped: nothing comes after it).
          const done = message.seq >= last || message.info.pending === 0;
          if (page.length >= pageSize || (done && page.length > 0)) {
            yield page;
            page = [];
          }
          if (done) break;
        }
      } finally {
        messages.stop();
      }
    },
  };
}
