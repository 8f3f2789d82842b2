import type { Kysely } from "kysely";
import { beforeAll, expect, it } from "vitest";
import { migrations } from "../../packages/services/src/catalog/migrations.js";
import { productValues, readProductValues } from "../../packages/services/src/catalog/product-json.js";
import { type ProductRow, toProductView } from "../../packages/services/src/catalog/product-views.js";
import type { CatalogDatabase } from "../../packages/services/src/catalog/store.js";
import { describeBackends } from "./backends.js";
import { useContextStore } from "./context-store.js";

// Catalog's product values, written by the store itself as one JSON array (SQLite's json_array, PostgreSQL's
// json_build_array), must read exactly as toProductView maps the same row, members in the same order, on both stores; and a rating average keeps all its digits (a `real`
// column is PostgreSQL's 4-byte float unless the store maps it).

const ROW = {
  isbn: "9780000000001",
  title: 'A "quoted" title, with\ttab and ünïcode',
  description: "Line one\nline two \\ backslash",
  authors: JSON.stringify([{ authorId: "aut_1", name: "Ann Author" }]),
  publisher_id: "pub_1",
  publisher_name: "Press",
  publication_date: "2001-02-03",
  language: "en",
  pages: 321,
  format: "paperback",
  category_ids: JSON.stringify(["cat_1", "cat_2"]),
  price_amount: 2599,
  price_currency: "EUR",
  status: "ACTIVE",
  created_at: "2026-11-01T00:00:00.000Z",
  updated_at: "2026-11-02T00:00:00.000Z",
  discontinue_reason: null,
  discontinue_note: null,
} as const;

describeBackends("catalog's SQL", (backend) => {
  const store = useContextStore<CatalogDatabase>(backend, { name: "catalog", migrations });
  let db: Kysely<CatalogDatabase>;

  beforeAll(async () => {
    db = store.db;
    await db
      .insertInto("publishers")
      .values({ publisher_id: "pub_1", name: "Press", created_at: ROW.created_at, updated_at: ROW.created_at })
      .execute();
    await db
      .insertInto("products")
      .values([
        { ...ROW, product_id: "prd_1", subtitle: null, cover_image_url: null, discontinued_at: null },
        {
          ...ROW,
          product_id: "prd_2",
          isbn: "9780000000002",
          subtitle: "Sub",
          cover_image_url: "https://covers.example/2.jpg",
          status: "DISCONTINUED",
          discontinued_at: "2026-11-03T00:00:00.000Z",
        },
      ])
      .execute();
    await db
      .insertInto("product_ratings")
      .values({ product_id: "prd_2", average: 13 / 3, count: 3, updated_at: ROW.updated_at })
      .execute();
  });

  it("reads the product values exactly as toProductView maps the row, optional members left out when null", async () => {
    const joined = () =>
      db
        .selectFrom("products")
        .leftJoin("product_ratings", "product_ratings.product_id", "products.product_id")
        .orderBy("products.product_id");
    const rows = (await joined()
      .selectAll("products")
      .select(["product_ratings.average as rating_average", "product_ratings.count as rating_count"])
      .execute()) as ProductRow[];
    const json = await joined()
      .select(["products.product_id", productValues(db).as("json")])
      .execute();
    const read = json.map((row) => readProductValues(row.json));
    // The gateway sends JSON.stringify of what the read answers: the same text, members in the same order.
    expect(read.map((product) => JSON.stringify(product))).toEqual(
      rows.map((row) => JSON.stringify(toProductView(row))),
    );
    expect(read[0]).not.toHaveProperty("subtitle");
    expect(read[1]!.rating).toEqual({ count: 3, average: 13 / 3 });
  });

  it("keeps a rating average's every digit", async () => {
    const row = await db.selectFrom("product_ratings").select("average").executeTakeFirstOrThrow();
    expect(row.average).toBe(13 / 3);
  });
});
