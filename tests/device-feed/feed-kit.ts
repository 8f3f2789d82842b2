import { createClient } from "@ecom/sdk";
import { allContexts } from "@ecom/services";
import type { FeedOutcome } from "@ecom/services/platform";
import { createPlatform, type FeedBatch, type MqttFeed, type Platform } from "@ecom/simulator";
import { quiet } from "../simulator/shop.js";

/** Shared by the device-feed tests: a seeded platform, a product with stock, and waits on the feed's own events. */

/** A seeded, in-memory platform of every context (the catalog seeds books with opening stock). */
export function seededPlatform(): Promise<Platform> {
  return createPlatform({ contexts: allContexts, memory: true, seed: 4, log: quiet });
}

/** A client of the platform's REST surface, in-process. */
export function restOf(platform: Platform) {
  return createClient({ baseUrl: "http://ecom.test", fetch: platform.fetch, retry: { maxAttempts: 1 } });
}

/** The `index`-th seeded product with at least `minimum` copies on hand: its id and ISBN. */
export async function stockedProduct(platform: Platform, index: number, minimum = 10) {
  const rest = restOf(platform);
  const { data } = await rest.catalog.listProducts({ params: { query: { limit: 50 } } });
  const stocked: { productId: string; isbn: string }[] = [];
  for (const product of data?.items ?? []) {
    if ((await onHand(platform, product.productId)) >= minimum)
      stocked.push({ productId: product.productId, isbn: product.isbn });
  }
  const chosen = stocked[index];
  if (!chosen) throw new Error(`fewer than ${index + 1} seeded products have ${minimum} copies`);
  return chosen;
}

/** A product's copies on hand, read over REST. */
export async function onHand(platform: Platform, productId: string): Promise<number> {
  const { data, error } = await restOf(platform).inventory.getStockLevel({ params: { path: { productId } } });
  if (!data) throw new Error(`no stock level for ${productId}: ${JSON.stringify(error)}`);
  return data.onHand;
}

/**
 * Resolves with the outcome of the first message whose payload is `payload`, once the feed recorded its batch: set
 * up before publishing, so the wait is on the event, never on time.
 */
export function outcomeOf(feed: MqttFeed, payload: string): Promise<FeedOutcome> {
  return new Promise((resolveOutcome) => {
    const listener = (batch: FeedBatch) => {
      const index = batch.messages.findIndex((message) => message.payload === payload);
      if (index < 0) return;
      feed.off("batch", listener);
      resolveOutcome(batch.outcomes[index]!);
    };
    feed.on("batch", listener);
  });
}

/** A device report's payload as the contract shapes it. */
export function report(fields: { delta: number; sequence: number; deviceId?: string; reason?: string }): string {
  return JSON.stringify({
    delta: fields.delta,
    reason: fields.reason ?? "SENSOR",
    deviceId: fields.deviceId ?? "shelf-scale-07",
    sequence: fields.sequence,
    observedAt: "2026-01-01T00:00:00Z",
  });
}
