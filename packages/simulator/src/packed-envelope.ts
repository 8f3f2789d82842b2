import { idHex, idText } from "./compact-ids.js";
import { contextDictionary, type PackingDictionary, packText, unpackText } from "./packed-text.js";

/**
 * How the event log keeps an envelope: packed (packed-text.ts) against the fields its row keeps beside it, so the
 * envelope's copies of its ids cost a few bits instead of their random digits. Rows written before keep what they
 * were written with: the JSON text, format 1, or formats 2 and 3 against the ids alone.
 */

/** The dictionary envelopes are packed with now (format 4). */
const ENVELOPE_DICTIONARY = 3;

/**
 * What an envelope is packed against (formats 2 to 4 of packed-text.ts): its row's fields as the envelope spells
 * them. Since format 4 (`dictionary` 3), also the trace id the outbox gives an event outside a trace ({@link idHex}
 * of its id), which the envelope writes between its producer and its correlation id.
 */
function envelopeContext(
  eventId: string,
  producer: string,
  correlationId: string,
  dictionary: PackingDictionary | undefined,
): string {
  if (dictionary !== 3) return `{"eventId":"${eventId}","producer":"${producer}","correlationId":"${correlationId}"`;
  const traceId = idHex(eventId) ?? "";
  return `{"eventId":"${eventId}","producer":"${producer}","traceId":"${traceId}","correlationId":"${correlationId}"`;
}

/** An envelope (JSON text) as the log's row keeps it, beside the row's event id, producer and correlation id. */
export function packedEnvelope(entry: {
  readonly eventId: string;
  readonly producer: string;
  readonly correlationId: string;
  readonly envelope: string;
}): Buffer {
  const context = envelopeContext(entry.eventId, entry.producer, entry.correlationId, ENVELOPE_DICTIONARY);
  return packText(entry.envelope, context, ENVELOPE_DICTIONARY);
}

/** The envelope text a row keeps (packed or plain), read against the row's fields. */
export function unpackedEnvelope(
  value: string | Uint8Array,
  eventId: string,
  producer: string,
  correlationId: string,
): string {
  return unpackText(value, envelopeContext(eventId, producer, correlationId, contextDictionary(value)));
}

/** The envelope text of a row of the log, however it was kept (text, format 1, or against its fields). */
export function loggedEnvelope(row: {
  readonly event_id: string | Uint8Array;
  readonly producer: string;
  readonly correlation_id: string | Uint8Array;
  readonly envelope: string | Uint8Array;
}): string {
  return unpackedEnvelope(row.envelope, idText(row.event_id), row.producer, idText(row.correlation_id));
}
