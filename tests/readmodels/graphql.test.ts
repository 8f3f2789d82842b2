import { createGraphqlClient, type EcomClient, type GraphqlClient, graphql } from "@ecom/sdk";
import { allContexts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminOf, checkout, clientOf, quiet, registerShopper, someProducts } from "./scenario.js";

let platform: Platform;
let rest: EcomClient;
let gql: GraphqlClient;

beforeAll(async () => {
  platform = await createPlatform({ contexts: allContexts, memory: true, seed: 19, log: quiet });
  rest = clientOf(platform);
  gql = createGraphqlClient({ baseUrl: "http://ecom.test", fetch: platform.fetch });
});
afterAll(() => platform.close());

/** What REST says of a product and its stock, in GraphQL's names. */
async function restView(productId: string) {
  const { data: product } = await rest.catalog.getProduct({ params: { path: { productId } } });
  const { data: stock } = await rest.inventory.getStockLevel({ params: { path: { productId } } });
  if (!product || !stock) throw new Error(`REST knows no product ${productId}`);
  return {
    id: product.productId,
    isbn: product.isbn,
    title: product.title,
    authors: product.authors.map((author) => ({ id: author.authorId, name: author.name })),
    publisher: product.publisher.name,
    format: product.format,
    price: product.price,
    status: product.status,
    inventory: { productId, onHand: stock.onHand, reserved: stock.reserved, available: stock.available },
  };
}

/** The same, from one GraphQL request. */
async function graphqlView(productId: string) {
  const { data, error } = await gql.query(graphql.search.ProductWithInventory, { id: productId });
  if (error) throw new Error(`GraphQL failed: ${JSON.stringify(error)}`);
  const product = data.product;
  if (!product) throw new Error(`GraphQL knows no product ${productId}`);
  return {
    id: product.id,
    isbn: product.isbn,
    title: product.title,
    authors: product.authors,
    publisher: product.publisher,
    format: product.format,
    price: product.price,
    status: product.status,
    inventory: product.inventory,
  };
}

describe("GraphQL product + inventory", () => {
  it("answers a product and its stock in one request with the numbers REST gives", async () => {
    const [productId] = await someProducts(platform, 1);
    const view = await graphqlView(productId!);
    expect(view).toEqual(await restView(productId!));
    expect(view.inventory.onHand).toBeGreaterThan(0);
  });

  it("follows a reservation as it is held and expires", async () => {
    const [, productId] = await someProducts(platform, 2);
    const held = await platform.rpc.inventory.reserveStock({
      checkoutId: "chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S",
      correlationId: "chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S",
      items: [{ productId: productId!, quantity: 2 }],
      ttlSeconds: 60,
    });
    expect(held.reservationId).not.toBe("");
    await platform.settle();
    const whileHeld = await graphqlView(productId!);
    expect(whileHeld.inventory.reserved).toBe(2);
    expect(whileHeld).toEqual(await restView(productId!));

    await platform.advanceClock(61_000);
    const afterExpiry = await graphqlView(productId!);
    expect(afterExpiry.inventory.reserved).toBe(0);
    expect(afterExpiry).toEqual(await restView(productId!));
  });

  it("agrees with REST after a checkout commits stock", async () => {
    const [, , productId] = await someProducts(platform, 3);
    const before = await graphqlView(productId!);
    const shopper = await registerShopper(platform, 1);
    await checkout(platform, shopper, { [productId!]: 3 });
    const after = await graphqlView(productId!);
    expect(after.inventory.onHand).toBe(before.inventory.onHand - 3);
    expect(after).toEqual(await restView(productId!));
  });

  it("follows a stock adjustment an admin makes", async () => {
    const [, , , productId] = await someProducts(platform, 4);
    const before = await graphqlView(productId!);
    const admin = await adminOf(platform);
    const { error } = await admin.client.inventory.adjustStock({
      params: { path: { productId: productId! } },
      body: { delta: 7, reason: "RESTOCK" },
    });
    expect(error).toBeUndefined();
    await platform.settle();
    const after = await graphqlView(productId!);
    expect(after.inventory.onHand).toBe(before.inventory.onHand + 7);
    expect(after).toEqual(await restView(productId!));
  });

  it("answers productInventory alone, and null for an unknown product", async () => {
    const [productId] = await someProducts(platform, 1);
    const { data } = await gql.query(graphql.search.ProductInventory, { id: productId! });
    expect(data?.productInventory).toEqual((await restView(productId!)).inventory);
    const unknown = await gql.query(graphql.search.ProductInventory, { id: "prd_00000000000000000000000000" });
    expect(unknown.data?.productInventory).toBeNull();
  });

  it("pages products in id order with each one's stock", async () => {
    const first = await gql.query(graphql.search.ListProducts, { first: 5 });
    const ids = first.data!.products.map((product) => product.id);
    expect(ids).toHaveLength(5);
    expect([...ids].sort()).toEqual(ids);
    const next = await gql.query(graphql.search.ListProducts, { first: 5, after: ids[4]! });
    expect(next.data!.products[0]!.id > ids[4]!).toBe(true);
    for (const product of first.data!.products.slice(0, 2))
      expect(product.inventory).toEqual((await restView(product.id)).inventory);
  });
});

describe("GraphQL on the port", () => {
  it("answers POST and GET /graphql over HTTP, and refuses a mutation sent with GET", async () => {
    const url = await platform.listen(0);
    const client = createGraphqlClient({ baseUrl: url });
    const [productId] = await someProducts(platform, 1);
    const posted = await client.query(graphql.search.ProductInventory, { id: productId! });
    expect(posted.data?.productInventory).toEqual((await restView(productId!)).inventory);
    const query = encodeURIComponent(`{ product(id: "${productId}") { title } }`);
    const got = await fetch(`${url}/graphql?query=${query}`);
    expect(got.status).toBe(200);
    expect(((await got.json()) as { data: { product: { title: string } } }).data.product.title).not.toBe("");
    const visit = await fetch(`${url}/graphql`, { headers: { accept: "text/html" } });
    expect(visit.status).toBe(400);
    expect(await visit.text()).toContain("Send a query: POST /graphql");
  });
});

describe("GraphQL refusals", () => {
  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await platform.fetch(
      new Request("http://ecom.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      }),
    );
    return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: unknown[] } };
  };

  it("refuses a page larger than 50 with a validation error, not a 500", async () => {
    const { status, body } = await post({ query: "{ products(first: 51) { id } }" });
    expect(status).toBe(200);
    // graphql-js's own introspection depth rule may refuse it too.
    expect(body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ extensions: { code: "validation" } })]),
    );
  });

  it("refuses a query nested deeper than the limit before resolving anything", async () => {
    const deep = "{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }";
    const { status, body } = await post({ query: deep });
    // An `application/json` answer (what this client accepts) carries request errors with 200, per GraphQL over HTTP.
    expect(status).toBe(200);
    // graphql-js's own introspection depth rule may refuse it too.
    expect(body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ extensions: { code: "validation" } })]),
    );
  });

  it("refuses too many aliased fields", async () => {
    const aliases = Array.from({ length: 201 }, (_, index) => `p${index}: productInventory(id: "x") { available }`);
    const { body } = await post({ query: `{ ${aliases.join(" ")} }` });
    expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: "validation" } })]);
  });

  it("answers a broken query and a mutation with GraphQL errors and changes nothing", async () => {
    const before = await platform.eventLog.lastSeq();
    const broken = await post({ query: "{ product(id: " });
    expect(broken.status).toBe(200);
    expect(broken.body.errors).toEqual([expect.objectContaining({ extensions: { code: "validation" } })]);
    const unknown = await post({ query: "{ nope }" });
    expect(unknown.body.errors).toEqual([expect.objectContaining({ extensions: { code: "validation" } })]);
    const mutation = await post({ query: 'mutation { adjustStock(productId: "x", delta: 5) }' });
    expect(mutation.status).toBe(200);
    expect(mutation.body.errors?.length).toBeGreaterThan(0);
    expect(await platform.eventLog.lastSeq()).toBe(before);
  });

  it("refuses a bad bearer token as every protocol of the port does", async () => {
    const { status, body } = await post({ query: "{ products { id } }" }, { authorization: "Bearer not-a-token" });
    expect(status).toBe(401);
    expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: "unauthenticated" } })]);
  });
});
