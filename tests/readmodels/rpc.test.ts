import { Code, ConnectError } from "@connectrpc/connect";
import { analyticsV1, reviewV1, searchV1 } from "@ecom/sdk/rpc";
import { allContexts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminOf, checkout, clientOf, quiet, registerShopper, type Shopper, someProducts } from "./scenario.js";

let platform: Platform;
let admin: Shopper;
let shopper: Shopper;
let product: string | undefined;

beforeAll(async () => {
  platform = await createPlatform({ contexts: allContexts, memory: true, seed: 17, log: quiet });
  admin = await adminOf(platform);
  shopper = await registerShopper(platform, 1);
  [product] = await someProducts(platform, 1);
  await checkout(platform, shopper, { [product!]: 2 });
  const { data } = await shopper.client.review.submitReview({
    params: { path: { productId: product! } },
    body: { rating: 4, title: "Good", body: "Worth it." },
  });
  await admin.client.review.moderateReview({
    params: { path: { reviewId: data!.reviewId } },
    body: { decision: "approve" },
  });
  await platform.settle();
});
afterAll(() => platform.close());

describe("the read models' Connect services answer as their REST twins", () => {
  it("SearchService.SearchProducts: hits, highlights, facets and page tokens", async () => {
    const rest = (await clientOf(platform).search.searchProducts({ params: { query: { q: "prejudice", limit: 2 } } }))
      .data!;
    const rpc = await platform.rpc.search.searchProducts({ query: "prejudice", page: { pageSize: 2 } });
    expect(rpc.hits.map((hit) => hit.product?.productId)).toEqual(rest.items.map((item) => item.product.productId));
    expect(rpc.hits[0]!.titleHighlight).toBe(rest.items[0]!.highlights?.title);
    expect(rpc.formats.map((facet) => [facet.value, facet.count])).toEqual(
      rest.facets.formats.map((facet) => [facet.value, facet.count]),
    );
    expect(rpc.page?.totalSize).toBe(rest.page.total);
    const next = await platform.rpc.search.searchProducts({
      query: "prejudice",
      page: { pageSize: 2, pageToken: rpc.page!.nextPageToken },
    });
    expect(next.hits[0]?.product?.productId).not.toBe(rpc.hits[0]!.product?.productId);
    const sorted = await platform.rpc.search.searchProducts({
      sort: searchV1.SearchSort.PRICE_ASC,
      format: searchV1.BookFormat.PAPERBACK,
      maxPriceMinor: 2000n,
    });
    const prices = sorted.hits.map((hit) => Number(hit.product!.price!.amountMinor));
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    expect(prices.every((price) => price <= 2000)).toBe(true);
  });

  it("SearchService.ListTrendingProducts counts the copies ordered", async () => {
    const trending = await platform.rpc.search.listTrendingProducts({ period: searchV1.TrendingPeriod.DAY });
    expect(trending.products[0]).toMatchObject({ rank: 1, unitsOrdered: 2, product: { productId: product } });
  });

  it("ReviewService: the rating aggregate and the published reviews", async () => {
    const { rating } = await platform.rpc.review.getProductRating({ productId: product! });
    expect(rating).toMatchObject({ productId: product, average: 4, count: 1, distribution: [0, 0, 0, 1, 0] });
    const { reviews } = await platform.rpc.review.listProductReviews({ productId: product! });
    expect(reviews.map((review) => [review.customerId, review.rating])).toEqual([[shopper.customerId, 4]]);
    const missing = await platform.rpc.review
      .getProductRating({ productId: "prd_00000000000000000000000000" })
      .catch((error: unknown) => error);
    expect(ConnectError.from(missing).code).toBe(Code.NotFound);
    const invalid = await platform.rpc.review.getProductRating({ productId: "nope" }).catch((error: unknown) => error);
    expect(ConnectError.from(invalid).code).toBe(Code.InvalidArgument);
    expect(reviewV1.ReviewService.typeName).toBe("ecom.review.v1.ReviewService");
  });

  it("AnalyticsService: a customer's orders and the day's revenue", async () => {
    const { orders } = await platform.rpc.analytics.listCustomerOrderSummaries({ customerId: shopper.customerId });
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ status: analyticsV1.ProjectedOrderStatus.PAID, itemCount: 2 });
    const { days } = await platform.rpc.analytics.listDailyRevenue({ fromDate: "2026-01-01", toDate: "2026-01-01" });
    expect(days).toHaveLength(1);
    expect(days[0]).toMatchObject({ date: "2026-01-01", currency: "USD", paidOrderCount: 1 });
    expect(days[0]!.netRevenueMinor).toBe(days[0]!.grossRevenue!.amountMinor);
    const backwards = await platform.rpc.analytics
      .listDailyRevenue({ fromDate: "2026-02-01", toDate: "2026-01-01" })
      .catch((error: unknown) => error);
    expect(ConnectError.from(backwards).code).toBe(Code.InvalidArgument);
  });
});
