import { createClient, type EcomClient } from "@ecom/sdk";
import { allContexts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describePostgresNats } from "./backends.js";
import { createTestNamespace } from "./nats-namespace.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";

// Search parity: the same seeded catalog on the embedded platform (SQLite's FTS5) and on PostgreSQL + JetStream
// (search_fts as a tsvector table) finds the same books for the same words, with the same totals and facets. Only
// the order by relevance and the scores differ (bm25 and ts_rank_cd are different formulas), so results are compared
// as sets of ISBNs (a natural key), not as lists.

const quiet = { info() {}, warn() {}, error: (message: string, fields?: unknown) => console.error(message, fields) };

const QUERIES = ["programming", "the", "algorithms", "data struct", "history of", "c", "godel", "novel", "zzzqx"];

describePostgresNats("search on the seeded catalog, embedded and on PostgreSQL", (backend) => {
  let database: TestDatabase;
  const platforms: Platform[] = [];
  let embedded: EcomClient;
  let postgres: EcomClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    const [onSqlite, onPostgres] = await Promise.all([
      createPlatform({ contexts: allContexts, seed: 42, log: quiet, memory: true }),
      createPlatform({
        contexts: allContexts,
        seed: 42,
        log: quiet,
        backends: { storeUrl: database.url, busUrl: backend.busUrl },
      }),
    ]);
    platforms.push(onSqlite, onPostgres);
    await Promise.all(platforms.map((platform) => platform.settle()));
    embedded = createClient({ baseUrl: await onSqlite.listen(0), retry: { maxAttempts: 1 } });
    postgres = createClient({ baseUrl: await onPostgres.listen(0), retry: { maxAttempts: 1 } });
  }, 180_000);

  afterAll(async () => {
    await Promise.all(platforms.map((platform) => platform.close()));
    await createTestNamespace(database?.name).drop();
    await database?.drop();
  });

  /** Every match of `q`, all pages of it, with the first page's total and facets. */
  async function search(client: EcomClient, q: string) {
    const isbns: string[] = [];
    let first: { total: number | undefined; facets: unknown } | undefined;
    let cursor: string | undefined;
    do {
      const { data, error } = await client.search.searchProducts({
        params: { query: { q, limit: 100, ...(cursor === undefined ? {} : { cursor }) } },
      });
      if (!data) throw new Error(`search ${q}: ${JSON.stringify(error)}`);
      first ??= { total: data.page.total, facets: data.facets };
      isbns.push(...data.items.map((item) => item.product.isbn));
      cursor = data.page.nextCursor;
    } while (cursor !== undefined);
    return { ...first, isbns: isbns.sort(), repeated: isbns.length - new Set(isbns).size };
  }

  it.each(QUERIES)("finds the same books for %j", async (q) => {
    const [onSqlite, onPostgres] = await Promise.all([search(embedded, q), search(postgres, q)]);
    expect(onPostgres).toEqual(onSqlite);
    expect(onPostgres.repeated).toBe(0);
    expect(onPostgres.isbns).toHaveLength(onPostgres.total ?? -1);
  });

  it("finds something for most queries (the comparison is not of two empty lists)", async () => {
    const found = await Promise.all(QUERIES.map(async (q) => (await search(embedded, q)).total ?? 0));
    expect(found.filter((total) => total > 0).length).toBeGreaterThanOrEqual(QUERIES.length - 3);
  });
});
