import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { searchV1 } from "@ecom/sdk/rpc";
import { type ContextRuntime, ServiceError } from "../platform/index.js";
import { type SearchRequest, searchProducts } from "./product-search.js";
import type { ProductSummary } from "./product-summary.js";
import { listTrending } from "./recommendations.js";
import type { BookFormat, SearchDatabase } from "./store.js";

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;
const CATEGORY_ID = /^cat_[0-9A-HJKMNP-TV-Z]{26}$/;
const AUTHOR_ID = /^aut_[0-9A-HJKMNP-TV-Z]{26}$/;

const FORMAT_OF: Readonly<Record<BookFormat, searchV1.BookFormat>> = {
  hardcover: searchV1.BookFormat.HARDCOVER,
  paperback: searchV1.BookFormat.PAPERBACK,
  ebook: searchV1.BookFormat.EBOOK,
  audiobook: searchV1.BookFormat.AUDIOBOOK,
};
const FORMAT_NAME = new Map(Object.entries(FORMAT_OF).map(([name, value]) => [value, name as BookFormat]));
const SORT: Readonly<Record<searchV1.SearchSort, SearchRequest["sort"]>> = {
  [searchV1.SearchSort.UNSPECIFIED]: undefined,
  [searchV1.SearchSort.RELEVANCE]: "relevance",
  [searchV1.SearchSort.PRICE_ASC]: "price_asc",
  [searchV1.SearchSort.PRICE_DESC]: "price_desc",
  [searchV1.SearchSort.NEWEST]: "newest",
  [searchV1.SearchSort.RATING]: "rating",
};
const PERIOD = {
  [searchV1.TrendingPeriod.UNSPECIFIED]: "7d",
  [searchV1.TrendingPeriod.DAY]: "24h",
  [searchV1.TrendingPeriod.WEEK]: "7d",
  [searchV1.TrendingPeriod.MONTH]: "30d",
} as const;

function invalid(message: string): ServiceError {
  return new ServiceError("validation", message);
}

/** The page size and token of a request, checked as REST's `limit` and `cursor` are. */
function pageOf(page: { pageSize: number; pageToken: string } | undefined): { limit: number; cursor?: string } {
  const size = page?.pageSize ?? 0;
  if (size < 0 || size > MAX_PAGE_SIZE) throw invalid(`page.page_size must be 0 to ${MAX_PAGE_SIZE}, not ${size}`);
  return { limit: size === 0 ? DEFAULT_PAGE_SIZE : size, ...(page?.pageToken ? { cursor: page.pageToken } : {}) };
}

function optionalId(value: string, pattern: RegExp, field: string): string | undefined {
  if (value === "") return undefined;
  if (!pattern.test(value))
    throw invalid(`${field} must be empty or an id like ${pattern.source}, not ${JSON.stringify(value)}`);
  return value;
}

function toSummaryMessage(summary: ProductSummary): MessageInitShape<typeof searchV1.ProductSummarySchema> {
  return {
    productId: summary.productId,
    isbn: summary.isbn,
    title: summary.title,
    subtitle: summary.subtitle ?? "",
    authors: summary.authors,
    format: FORMAT_OF[summary.format],
    price: { amountMinor: BigInt(summary.price.amount), currency: summary.price.currency },
    coverImageUrl: summary.coverImageUrl ?? "",
    ...(summary.rating.average === undefined ? {} : { ratingAverage: summary.rating.average }),
    ratingCount: summary.rating.count,
    inStock: summary.inStock,
  };
}

/** SearchService: `GET /search` and the trending list over Connect, from the same read model and functions. */
export function registerSearchService(router: ConnectRouter, runtime: ContextRuntime<SearchDatabase>): void {
  const { db, clock } = runtime;
  router.service(searchV1.SearchService, {
    async searchProducts(request) {
      if (request.query.length > 200) throw invalid("query must be at most 200 characters");
      const format = request.format === searchV1.BookFormat.UNSPECIFIED ? undefined : FORMAT_NAME.get(request.format);
      if (request.format !== searchV1.BookFormat.UNSPECIFIED && !format) throw invalid("format is not a BookFormat");
      for (const [field, value] of [
        ["min_price_minor", request.minPriceMinor],
        ["max_price_minor", request.maxPriceMinor],
      ] as const)
        if (value !== undefined && (value < 0n || value > 100_000_000_000n))
          throw invalid(`${field} must be 0 to 100000000000`);
      const results = await searchProducts(
        db,
        {
          q: request.query === "" ? undefined : request.query,
          category: optionalId(request.categoryId, CATEGORY_ID, "category_id"),
          author: optionalId(request.authorId, AUTHOR_ID, "author_id"),
          format,
          minPrice: request.minPriceMinor === undefined ? undefined : Number(request.minPriceMinor),
          maxPrice: request.maxPriceMinor === undefined ? undefined : Number(request.maxPriceMinor),
          inStock: request.inStockOnly || undefined,
          sort: SORT[request.sort],
        },
        pageOf(request.page),
      );
      return create(searchV1.SearchProductsResponseSchema, {
        hits: results.items.map((hit) => ({
          product: toSummaryMessage(hit.product),
          score: hit.score,
          titleHighlight: hit.highlights?.title ?? "",
          subtitleHighlight: hit.highlights?.subtitle ?? "",
          descriptionHighlight: hit.highlights?.description ?? "",
        })),
        page: {
          nextPageToken: results.page.nextCursor ?? "",
          ...(results.page.total === undefined ? {} : { totalSize: results.page.total }),
        },
        categories: results.facets.categories,
        formats: results.facets.formats,
        authors: results.facets.authors,
        priceRanges: results.facets.priceRanges.map((range) => ({
          ...(range.min === undefined ? {} : { minMinor: BigInt(range.min) }),
          ...(range.max === undefined ? {} : { maxMinor: BigInt(range.max) }),
          currency: range.currency,
          count: range.count,
        })),
      });
    },

    async listTrendingProducts(request) {
      const period = PERIOD[request.period];
      if (!period) throw invalid("period is not a TrendingPeriod");
      const trending = await listTrending(
        db,
        { period, category: optionalId(request.categoryId, CATEGORY_ID, "category_id"), now: clock.now() },
        pageOf(request.page),
      );
      return create(searchV1.ListTrendingProductsResponseSchema, {
        products: trending.items.map((item) => ({
          rank: item.rank,
          unitsOrdered: item.unitsOrdered,
          product: toSummaryMessage(item.product),
        })),
        page: { nextPageToken: trending.page.nextCursor ?? "" },
      });
    },
  });
}
