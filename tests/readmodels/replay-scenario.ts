import { allContexts } from "@ecom/services";
import { createPlatform, type Platform, type PlatformOptions } from "@ecom/simulator";
import { adminOf, checkout, deliver, loginShopper, quiet, registerShopper, someProducts } from "./scenario.js";

// The seeded day of trade `ecom replay` is tested on, on either backend (replay.test.ts, replay-backends.test.ts).

const DAY = 86_400_000;

/** Every read-model table of the platform, by context (what `ecom replay` rebuilds). */
export const READ_MODELS = allContexts.flatMap((module) =>
  (module.projections ?? []).flatMap((projection) =>
    projection.tables.map((table) => ({ context: module.name, projection: projection.name, table })),
  ),
);

/** Where a scenario's platform keeps its state: a data folder, or PostgreSQL and NATS. */
export type ScenarioStores = Pick<PlatformOptions, "dataDir" | "backends">;

/**
 * A seeded day of trade: checkouts by three customers, one order delivered and one canceled with a refund on the
 * next day, reviews published and one taken down, a price change, a discontinuation, feedback. `beforeClose` runs on
 * the platform once all of it has settled, before it stops.
 */
export async function runScenario(
  stores: ScenarioStores,
  seed: number,
  beforeClose?: (platform: Platform) => Promise<void>,
): Promise<void> {
  const platform = await createPlatform({ contexts: allContexts, ...stores, seed, log: quiet });
  try {
    let admin = await adminOf(platform);
    const [a, b, c, d] = await someProducts(platform, 4);
    const shoppers = [
      await registerShopper(platform, 1),
      await registerShopper(platform, 2),
      await registerShopper(platform, 3),
    ];
    const first = await checkout(platform, shoppers[0]!, { [a!]: 2, [b!]: 1 });
    const second = await checkout(platform, shoppers[1]!, { [a!]: 1, [c!]: 1 });
    await checkout(platform, shoppers[2]!, { [b!]: 1, [d!]: 3 });
    await shoppers[2]!.client.search.recordRecommendationFeedback({ body: { productId: c!, interaction: "view" } });
    await platform.advanceClock(DAY);
    admin = await adminOf(platform);
    const [one, three] = [await loginShopper(platform, 1), await loginShopper(platform, 3)];
    await deliver(platform, admin, first);
    await admin.client.order.cancelOrder({
      params: { path: { orderId: second } },
      body: { reason: "customer_request" },
    });
    const reviews = [];
    for (const [shopper, productId, rating] of [
      [one, a!, 5],
      [three, b!, 3],
      [one, b!, 4],
    ] as const) {
      const { data } = await shopper.client.review.submitReview({
        params: { path: { productId } },
        body: { rating, title: `${rating} stars`, body: "Read it in one sitting." },
      });
      reviews.push(data!.reviewId);
      await admin.client.review.moderateReview({
        params: { path: { reviewId: data!.reviewId } },
        body: { decision: "approve" },
      });
    }
    await platform.settle();
    await admin.client.review.moderateReview({
      params: { path: { reviewId: reviews[2]! } },
      body: { decision: "reject", reason: "off_topic" },
    });
    await admin.client.catalog.changeProductPrice({
      params: { path: { productId: a! } },
      body: { price: { amount: 1234, currency: "USD" }, reason: "PROMOTION" },
    });
    await admin.client.catalog.discontinueProduct({
      params: { path: { productId: d! } },
      body: { reason: "OUT_OF_PRINT" },
    });
    await platform.settle();
    await beforeClose?.(platform);
  } finally {
    await platform.close();
  }
}

/** Run `ecom …` in-process; resolves with the exit code and what it printed. */
export { runEcom as ecom } from "../../packages/cli/src/__fixtures__/run-ecom.js";
