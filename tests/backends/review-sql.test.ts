import { createRouterTransport } from "@connectrpc/connect";
import { createRpcClients } from "@ecom/sdk";
import { catalogV1 } from "@ecom/sdk/rpc";
import type { ContextRuntime } from "@ecom/services/platform";
import type { Kysely } from "kysely";
import { beforeAll, expect, it } from "vitest";
import { migrations } from "../../packages/services/src/review/migrations.js";
import { submitReview } from "../../packages/services/src/review/review-commands.js";
import { listProductReviews, listReviews } from "../../packages/services/src/review/review-queries.js";
import type { ReviewDatabase } from "../../packages/services/src/review/store.js";
import { describeBackends } from "./backends.js";
import { useContextStore } from "./context-store.js";

// Review's list queries on both stores: a subquery in FROM needs its alias on PostgreSQL, and "verified" must be a
// number on both (PostgreSQL's EXISTS is a boolean), since the verified_first keyset compares it with the cursor's.

const REVIEWS = [
  ["rev_1", "cus_1", 5, "2026-11-01T00:00:00.000Z"],
  ["rev_2", "cus_2", 3, "2026-11-02T00:00:00.000Z"],
  ["rev_3", "cus_3", 4, "2026-11-03T00:00:00.000Z"],
  ["rev_4", "cus_4", 1, "2026-11-04T00:00:00.000Z"],
  ["rev_5", "cus_5", 2, "2026-11-05T00:00:00.000Z"],
] as const;

describeBackends("review's SQL", (backend) => {
  const store = useContextStore<ReviewDatabase>(backend, { name: "review", migrations });
  let db: Kysely<ReviewDatabase>;

  beforeAll(async () => {
    db = store.db;
    await db
      .insertInto("reviews")
      .values(
        REVIEWS.map(([reviewId, customerId, rating, at]) => ({
          review_id: reviewId,
          product_id: "prd_1",
          customer_id: customerId,
          rating,
          title: `Review ${reviewId}`,
          body: "Body",
          status: reviewId === "rev_5" ? "PENDING" : "PUBLISHED",
          flag_count: reviewId === "rev_2" ? 1 : 0,
          created_at: at,
          updated_at: at,
          published_at: reviewId === "rev_5" ? null : at,
        })),
      )
      .execute();
    // cus_2 and cus_4 have the book delivered; cus_3's order is paid but not delivered.
    await db
      .insertInto("review_purchases")
      .values([
        { order_id: "ord_2", product_id: "prd_1", customer_id: "cus_2", delivered_at: "2026-10-01T00:00:00.000Z" },
        { order_id: "ord_3", product_id: "prd_1", customer_id: "cus_3", paid_at: "2026-10-01T00:00:00.000Z" },
        { order_id: "ord_4", product_id: "prd_1", customer_id: "cus_4", delivered_at: "2026-10-01T00:00:00.000Z" },
      ])
      .execute();
  });

  /** Every page of a product's reviews in `sort`, two at a time. */
  async function allPages(sort: "verified_first" | "lowest_rating") {
    const seen: { id: string; verified: boolean }[] = [];
    const totals: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await listProductReviews(db, { productId: "prd_1", sort }, { limit: 2, cursor });
      seen.push(...page.items.map((item) => ({ id: item.reviewId, verified: item.verifiedPurchase })));
      totals.push(page.page.total ?? -1);
      cursor = page.page.nextCursor;
    } while (cursor);
    return { seen, totals };
  }

  it("pages a product's published reviews verified first, counting them all", async () => {
    const { seen, totals } = await allPages("verified_first");
    expect(seen).toEqual([
      { id: "rev_4", verified: true },
      { id: "rev_2", verified: true },
      { id: "rev_3", verified: false },
      { id: "rev_1", verified: false },
    ]);
    expect(totals).toEqual([4, 4]);
  });

  it("pages lowest rating first", async () => {
    const { seen } = await allPages("lowest_rating");
    expect(seen.map((review) => review.id)).toEqual(["rev_4", "rev_2", "rev_3", "rev_1"]);
  });

  it("lists the moderation queue by status and flags, with whether each is a verified purchase", async () => {
    const flagged = await listReviews(db, { flagged: true }, { limit: 10 });
    expect(flagged.items.map((item) => [item.reviewId, item.verifiedPurchase])).toEqual([["rev_2", true]]);
    const pending = await listReviews(db, { status: "PENDING" }, { limit: 10 });
    expect(pending.items.map((item) => item.reviewId)).toEqual(["rev_5"]);
  });

  it("submits a review as a verified purchase when one of the customer's paid orders was delivered", async () => {
    // Two paid orders of the book, one delivered: a descending order puts nulls first on PostgreSQL.
    await db
      .insertInto("review_purchases")
      .values([
        { order_id: "ord_6a", product_id: "prd_1", customer_id: "cus_6", paid_at: "2026-10-01T00:00:00.000Z" },
        {
          order_id: "ord_6b",
          product_id: "prd_1",
          customer_id: "cus_6",
          paid_at: "2026-10-02T00:00:00.000Z",
          delivered_at: "2026-10-05T00:00:00.000Z",
        },
        { order_id: "ord_6c", product_id: "prd_1", customer_id: "cus_6", paid_at: "2026-10-03T00:00:00.000Z" },
      ])
      .execute();
    const published: unknown[] = [];
    const parts: Partial<ContextRuntime<ReviewDatabase>> = {
      name: "review",
      db,
      clock: { now: () => new Date("2026-12-01T00:00:00.000Z") },
      ids: { next: (prefix) => `${prefix}_submitted` },
      outbox: {
        publish: async (_trx, _type, payload) => {
          published.push(payload);
          return "evt_1";
        },
      },
      // Only the catalog answers, and only GetProduct: all submitting a review asks of it.
      rpc: createRpcClients(
        createRouterTransport(({ service }) =>
          service(catalogV1.CatalogService, {
            getProduct: () => ({ product: { id: "prd_1" } }),
          }),
        ),
      ),
    };
    const review = await submitReview(
      parts as ContextRuntime<ReviewDatabase>,
      { customerId: "cus_6", role: "customer" },
      "prd_1",
      { rating: 4, title: "Good", body: "A good book." },
      "cor_1",
    );
    expect(review.verifiedPurchase).toBe(true);
    expect(published).toEqual([expect.objectContaining({ reviewId: "rev_submitted", verifiedPurchase: true })]);
  });
});
