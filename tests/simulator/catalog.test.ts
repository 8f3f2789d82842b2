import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { type catalogApi, createClient } from "@ecom/sdk";
import { catalogV1 } from "@ecom/sdk/rpc";
import { type ContextRuntime, defineContext } from "@ecom/services/platform";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogContext, SEED_ACTOR_ID } from "../../packages/services/src/catalog/index.js";
import { customerContext, DEV_ADMIN, DEV_CUSTOMER } from "../../packages/services/src/customer/index.js";
import { seedBooks, seedCategories } from "../../packages/services/src/seed-data/index.js";

type Product = catalogApi.components["schemas"]["Product"];

const quiet = {
  info() {},
  warn() {},
  error: (message: string, fields?: Record<string, unknown>) => console.error(message, fields),
};

/** A stand-in review context: the only producer the contracts allow for rating.updated. */
let reviewRuntime: ContextRuntime<unknown> | undefined;
const toyReview = defineContext<unknown>({
  name: "review",
  migrations: {},
  create(runtime) {
    reviewRuntime = runtime;
    return {};
  },
});

interface Running {
  platform: Platform;
  adminToken: string;
  customerToken: string;
  adminId: string;
}

async function start(): Promise<Running> {
  const platform = await createPlatform({
    contexts: [customerContext, catalogContext, toyReview],
    memory: true,
    seed: 1,
    log: quiet,
  });
  const anonymous = createClient({ baseUrl: "http://ecom.test", fetch: platform.fetch, retry: { maxAttempts: 1 } });
  const admin = (await anonymous.customer.login({ body: { email: DEV_ADMIN.email, password: DEV_ADMIN.password } }))
    .data!;
  const customer = (
    await anonymous.customer.login({ body: { email: DEV_CUSTOMER.email, password: DEV_CUSTOMER.password } })
  ).data!;
  return { platform, adminToken: admin.accessToken, customerToken: customer.accessToken, adminId: admin.customerId };
}

const clientOf = (running: Running, token?: string) =>
  createClient({
    baseUrl: "http://ecom.test",
    fetch: running.platform.fetch,
    retry: { maxAttempts: 1 },
    ...(token === undefined ? {} : { token }),
  });

async function payloadsOf(platform: Platform, type: string) {
  await platform.settle();
  const events = await platform.eventLog.read({ afterSeq: 0, types: [type], limit: 100_000 });
  return events.map((event) => (JSON.parse(event.envelope) as { payload: Record<string, unknown> }).payload);
}

async function byIsbn(running: Running, isbn: string, status: "ACTIVE" | "DISCONTINUED" = "ACTIVE"): Promise<Product> {
  const { data } = await clientOf(running).catalog.listProducts({ params: { query: { isbn, status } } });
  expect(data!.items).toHaveLength(1);
  return data!.items[0]!;
}

describe("the seeded catalog", () => {
  let running: Running;
  beforeAll(async () => {
    running = await start();
  });
  afterAll(() => running.platform.close());

  it("holds every seed book as an ACTIVE product, each announced by product.created, and every category by category.created", async () => {
    expect(seedBooks.length).toBeGreaterThanOrEqual(200);
    const created = await payloadsOf(running.platform, "ecommerce.catalog.product.created.v1");
    expect(created).toHaveLength(seedBooks.length);
    const first = seedBooks[0]!;
    expect(created.map((payload) => payload.product)).toContainEqual(
      expect.objectContaining({
        isbn: first.isbn,
        title: first.title,
        price: { amount: first.priceMinor, currency: "USD" },
        status: "ACTIVE",
        authors: first.authors.map((name) => expect.objectContaining({ name })),
      }),
    );
    const categories = await payloadsOf(running.platform, "ecommerce.catalog.category.created.v1");
    expect(categories).toHaveLength(seedCategories.length);
    const leaf = categories.find((payload) => payload.slug === "classic-literature")!;
    const root = categories.find((payload) => payload.slug === "literature")!;
    expect(leaf).toMatchObject({ parentId: root.categoryId, ancestorIds: [root.categoryId] });
    expect(root.ancestorIds).toEqual([]);
  });

  it("walks every seeded product exactly once, newest first, through the cursor", async () => {
    const api = clientOf(running).catalog;
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pageCount = 0; pageCount < 100; pageCount++) {
      const { data, response } = await api.listProducts({
        params: { query: { limit: 37, ...(cursor ? { cursor } : {}) } },
      });
      expect(response.status).toBe(200);
      seen.push(...data!.items.map((item) => item.productId));
      cursor = data!.page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toHaveLength(seedBooks.length);
    expect(new Set(seen).size).toBe(seedBooks.length);
    expect([...seen].sort().reverse()).toEqual(seen);
  });

  it("refuses a cursor sent back with other filters, and one it never gave out, with 400", async () => {
    const api = clientOf(running).catalog;
    const first = await api.listProducts({ params: { query: { limit: 5 } } });
    const cursor = first.data!.page.nextCursor!;
    expect((await api.listProducts({ params: { query: { limit: 5, cursor, format: "ebook" } } })).response.status).toBe(
      400,
    );
    expect((await api.listProducts({ params: { query: { cursor: "bm90LWEtY3Vyc29y" } } })).response.status).toBe(400);
  });

  it("finds a seeded book by ISBN, and filters by format, category, author and publisher", async () => {
    const pride = await byIsbn(running, "9780141439518");
    expect(pride).toMatchObject({ title: "Pride and Prejudice", format: "paperback", rating: { count: 0 } });
    const api = clientOf(running).catalog;
    const filters = [
      ["format", { format: "ebook" as const }, (item: Product) => item.format === "ebook"],
      [
        "category",
        { categoryId: pride.categoryIds[0]! },
        (item: Product) => item.categoryIds.includes(pride.categoryIds[0]!),
      ],
      [
        "author",
        { authorId: pride.authors[0]!.authorId },
        (item: Product) => item.authors.some((author) => author.name === "Jane Austen"),
      ],
      [
        "publisher",
        { publisherId: pride.publisher.publisherId },
        (item: Product) => item.publisher.name === pride.publisher.name,
      ],
    ] as const;
    for (const [name, query, matches] of filters) {
      const { data } = await api.listProducts({ params: { query: { ...query, limit: 100 } } });
      expect(data!.items.length, name).toBeGreaterThan(0);
      expect(data!.items.every(matches), name).toBe(true);
    }
    const austenBooks = seedBooks.filter((book) => book.authors.includes("Jane Austen")).length;
    const byAuthor = await api.listProducts({
      params: { query: { authorId: pride.authors[0]!.authorId, limit: 100 } },
    });
    expect(byAuthor.data!.items).toHaveLength(austenBooks);
  });

  it("lists the category tree level by level, by display order", async () => {
    const api = clientOf(running).catalog;
    const top = await api.listCategories({ params: { query: { limit: 100 } } });
    const wantTop = seedCategories.filter((category) => category.parentSlug === null);
    expect(top.data!.items.map((category) => category.slug)).toEqual(
      [...wantTop]
        .sort((a, b) => a.displayOrder - b.displayOrder || a.name.localeCompare(b.name))
        .map((category) => category.slug),
    );
    const literature = top.data!.items.find((category) => category.slug === "literature")!;
    const children = await api.listCategories({ params: { query: { parentId: literature.categoryId } } });
    expect(children.data!.items.map((category) => category.slug)).toEqual(
      seedCategories.filter((category) => category.parentSlug === "literature").map((category) => category.slug),
    );
  });

  it("lists authors by name prefix, case-insensitively", async () => {
    const { data } = await clientOf(running).catalog.listAuthors({ params: { query: { name: "jane" } } });
    expect(data!.items.map((author) => author.name)).toContain("Jane Austen");
    expect(data!.items.every((author) => author.name.toLowerCase().startsWith("jane"))).toBe(true);
  });

  it("reads as a name prefix's own characters what SQL would take for wildcards", async () => {
    const api = clientOf(running).catalog;
    // No seeded name starts with "%" or "_": as LIKE patterns they would match every name.
    for (const name of ["%", "_", "%a"]) {
      expect((await api.listAuthors({ params: { query: { name } } })).data!.items).toEqual([]);
      expect((await api.listPublishers({ params: { query: { name } } })).data!.items).toEqual([]);
    }
  });

  it("lists every seeded publisher once, a page at a time, by name", async () => {
    const api = clientOf(running).catalog;
    const names: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const { data } = await api.listPublishers({ params: { query: { limit: 7, ...(cursor ? { cursor } : {}) } } });
      expect(data!.items.length).toBeLessThanOrEqual(7);
      names.push(...data!.items.map((publisher) => publisher.name));
      cursor = data!.page.nextCursor;
      if (!cursor) break;
    }
    const seeded = [...new Set(seedBooks.map((book) => book.publisher))];
    expect(names).toHaveLength(seeded.length);
    expect(new Set(names)).toEqual(new Set(seeded));
    // By name as the store compares text (SQLite: code point by code point).
    expect(names).toEqual([...names].sort());
  });

  it("reads one category, author and publisher by id, and answers 404 for an id it does not hold", async () => {
    const api = clientOf(running).catalog;
    const category = (await api.listCategories()).data!.items[0]!;
    const author = (await api.listAuthors({ params: { query: { name: "jane austen" } } })).data!.items[0]!;
    const publisher = (await api.listPublishers({ params: { query: { limit: 1 } } })).data!.items[0]!;

    expect((await api.getCategory({ params: { path: { categoryId: category.categoryId } } })).data).toEqual(category);
    expect((await api.getAuthor({ params: { path: { authorId: author.authorId } } })).data).toEqual(author);
    expect((await api.getPublisher({ params: { path: { publisherId: publisher.publisherId } } })).data).toEqual(
      publisher,
    );

    const absent = "01JH8Z3Q4R5S6T7V8W9X0Y1Z2Z";
    const misses = [
      await api.getCategory({ params: { path: { categoryId: `cat_${absent}` } } }),
      await api.getAuthor({ params: { path: { authorId: `aut_${absent}` } } }),
      await api.getPublisher({ params: { path: { publisherId: `pub_${absent}` } } }),
    ];
    for (const miss of misses) {
      expect(miss.response.status).toBe(404);
      expect(miss.error).toMatchObject({ code: "not_found" });
    }
  });
});

describe("admin writes", () => {
  let running: Running;
  beforeAll(async () => {
    running = await start();
  });
  afterAll(() => running.platform.close());

  const productId = "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A";
  const writes: readonly [string, (api: ReturnType<typeof clientOf>["catalog"]) => Promise<{ response: Response }>][] =
    [
      ["createCategory", (api) => api.createCategory({ body: { name: "Zines", slug: "zines", displayOrder: 0 } })],
      ["createAuthor", (api) => api.createAuthor({ body: { name: "Anne Author" } })],
      ["createPublisher", (api) => api.createPublisher({ body: { name: "Small Press" } })],
      ["updateProduct", (api) => api.updateProduct({ params: { path: { productId } }, body: { title: "New" } })],
      [
        "changeProductPrice",
        (api) =>
          api.changeProductPrice({
            params: { path: { productId } },
            body: { price: { amount: 1, currency: "USD" }, reason: "CORRECTION" },
          }),
      ],
      [
        "discontinueProduct",
        (api) => api.discontinueProduct({ params: { path: { productId } }, body: { reason: "OTHER" } }),
      ],
    ];

  it.each(writes)("answers %s with 403 for a customer and 401 without a token", async (_name, write) => {
    expect((await write(clientOf(running, running.customerToken).catalog)).response.status).toBe(403);
    expect((await write(clientOf(running).catalog)).response.status).toBe(401);
  });

  it("changes a price: closes the open entry, opens a new one, and publishes price_changed with old and new price", async () => {
    const pride = await byIsbn(running, "9780141439518");
    const api = clientOf(running, running.adminToken).catalog;
    const path = { productId: pride.productId };
    await running.platform.advanceClock(60_000);
    const changed = await api.changeProductPrice({
      params: { path },
      body: { price: { amount: 799, currency: "USD" }, reason: "PROMOTION" },
    });
    expect(changed.response.status).toBe(200);
    expect(changed.data).toMatchObject({
      price: { amount: 799, currency: "USD" },
      reason: "PROMOTION",
      changedBy: running.adminId,
    });
    expect(changed.data!.effectiveUntil).toBeUndefined();

    const history = await clientOf(running).catalog.listProductPriceHistory({ params: { path } });
    expect(history.data!.items).toEqual([
      changed.data,
      {
        productId: pride.productId,
        price: pride.price,
        reason: "STANDARD",
        effectiveFrom: pride.createdAt,
        effectiveUntil: changed.data!.effectiveFrom,
        changedBy: SEED_ACTOR_ID,
      },
    ]);
    expect((await clientOf(running).catalog.getProduct({ params: { path } })).data!.price).toEqual({
      amount: 799,
      currency: "USD",
    });

    const again = await api.changeProductPrice({
      params: { path },
      body: { price: { amount: 799, currency: "USD" }, reason: "PROMOTION" },
    });
    expect(again.data).toEqual(changed.data);
    const euros = await api.changeProductPrice({
      params: { path },
      body: { price: { amount: 799, currency: "EUR" }, reason: "PROMOTION" },
    });
    expect(euros.response.status).toBe(422);

    const events = (await payloadsOf(running.platform, "ecommerce.catalog.product.price_changed.v1")).filter(
      (payload) => payload.productId === pride.productId,
    );
    expect(events).toEqual([
      {
        productId: pride.productId,
        isbn: pride.isbn,
        previousPrice: pride.price,
        price: { amount: 799, currency: "USD" },
        reason: "PROMOTION",
        effectiveFrom: changed.data!.effectiveFrom,
        changedBy: running.adminId,
      },
    ]);
    expect((await clientOf(running).catalog.listProductPriceHistory({ params: { path } })).data!.items).toHaveLength(2);
  });

  it("creates a category under a parent, an author, a publisher and a product that credits them", async () => {
    const api = clientOf(running, running.adminToken).catalog;
    const parent = (await clientOf(running).catalog.listCategories()).data!.items[0]!;
    const category = await api.createCategory({
      body: { name: "Zines", slug: "zines", parentId: parent.categoryId, displayOrder: 99 },
    });
    expect(category.response.status).toBe(201);
    const clash = await api.createCategory({
      body: { name: "Zines again", slug: "zines", parentId: parent.categoryId, displayOrder: 0 },
    });
    expect(clash.response.status).toBe(409);
    const orphan = await api.createCategory({
      body: { name: "Orphan", slug: "orphan", parentId: "cat_01JH8Z3Q4R5S6T7V8W9X0Y1Z2B", displayOrder: 0 },
    });
    expect(orphan.response.status).toBe(422);
    const author = (await api.createAuthor({ body: { name: "Anne Author", nationality: "GB" } })).data!;
    const publisher = (await api.createPublisher({ body: { name: "Small Press", country: "GB" } })).data!;
    expect((await api.createPublisher({ body: { name: "Small Press" } })).response.status).toBe(409);

    const request = {
      isbn: "9780000000002",
      title: "A Zine About Zines",
      description: "Photocopied wisdom.",
      authorIds: [author.authorId],
      publisherId: publisher.publisherId,
      publicationDate: "2025-05-01",
      language: "en",
      pages: 24,
      format: "paperback" as const,
      categoryIds: [category.data!.categoryId],
      price: { amount: 500, currency: "USD" },
    };
    const created = await api.createProduct({ body: request });
    expect(created.response.status).toBe(201);
    expect(created.response.headers.get("location")).toBe(`/products/${created.data!.productId}`);
    expect(created.data).toMatchObject({
      status: "ACTIVE",
      authors: [{ authorId: author.authorId, name: "Anne Author" }],
      publisher: { publisherId: publisher.publisherId, name: "Small Press" },
      rating: { count: 0 },
    });
    expect((await api.createProduct({ body: { ...request, title: "Copy" } })).response.status).toBe(409);
    const unknownAuthor = await api.createProduct({
      body: { ...request, isbn: "9780000000019", authorIds: ["aut_01JH8Z3Q4R5S6T7V8W9X0Y1Z2C"] },
    });
    expect(unknownAuthor.response.status).toBe(422);

    const categoryEvents = await payloadsOf(running.platform, "ecommerce.catalog.category.created.v1");
    expect(categoryEvents.find((payload) => payload.slug === "zines")).toMatchObject({
      parentId: parent.categoryId,
      ancestorIds: [parent.categoryId],
    });
    const productEvents = await payloadsOf(running.platform, "ecommerce.catalog.product.created.v1");
    expect(productEvents.at(-1)).toEqual({
      product: expect.objectContaining({ productId: created.data!.productId, isbn: request.isbn }),
    });
  });

  it("updates descriptive fields, naming them in product.updated; a patch that changes nothing publishes nothing", async () => {
    const book = await byIsbn(running, seedBooks[5]!.isbn);
    const api = clientOf(running, running.adminToken).catalog;
    const path = { productId: book.productId };
    const updated = await api.updateProduct({ params: { path }, body: { title: "A Better Title", pages: book.pages } });
    expect(updated.data).toMatchObject({ title: "A Better Title", pages: book.pages });
    await api.updateProduct({ params: { path }, body: { title: "A Better Title" } });
    const events = (await payloadsOf(running.platform, "ecommerce.catalog.product.updated.v1")).filter(
      (payload) => payload.productId === book.productId,
    );
    expect(events).toEqual([
      {
        productId: book.productId,
        changedFields: ["title"],
        product: expect.objectContaining({ title: "A Better Title" }),
      },
    ]);
  });

  it("discontinues a product: it leaves the default listing, stays readable, and can change no more", async () => {
    const book = await byIsbn(running, seedBooks[10]!.isbn);
    const api = clientOf(running, running.adminToken).catalog;
    const path = { productId: book.productId };
    const gone = await api.discontinueProduct({ params: { path }, body: { reason: "OUT_OF_PRINT", note: "Gone." } });
    expect(gone.data).toMatchObject({ status: "DISCONTINUED", discontinuedAt: expect.any(String) });
    expect(
      (await clientOf(running).catalog.listProducts({ params: { query: { isbn: book.isbn } } })).data!.items,
    ).toEqual([]);
    expect((await byIsbn(running, book.isbn, "DISCONTINUED")).productId).toBe(book.productId);
    expect((await clientOf(running).catalog.getProduct({ params: { path } })).data!.status).toBe("DISCONTINUED");
    expect((await api.discontinueProduct({ params: { path }, body: { reason: "OTHER" } })).response.status).toBe(409);
    expect((await api.updateProduct({ params: { path }, body: { title: "Back" } })).response.status).toBe(409);
    const price = await api.changeProductPrice({
      params: { path },
      body: { price: { amount: 1, currency: "USD" }, reason: "CORRECTION" },
    });
    expect(price.response.status).toBe(409);
    const events = (await payloadsOf(running.platform, "ecommerce.catalog.product.discontinued.v1")).filter(
      (payload) => payload.productId === book.productId,
    );
    expect(events).toEqual([
      { productId: book.productId, isbn: book.isbn, reason: "OUT_OF_PRINT", discontinuedAt: gone.data!.discontinuedAt },
    ]);
  });
});

describe("the rating projection", () => {
  let running: Running;
  beforeAll(async () => {
    running = await start();
  });
  afterAll(() => running.platform.close());

  const publishRating = async (productId: string, average: number | null, count: number, updatedAt: string) => {
    const runtime = reviewRuntime!;
    await runtime.db
      .transaction()
      .execute((trx) =>
        runtime.outbox.publish(
          trx,
          "ecommerce.review.rating.updated.v1",
          { productId, average, count, distribution: { 1: 0, 2: 0, 3: 0, 4: count, 5: 0 }, updatedAt },
          { partitionKey: productId, correlationId: "rating-test" },
        ),
      );
    await running.platform.settle();
  };

  it("shows the newest rating on the product and ignores an older one delivered late", async () => {
    const book = await byIsbn(running, seedBooks[3]!.isbn);
    await publishRating(book.productId, 4.25, 4, "2026-01-02T00:00:00.000Z");
    const path = { productId: book.productId };
    expect((await clientOf(running).catalog.getProduct({ params: { path } })).data!.rating).toEqual({
      average: 4.25,
      count: 4,
    });
    await publishRating(book.productId, 1, 1, "2026-01-01T12:00:00.000Z");
    expect((await clientOf(running).catalog.getProduct({ params: { path } })).data!.rating).toEqual({
      average: 4.25,
      count: 4,
    });
    expect((await byIsbn(running, book.isbn)).rating).toEqual({ average: 4.25, count: 4 });
  });

  // The list and the read by id read the product's values as one JSON array the store writes; the writes answer what
  // toProductView maps.
  it("reads a product the same listed, by id and as its last write answered: optional fields, rating, discontinuation", async () => {
    const admin = clientOf(running, running.adminToken).catalog;
    const anonymous = clientOf(running).catalog;
    const seeded = await byIsbn(running, seedBooks[7]!.isbn);
    expect(seeded).not.toHaveProperty("subtitle");
    expect(seeded).not.toHaveProperty("rating.average");
    expect((await anonymous.getProduct({ params: { path: { productId: seeded.productId } } })).data).toEqual(seeded);

    const created = await admin.createProduct({
      body: {
        isbn: "9780000000101",
        title: 'Quotes "and" \\backslashes\\',
        subtitle: "Naïve — 😀 ✓",
        description: "Line one\nline two\ttabbed \u0001 control",
        authorIds: seeded.authors.map((author) => author.authorId),
        publisherId: seeded.publisher.publisherId,
        publicationDate: "2024-02-29",
        language: "en",
        pages: 1,
        format: "ebook",
        categoryIds: seeded.categoryIds,
        coverImageUrl: "https://covers.ecom.dev/9780000000101.jpg",
        price: { amount: 1999, currency: "EUR" },
      },
    });
    expect(created.response.status).toBe(201);
    const productId = created.data!.productId;
    await publishRating(productId, 13 / 3, 3, "2026-01-03T00:00:00.000Z");
    const gone = await admin.discontinueProduct({ params: { path: { productId } }, body: { reason: "OTHER" } });
    expect(gone.data).toMatchObject({ subtitle: "Naïve — 😀 ✓", rating: { average: 13 / 3, count: 3 } });
    expect(await byIsbn(running, "9780000000101", "DISCONTINUED")).toEqual(gone.data);
    expect((await anonymous.getProduct({ params: { path: { productId } } })).data).toEqual(gone.data);
  });
});

describe("CatalogService", () => {
  let running: Running;
  beforeAll(async () => {
    running = await start();
  });
  afterAll(() => running.platform.close());

  const codeOf = (error: unknown) => ConnectError.from(error).code;

  it("answers GetProduct with the product and the ancestors of its categories", async () => {
    const pride = await byIsbn(running, "9780141439518");
    const { product } = await running.platform.rpc.catalog.getProduct({ productId: pride.productId });
    const literature = (await clientOf(running).catalog.listCategories()).data!.items.find(
      (category) => category.slug === "literature",
    )!;
    expect(product).toMatchObject({
      id: pride.productId,
      isbn: "9780141439518",
      title: "Pride and Prejudice",
      authors: [{ id: pride.authors[0]!.authorId, name: "Jane Austen" }],
      publisher: { id: pride.publisher.publisherId, name: pride.publisher.name },
      format: catalogV1.ProductFormat.PAPERBACK,
      categoryIds: pride.categoryIds,
      ancestorCategoryIds: [literature.categoryId],
      price: { amountMinor: BigInt(pride.price.amount), currency: "USD" },
      status: catalogV1.ProductStatus.ACTIVE,
    });
    // The product is written as a message literal: bytes made of it read back as the very same message, nested
    // messages (contributors, money, time) included.
    expect(fromBinary(catalogV1.ProductSchema, toBinary(catalogV1.ProductSchema, product!))).toEqual(product);
    expect(product?.updatedAt && timestampDate(product.updatedAt).toISOString()).toBe(pride.updatedAt);
    expect(
      codeOf(
        await running.platform.rpc.catalog
          .getProduct({ productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A" })
          .catch((error) => error),
      ),
    ).toBe(Code.NotFound);
    expect(
      codeOf(await running.platform.rpc.catalog.getProduct({ productId: "9780141439518" }).catch((error) => error)),
    ).toBe(Code.InvalidArgument);
  });

  it("answers BatchGetProducts with the found products in request order, duplicates once, and the missing ids", async () => {
    const [a, b] = [await byIsbn(running, seedBooks[0]!.isbn), await byIsbn(running, seedBooks[1]!.isbn)];
    const missing = "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A";
    const response = await running.platform.rpc.catalog.batchGetProducts({
      productIds: [b.productId, missing, a.productId, b.productId],
    });
    expect(response.products.map((product) => product.id)).toEqual([b.productId, a.productId]);
    expect(response.missingProductIds).toEqual([missing]);
    expect(
      codeOf(await running.platform.rpc.catalog.batchGetProducts({ productIds: [] }).catch((error) => error)),
    ).toBe(Code.InvalidArgument);
  });

  it("walks every product in ascending id order with ListProducts, and filters by a category with its subcategories", async () => {
    const seen: string[] = [];
    let pageToken = "";
    do {
      const response = await running.platform.rpc.catalog.listProducts({ page: { pageSize: 100, pageToken } });
      seen.push(...response.products.map((product) => product.id));
      pageToken = response.page?.nextPageToken ?? "";
    } while (pageToken !== "");
    expect(seen).toHaveLength(seedBooks.length);
    expect([...seen].sort()).toEqual(seen);

    const literature = (await clientOf(running).catalog.listCategories()).data!.items.find(
      (category) => category.slug === "literature",
    )!;
    const leaves = new Set(
      seedCategories.filter((category) => category.parentSlug === "literature").map((category) => category.slug),
    );
    const inLiterature = seedBooks.filter((book) => leaves.has(book.category)).length;
    const filtered = await running.platform.rpc.catalog.listProducts({
      page: { pageSize: 100 },
      categoryId: literature.categoryId,
    });
    const again = filtered.page?.nextPageToken
      ? await running.platform.rpc.catalog.listProducts({
          page: { pageSize: 100, pageToken: filtered.page.nextPageToken },
          categoryId: literature.categoryId,
        })
      : undefined;
    expect(filtered.products.length + (again?.products.length ?? 0)).toBe(inLiterature);
    expect(filtered.products.every((product) => product.ancestorCategoryIds.includes(literature.categoryId))).toBe(
      true,
    );

    const badToken = await running.platform.rpc.catalog
      .listProducts({
        page: { pageSize: 10, pageToken: filtered.page?.nextPageToken || "x" },
        includeDiscontinued: true,
      })
      .catch((error) => error);
    expect(codeOf(badToken)).toBe(Code.InvalidArgument);
  });
});
