import type { MessageOf, MessageType } from "@ecom/sdk";
import type { Kysely, Transaction } from "kysely";
import { beforeAll, expect, it } from "vitest";
import { documentProjection } from "../../packages/services/src/search/document-projection.js";
import { inventorySnapshotProjection } from "../../packages/services/src/search/inventory-snapshot-projection.js";
import { migrations } from "../../packages/services/src/search/migrations.js";
import { searchProducts } from "../../packages/services/src/search/product-search.js";
import { listRecommendations } from "../../packages/services/src/search/recommendations.js";
import type { SearchDatabase } from "../../packages/services/src/search/store.js";
import { describeBackends } from "./backends.js";
import { useContextStore } from "./context-store.js";

// Search's SQL on both stores: the full-text index (FTS5 / tsvector), its ranking, highlights and snippets, the
// facets, the keyset pages, the projections' "never below zero" and the recommendations' string aggregate. Each
// backend's copy expects the same answers, so the two give the same result sets; only relevance scores differ.

type Product = MessageOf<"ecommerce.catalog.product.created.v1">["payload"]["product"];

const AT = "2026-12-01T10:00:00.000Z";

function product(n: number, fields: Partial<Product> & Pick<Product, "title" | "description">): Product {
  return {
    productId: `prd_${n}`,
    isbn: `97800000000${n.toString().padStart(2, "0")}`,
    authors: [{ authorId: `aut_${n}`, name: `Author ${n}` }],
    publisher: { publisherId: "pub_1", name: "Press" },
    publicationDate: "2001-01-01",
    language: "en",
    pages: 300,
    format: "paperback",
    categoryIds: ["cat_cs"],
    price: { amount: 2500, currency: "USD" },
    status: "ACTIVE",
    createdAt: `2026-11-0${n}T00:00:00.000Z`,
    updatedAt: `2026-11-0${n}T00:00:00.000Z`,
    ...fields,
  } as Product;
}

const PRODUCTS: readonly Product[] = [
  product(1, {
    title: "Gödel, Escher, Bach",
    subtitle: "An Eternal Golden Braid",
    authors: [{ authorId: "aut_h", name: "Douglas Hofstadter" }],
    description:
      "A fugue on minds and machines in the spirit of Lewis Carroll. Hofstadter weaves the theorem of Gödel with the " +
      "art of Escher and the music of Bach, over many pages of wordplay, dialogues and puzzles for the curious reader.",
    categoryIds: ["cat_math"],
  }),
  product(2, {
    title: "Introduction to Algorithms",
    authors: [
      { authorId: "aut_c", name: "Thomas Cormen" },
      { authorId: "aut_l", name: "Charles Leiserson" },
    ],
    description: "The standard text on algorithms and data structures.",
    format: "hardcover",
    price: { amount: 9500, currency: "USD" },
  }),
  product(3, {
    title: "Algorithmic Puzzles",
    authors: [{ authorId: "aut_v", name: "Anany Levitin" }],
    description: "Puzzles that teach how to think about algorithms.",
    price: { amount: 1500, currency: "USD" },
    categoryIds: ["cat_cs", "cat_math"],
  }),
  product(4, {
    title: "The Algorithm Design Manual",
    description: "Discontinued below, so never found.",
    format: "ebook",
  }),
  product(5, { title: "Über Mathematik", description: "Ein Buch über Zahlen." }),
];

function message<TType extends MessageType>(type: TType, payload: MessageOf<TType>["payload"]): MessageOf<TType> {
  return { eventType: type, occurredAt: AT, payload } as MessageOf<TType>;
}

async function apply<TType extends MessageType>(
  db: Kysely<SearchDatabase>,
  projection: typeof documentProjection,
  type: TType,
  payload: MessageOf<TType>["payload"],
): Promise<void> {
  const handler = projection.handlers[type] as (
    message: MessageOf<TType>,
    trx: Transaction<SearchDatabase>,
  ) => Promise<void>;
  await db.transaction().execute((trx) => handler(message(type, payload), trx));
}

describeBackends("search's SQL", (backend) => {
  const store = useContextStore<SearchDatabase>(backend, { name: "search", migrations });
  let db: Kysely<SearchDatabase>;

  beforeAll(async () => {
    db = store.db;
    for (const each of PRODUCTS)
      await apply(db, documentProjection, "ecommerce.catalog.product.created.v1", { product: each });
    // Written twice: an update replaces the document's index row (same rowid), it does not add one.
    await apply(db, documentProjection, "ecommerce.catalog.product.updated.v1", {
      product: PRODUCTS[2]!,
    } as MessageOf<"ecommerce.catalog.product.updated.v1">["payload"]);
    await apply(db, documentProjection, "ecommerce.catalog.product.discontinued.v1", {
      productId: "prd_4",
    } as MessageOf<"ecommerce.catalog.product.discontinued.v1">["payload"]);
  });

  const search = (q: string | undefined, extra: Record<string, unknown> = {}, limit = 20) =>
    searchProducts(db, { q, ...extra }, { limit });
  const ids = (results: Awaited<ReturnType<typeof search>>) => results.items.map((item) => item.product.productId);

  it("finds every word, the last as a prefix, and never a discontinued book", async () => {
    const algo = await search("algo");
    expect(new Set(ids(algo))).toEqual(new Set(["prd_2", "prd_3"]));
    expect(algo.page.total).toBe(2);
    expect(ids(await search("escher bach"))).toEqual(["prd_1"]);
    expect(ids(await search("bach escher"))).toEqual(["prd_1"]);
    expect(ids(await search("escher algo"))).toEqual([]);
    expect(ids(await search("manual"))).toEqual([]);
  });

  it("folds accents and case both ways (Gödel by godel, Über by UBER)", async () => {
    expect(ids(await search("godel"))).toEqual(["prd_1"]);
    expect(ids(await search("GÖDEL"))).toEqual(["prd_1"]);
    expect(ids(await search("uber"))).toEqual(["prd_5"]);
  });

  it("searches authors and the ISBN", async () => {
    expect(ids(await search("hofstadter"))).toEqual(["prd_1"]);
    expect(ids(await search("leiserson"))).toEqual(["prd_2"]);
    expect(ids(await search("9780000000003"))).toEqual(["prd_3"]);
  });

  it("ranks a title match above a description match, with a positive score", async () => {
    // "puzzles" is prd_3's title and in prd_1's description.
    const results = await search("puzzles");
    expect(ids(results)).toEqual(["prd_3", "prd_1"]);
    expect(results.items.every((item) => item.score > 0)).toBe(true);
  });

  it("marks the matched words in the title and a snippet of the description", async () => {
    const [item] = (await search("godel")).items;
    expect(item?.highlights?.title).toBe("<em>Gödel</em>, Escher, Bach");
    expect(item?.highlights?.subtitle).toBeUndefined();
    expect(item?.highlights?.description).toContain("<em>Gödel</em>");
    expect(item?.highlights?.description).toMatch(/…$/);
  });

  it("pages by relevance without repeats or gaps", async () => {
    const first = await search("algo", {}, 1);
    expect(first.items).toHaveLength(1);
    const second = await searchProducts(db, { q: "algo" }, { limit: 1, cursor: first.page.nextCursor });
    expect(second.page.nextCursor).toBeUndefined();
    expect(new Set([...ids(first), ...ids(second)])).toEqual(new Set(["prd_2", "prd_3"]));
  });

  it("counts facets over the matches, each without its own filter", async () => {
    const { facets } = await search("algo", { format: "hardcover" });
    expect(facets.formats).toEqual([
      { value: "hardcover", label: "Hardcover", count: 1 },
      { value: "paperback", label: "Paperback", count: 1 },
    ]);
    expect(facets.categories.map(({ value, count }) => ({ value, count }))).toEqual([{ value: "cat_cs", count: 1 }]);
    // Ties by label: Charles Leiserson before Thomas Cormen.
    expect(facets.authors.map((author) => author.value)).toEqual(["aut_l", "aut_c"]);
    const all = await search(undefined);
    expect(all.page.total).toBe(4);
    expect(all.facets.priceRanges).toEqual([
      { min: 1000, max: 2000, currency: "USD", count: 1 },
      { min: 2000, max: 3000, currency: "USD", count: 2 },
      { min: 5000, max: 10000, currency: "USD", count: 1 },
    ]);
  });

  it("never takes stock below zero when more is committed than it knew of", async () => {
    await apply(db, documentProjection, "ecommerce.inventory.stock.adjusted.v1", {
      productId: "prd_2",
      onHand: 2,
      reserved: 1,
    } as MessageOf<"ecommerce.inventory.stock.adjusted.v1">["payload"]);
    await apply(db, documentProjection, "ecommerce.inventory.stock.committed.v1", {
      items: [{ productId: "prd_2", quantity: 3 }],
    } as MessageOf<"ecommerce.inventory.stock.committed.v1">["payload"]);
    const stock = await db.selectFrom("search_stock").select(["on_hand", "reserved"]).execute();
    expect(stock).toEqual([{ on_hand: 0, reserved: 0 }]);

    await db
      .insertInto("search_inventory_snapshots")
      .values({ product_id: "prd_3", on_hand: 1, reserved: 1, updated_at: AT })
      .execute();
    await apply(
      db,
      inventorySnapshotProjection as typeof documentProjection,
      "ecommerce.inventory.stock.committed.v1",
      {
        items: [{ productId: "prd_3", quantity: 2 }],
      } as MessageOf<"ecommerce.inventory.stock.committed.v1">["payload"],
    );
    const snapshot = await db.selectFrom("search_inventory_snapshots").select(["on_hand", "reserved"]).execute();
    expect(snapshot).toEqual([{ on_hand: 0, reserved: 0 }]);
  });

  it("recommends books bought together, naming what each is based on", async () => {
    const lines = [
      ["ord_1", "prd_1", "cus_me"],
      ["ord_2", "prd_1", "cus_b"],
      ["ord_2", "prd_2", "cus_b"],
      ["ord_3", "prd_1", "cus_c"],
      ["ord_3", "prd_2", "cus_c"],
      ["ord_3", "prd_3", "cus_c"],
      ["ord_4", "prd_5", "cus_me"],
      ["ord_4", "prd_3", "cus_me"],
      ["ord_5", "prd_9", "cus_alone"],
    ] as const;
    await db
      .insertInto("search_order_lines")
      .values(
        lines.map(([order, productId, customer]) => ({
          order_id: order,
          product_id: productId,
          customer_id: customer,
          quantity: 1,
          ordered_at: AT,
        })),
      )
      .execute();
    const now = new Date("2026-12-02T00:00:00.000Z");
    const mine = await listRecommendations(db, { customerId: "cus_me", now }, { limit: 10 });
    expect(mine.items.map(({ product: { productId }, reason, basedOn }) => ({ productId, reason, basedOn }))).toEqual([
      { productId: "prd_2", reason: "bought_together", basedOn: ["prd_1", "prd_3"] },
    ]);
    const theirs = await listRecommendations(db, { customerId: "cus_c", now }, { limit: 10 });
    expect(theirs.items.map(({ product: { productId }, basedOn }) => ({ productId, basedOn }))).toEqual([
      { productId: "prd_5", basedOn: ["prd_3"] },
    ]);
    // A customer whose history recommends nothing gets nothing, not the trending list.
    const alone = await listRecommendations(db, { customerId: "cus_alone", now }, { limit: 10 });
    expect(alone.items).toEqual([]);
    const stranger = await listRecommendations(db, { customerId: "cus_new", now }, { limit: 10 });
    expect(stranger.items[0]).toMatchObject({ reason: "trending", product: { productId: "prd_1" } });
  });
});
