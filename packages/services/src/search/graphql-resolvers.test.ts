import { graphql as generated } from "@ecom/sdk";
import { buildSchema, defaultFieldResolver, type GraphQLFieldResolver, graphql } from "graphql";
import { describe, expect, it } from "vitest";
import type { GraphqlResolvers } from "../platform/index.js";
import { createSearchResolvers } from "./graphql-resolvers.js";
import type { AuthorRow, ProductGraphReads, ProductRow, SnapshotRow } from "./product-graph-reads.js";

const schema = buildSchema(generated.search.searchGraphqlSchema);

/** `count` products in id order, each with two authors and a snapshot. */
function store(count: number) {
  const id = (index: number) => `prd_${String(index).padStart(26, "0")}`;
  const documents: ProductRow[] = Array.from({ length: count }, (_, index) => ({
    doc_id: index + 1,
    product_id: id(index),
    isbn: `978000000${String(index).padStart(4, "0")}`,
    title: `Book ${index}`,
    subtitle: null,
    description: "A book.",
    author_names: "[]",
    publisher_name: "Press",
    format: "paperback",
    price_amount: 1000 + index,
    price_currency: "USD",
    cover_image_url: null,
    status: "ACTIVE",
    created_at: "2026-01-01T00:00:00.000Z",
    updated_at: "2026-01-01T00:00:00.000Z",
  }));
  const authors: AuthorRow[] = documents.flatMap((document) =>
    [0, 1].map((position) => ({
      product_id: document.product_id,
      author_id: `aut_${position}`,
      name: `Author ${position}`,
      position,
    })),
  );
  const snapshots: SnapshotRow[] = documents.map((document, index) => ({
    product_id: document.product_id,
    on_hand: 10 + index,
    reserved: index % 3,
    updated_at: "2026-01-01T00:00:00.000Z",
  }));
  const calls: string[] = [];
  const reads: ProductGraphReads = {
    async documents(ids) {
      calls.push("documents");
      return documents.filter((row) => ids.includes(row.product_id));
    },
    async authors(ids) {
      calls.push("authors");
      return authors.filter((row) => ids.includes(row.product_id));
    },
    async snapshots(ids) {
      calls.push("snapshots");
      return snapshots.filter((row) => ids.includes(row.product_id));
    },
    async page({ first, after }) {
      calls.push("page");
      return documents.filter((row) => !after || row.product_id > after).slice(0, first);
    },
  };
  return { reads, calls, id };
}

/** Run `source` with the resolvers the search context serves for one request. */
async function run(reads: ProductGraphReads, source: string) {
  const resolvers: GraphqlResolvers = createSearchResolvers(reads);
  const fieldResolver: GraphQLFieldResolver<unknown, unknown> = (parent, args, context, info) => {
    const own = resolvers[info.parentType.name]?.[info.fieldName];
    return own ? own(parent, args) : defaultFieldResolver(parent, args, context, info);
  };
  return graphql({ schema, source, fieldResolver });
}

const PAGE = "{ products(first: $n) { id title authors { name } inventory { onHand reserved available } } }";

describe("search's GraphQL resolvers", () => {
  it.each([1, 10, 50])("read a page of %i products with their authors and stock in three reads", async (size) => {
    const { reads, calls } = store(60);
    const result = await run(reads, PAGE.replace("$n", String(size)));
    expect(result.errors).toBeUndefined();
    expect((result.data as { products: unknown[] }).products).toHaveLength(size);
    // One page read, then one batched read each of authors and stock for every product on it.
    expect(calls.sort()).toEqual(["authors", "page", "snapshots"]);
  });

  it("batch the product(id:) fields of one request into one read", async () => {
    const { reads, calls, id } = store(5);
    const fields = [0, 1, 2, 3].map((index) => `p${index}: product(id: "${id(index)}") { id inventory { available } }`);
    const result = await run(reads, `{ ${fields.join(" ")} }`);
    expect(result.errors).toBeUndefined();
    expect(calls.sort()).toEqual(["documents", "snapshots"]);
  });

  it("give available as on hand less reserved", async () => {
    const { reads, id } = store(3);
    const result = await run(reads, `{ productInventory(id: "${id(2)}") { productId onHand reserved available } }`);
    expect(result.data).toEqual({ productInventory: { productId: id(2), onHand: 12, reserved: 2, available: 10 } });
  });

  it("answer null for a product it does not know", async () => {
    const { reads } = store(1);
    const result = await run(reads, '{ product(id: "prd_x") { id } productInventory(id: "prd_x") { available } }');
    expect(result.data).toEqual({ product: null, productInventory: null });
  });

  it("say the snapshot is missing, rather than zero, for a product whose snapshot replay has not built", async () => {
    const { reads, id } = store(2);
    const withoutSnapshots: ProductGraphReads = { ...reads, snapshots: async () => [] };
    const result = await run(withoutSnapshots, `{ product(id: "${id(1)}") { id inventory { available } } }`);
    expect(result.data).toEqual({ product: null });
    expect(result.errors?.[0]?.originalError).toMatchObject({ code: "unavailable" });
    expect(result.errors?.[0]?.message).toContain("ecom replay --context search");
  });

  it.each([0, 51])("refuse a page of %i with a validation error", async (size) => {
    const { reads, calls } = store(1);
    const result = await run(reads, `{ products(first: ${size}) { id } }`);
    expect(result.errors?.[0]?.originalError).toMatchObject({ code: "validation" });
    expect(calls).toEqual([]);
  });
});
