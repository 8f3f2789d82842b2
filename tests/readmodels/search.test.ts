import { type catalogApi, createClient, type EcomClient, type searchApi } from "@ecom/sdk";
import { allContexts, devAccounts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkout, registerShopper, someProducts } from "./scenario.js";

type Product = catalogApi.components["schemas"]["Product"];
type SearchQuery = NonNullable<searchApi.operations["searchProducts"]["parameters"]["query"]>;
type SearchResults = searchApi.components["schemas"]["SearchResults"];

const quiet = {
  info() {},
  warn() {},
  error: (message: string, fields?: Record<string, unknown>) => console.error(message, fields),
};

let platform: Platform;
let anonymous: EcomClient;
let admin: EcomClient;
let products: Product[];
/** Each category's ancestors, from the catalog's category.created events. */
let ancestors: Map<string, string[]>;

beforeAll(async () => {
  platform = await createPlatform({ contexts: allContexts, memory: true, seed: 7, log: quiet });
  anonymous = createClient({ baseUrl: "http://ecom.test", fetch: platform.fetch, retry: { maxAttempts: 1 } });
  const login = await anonymous.customer.login({
    body: { email: devAccounts.admin.email, password: devAccounts.admin.password },
  });
  admin = createClient({
    baseUrl: "http://ecom.test",
    fetch: platform.fetch,
    retry: { maxAttempts: 1 },
    token: login.data!.accessToken,
  });
  products = await activeProducts();
  const categories = await platform.eventLog.read({
    afterSeq: 0,
    types: ["ecommerce.catalog.category.created.v1"],
    limit: 10_000,
  });
  ancestors = new Map(
    categories.map((event) => {
      const payload = (JSON.parse(event.envelope) as { payload: { categoryId: string; ancestorIds: string[] } })
        .payload;
      return [payload.categoryId, payload.ancestorIds];
    }),
  );
});
afterAll(() => platform.close());

async function activeProducts(): Promise<Product[]> {
  const all: Product[] = [];
  let cursor: string | undefined;
  do {
    const { data } = await anonymous.catalog.listProducts({
      params: { query: { limit: 100, status: "ACTIVE", ...(cursor ? { cursor } : {}) } },
    });
    all.push(...data!.items);
    cursor = data!.page.nextCursor;
  } while (cursor);
  return all;
}

async function search(query: SearchQuery): Promise<SearchResults> {
  const { data, error } = await anonymous.search.searchProducts({ params: { query } });
  expect(error).toBeUndefined();
  return data!;
}

/** Every match of a query, walking its pages. */
async function allMatches(query: SearchQuery): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await search({ ...query, limit: 17, ...(cursor ? { cursor } : {}) });
    ids.push(...page.items.map((item) => item.product.productId));
    cursor = page.page.nextCursor;
  } while (cursor);
  return ids;
}

/** The category ids a product is found under: its own and every ancestor of them. */
function filedUnder(product: Product): Set<string> {
  return new Set(product.categoryIds.flatMap((id) => [id, ...(ancestors.get(id) ?? [])]));
}

function countBy(items: readonly Product[], keys: (product: Product) => Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const product of items) for (const key of new Set(keys(product))) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

/** The facets of `results` against counts made by brute force over `matches` (products of the catalog). */
function expectFacetsOf(results: SearchResults, matches: readonly Product[]): void {
  const categories = countBy(matches, filedUnder);
  expect(new Map(results.facets.categories.map((facet) => [facet.value, facet.count]))).toEqual(categories);
  const formats = countBy(matches, (product) => [product.format]);
  expect(new Map(results.facets.formats.map((facet) => [facet.value, facet.count]))).toEqual(formats);
  const authors = countBy(matches, (product) => product.authors.map((author) => author.authorId));
  const listed = results.facets.authors;
  expect(listed.length).toBe(Math.min(50, authors.size));
  for (const facet of listed) expect(facet.count, facet.label).toBe(authors.get(facet.value));
  const smallestListed = Math.min(...listed.map((facet) => facet.count));
  const shown = new Set(listed.map((facet) => facet.value));
  for (const [author, count] of authors) if (!shown.has(author)) expect(count).toBeLessThanOrEqual(smallestListed);
  const bounds = [0, 1000, 2000, 3000, 5000, 10000];
  const buckets = countBy(matches, (product) => {
    const index = bounds.findLastIndex((bound) => product.price.amount >= bound);
    return [`${product.price.currency}:${index}`];
  });
  expect(
    new Map(
      results.facets.priceRanges.map((range) => [`${range.currency}:${bounds.indexOf(range.min ?? 0)}`, range.count]),
    ),
  ).toEqual(buckets);
}

describe("GET /search over the seeded catalog", () => {
  it("finds a book by a title word on the first page, with the word highlighted", async () => {
    const results = await search({ q: "prejudice" });
    const first = results.items[0]!;
    expect(first.product.title).toBe("Pride and Prejudice");
    expect(first.score).toBeGreaterThan(0);
    expect(first.highlights?.title).toBe("Pride and <em>Prejudice</em>");
  });

  it("matches the last word as a prefix and an ISBN exactly", async () => {
    const prefix = await search({ q: "prejud" });
    expect(prefix.items[0]!.product.title).toBe("Pride and Prejudice");
    const book = products.find((product) => product.title === "Pride and Prejudice")!;
    const byIsbn = await search({ q: book.isbn });
    expect(byIsbn.items.map((item) => item.product.productId)).toEqual([book.productId]);
  });

  it("counts every facet over all matches, exactly as a brute-force count over the catalog", async () => {
    const everything = await search({ limit: 5 });
    expect(everything.page.total).toBe(products.length);
    expectFacetsOf(everything, products);

    const ids = new Set(await allMatches({ q: "history" }));
    expect(ids.size).toBeGreaterThan(5);
    const text = await search({ q: "history", limit: 3 });
    expect(text.page.total).toBe(ids.size);
    expectFacetsOf(
      text,
      products.filter((product) => ids.has(product.productId)),
    );
  });

  it("leaves out a facet's own filter when counting its choices", async () => {
    const results = await search({ format: "paperback", limit: 1 });
    expect(results.page.total).toBe(products.filter((product) => product.format === "paperback").length);
    // Formats are counted as if no format were chosen; the others over paperbacks only.
    expect(new Map(results.facets.formats.map((facet) => [facet.value, facet.count]))).toEqual(
      countBy(products, (product) => [product.format]),
    );
    const paperbacks = products.filter((product) => product.format === "paperback");
    expect(new Map(results.facets.categories.map((facet) => [facet.value, facet.count]))).toEqual(
      countBy(paperbacks, filedUnder),
    );
  });

  it("filters by a category with its sub-categories, and by author, price range and stock", async () => {
    const parent = [...ancestors.values()].find((path) => path.length > 0)![0]!;
    const under = products.filter((product) => filedUnder(product).has(parent));
    expect(new Set(await allMatches({ category: parent }))).toEqual(new Set(under.map((product) => product.productId)));

    const author = products[0]!.authors[0]!.authorId;
    expect(new Set(await allMatches({ author }))).toEqual(
      new Set(
        products
          .filter((product) => product.authors.some((credit) => credit.authorId === author))
          .map((product) => product.productId),
      ),
    );

    const priced = await allMatches({ minPrice: 1500, maxPrice: 2500 });
    expect(new Set(priced)).toEqual(
      new Set(
        products
          .filter((product) => product.price.amount >= 1500 && product.price.amount <= 2500)
          .map((product) => product.productId),
      ),
    );

    const stocked = await search({ inStock: true, limit: 100 });
    expect(stocked.page.total).toBeLessThan(products.length);
    expect(stocked.items.every((item) => item.product.inStock)).toBe(true);
  });

  it("sorts by price both ways and pages without repeats or gaps", async () => {
    const ascending = await allMatches({ sort: "price_asc" });
    expect(ascending).toHaveLength(products.length);
    expect(new Set(ascending).size).toBe(products.length);
    const price = new Map(products.map((product) => [product.productId, product.price.amount]));
    const amounts = ascending.map((id) => price.get(id)!);
    expect(amounts).toEqual([...amounts].sort((a, b) => a - b));
    const descending = await allMatches({ sort: "price_desc" });
    expect(descending.map((id) => price.get(id)!)).toEqual([...amounts].reverse());
  });

  it("refuses a cursor given out for other filters", async () => {
    const first = await search({ q: "history", limit: 2 });
    const { error, response } = await anonymous.search.searchProducts({
      params: { query: { q: "love", cursor: first.page.nextCursor! } },
    });
    expect(response.status).toBe(400);
    expect(error).toBeDefined();
  });

  it("shows a price change and a discontinuation after one relay pass", async () => {
    // The catalog's last book, which no other test here looks for.
    const book = products.at(-1)!;
    await admin.catalog.changeProductPrice({
      params: { path: { productId: book.productId } },
      body: { price: { amount: 777, currency: "USD" }, reason: "PROMOTION" },
    });
    await platform.settle();
    const repriced = await search({ q: book.isbn });
    expect(repriced.items[0]!.product.price).toEqual({ amount: 777, currency: "USD" });

    await admin.catalog.discontinueProduct({
      params: { path: { productId: book.productId } },
      body: { reason: "OUT_OF_PRINT" },
    });
    await platform.settle();
    expect((await search({ q: book.isbn })).items).toEqual([]);
    expect(await allMatches({ q: book.title })).not.toContain(book.productId);
  });
});

describe("trending, recommendations and feedback", () => {
  it("ranks trending books by copies ordered, recommends books bought together and records feedback", async () => {
    const [a, b, c, d] = await someProducts(platform, 4);
    const first = await registerShopper(platform, 1);
    const second = await registerShopper(platform, 2);
    await checkout(platform, first, { [a!]: 3, [b!]: 1 });
    await checkout(platform, second, { [a!]: 1, [c!]: 1 });

    const { data: trending } = await anonymous.search.listTrendingProducts({ params: { query: { period: "24h" } } });
    expect(trending!.items.map((item) => [item.rank, item.product.productId, item.unitsOrdered])).toEqual([
      [1, a, 4],
      // b and c sold one copy each; c was ordered last.
      [2, c, 1],
      [3, b, 1],
    ]);

    const { data: forSecond } = await second.client.search.listRecommendations({ params: { query: {} } });
    expect(forSecond!.items[0]).toMatchObject({
      product: { productId: b },
      reason: "bought_together",
      basedOn: [a],
      score: 1,
    });
    expect(forSecond!.items.map((item) => item.product.productId)).not.toContain(c);

    const newcomer = await registerShopper(platform, 3);
    const { data: cold } = await newcomer.client.search.listRecommendations({ params: { query: {} } });
    expect(cold!.items[0]).toMatchObject({ product: { productId: a }, reason: "trending" });

    const { data: feedback, response } = await newcomer.client.search.recordRecommendationFeedback({
      body: { productId: d!, interaction: "view", source: "search", searchQuery: "history" },
    });
    expect(response.status).toBe(202);
    expect(feedback).toMatchObject({ customerId: newcomer.customerId, productId: d, interaction: "view" });
    const { data: similar } = await newcomer.client.search.listRecommendations({ params: { query: {} } });
    expect(similar!.items[0]!.reason).toBe("similar_to_viewed");
    expect(similar!.items[0]!.basedOn).toEqual([d]);
  });

  it("needs a token for recommendations", async () => {
    const { response } = await anonymous.search.listRecommendations({ params: { query: {} } });
    expect(response.status).toBe(401);
  });
});
