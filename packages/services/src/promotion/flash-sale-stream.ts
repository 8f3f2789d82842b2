import type { EcomMessage } from "@ecom/sdk";

/**
 * The data source of `GET /sse/flash-sales` (contracts/openapi/promotion.yaml), for the simulator's HTTP server to
 * serve: the stream is the event log filtered to the two flash-sale event types, framed as SSE. Built on envelopes
 * alone, so it needs no handle on the promotion store and reads the same log every other stream reads.
 *
 * Wiring: on connect, read the log's events of {@link FLASH_SALE_EVENT_TYPES}; write
 * `initialFrames(history, { lastEventId, now })`; then write `toSseFrame(event)` for every live event whose type is
 * one of them; write {@link KEEP_ALIVE_FRAME} every {@link KEEP_ALIVE_MS}.
 */

/** The event types the stream carries. */
export const FLASH_SALE_EVENT_TYPES = [
  "ecommerce.promotion.flash_sale.started.v1",
  "ecommerce.promotion.flash_sale.ended.v1",
] as const;

/** The comment line that keeps proxies from closing an idle stream. */
export const KEEP_ALIVE_FRAME = ": keep-alive\n\n";
/** How often to send {@link KEEP_ALIVE_FRAME}. */
export const KEEP_ALIVE_MS = 15_000;

/** An envelope as the stream needs it (the log's parsed envelope). */
export type FlashSaleEnvelope = Pick<EcomMessage, "eventId" | "eventType"> & {
  readonly payload: unknown;
  readonly [field: string]: unknown;
};

/** Whether an event belongs on the stream. */
export function isFlashSaleEvent(envelope: { readonly eventType: string }): boolean {
  return (FLASH_SALE_EVENT_TYPES as readonly string[]).includes(envelope.eventType);
}

/** One SSE event: `id` is the eventId, `event` the eventType, `data` the whole envelope as one line of JSON. */
export function toSseFrame(envelope: FlashSaleEnvelope): string {
  return `id: ${envelope.eventId}\nevent: ${envelope.eventType}\ndata: ${JSON.stringify(envelope)}\n\n`;
}

/**
 * What a new subscriber is sent before live events. Without `lastEventId`: the `started` event of every sale
 * running now (started, not yet ended, `endsAt` still ahead), so it is current at once. With `lastEventId`: every
 * flash-sale event after that one, so a reconnecting browser misses nothing; an id the history does not hold is
 * treated as no id.
 */
export function initialFrames(
  history: readonly FlashSaleEnvelope[],
  options: { readonly lastEventId?: string | undefined; readonly now: Date },
): string[] {
  const events = history.filter(isFlashSaleEvent);
  if (options.lastEventId !== undefined) {
    const index = events.findIndex((event) => event.eventId === options.lastEventId);
    if (index >= 0) return events.slice(index + 1).map(toSseFrame);
  }
  const running = new Map<string, FlashSaleEnvelope>();
  for (const event of events) {
    const payload = event.payload as { flashSaleId: string; endsAt?: string };
    if (event.eventType === FLASH_SALE_EVENT_TYPES[0]) running.set(payload.flashSaleId, event);
    else running.delete(payload.flashSaleId);
  }
  const now = options.now.getTime();
  return [...running.values()]
    .filter((event) => Date.parse((event.payload as { endsAt: string }).endsAt) > now)
    .map(toSseFrame);
}
