import type { graphql } from "@ecom/sdk";
import DataLoader from "dataloader";
import type { GraphqlResolver, GraphqlResolvers } from "../platform/index.js";
import { ServiceError } from "../platform/index.js";
import type { AuthorRow, ProductGraphReads, ProductRow, SnapshotRow } from "./product-graph-reads.js";

type Product = graphql.search.Product;
type InventoryInfo = graphql.search.InventoryInfo;

/** What a `Product` resolves to before its own resolvers fill `authors` and `inventory` (batched, when asked for). */
export type ProductNode = Omit<Product, "authors" | "inventory">;

/** The most products one `products` field returns, and the most ids its filter may name. */
export const MAX_PAGE_SIZE = 50;
const DEFAULT_PAGE_SIZE = 20;

/** The GraphQL view of a stored document: the contract's names, never the table's. */
function productNode(row: ProductRow): ProductNode {
  return {
    id: row.product_id,
    isbn: row.isbn,
    title: row.title,
    subtitle: row.subtitle,
    description: row.description,
    publisher: row.publisher_name,
    format: row.format,
    price: { amount: row.price_amount, currency: row.price_currency },
    coverImageUrl: row.cover_image_url,
    status: row.status,
  };
}

/**
 * InventoryInfo from a product's snapshot; available is what inventory computes, onHand − reserved, never below zero.
 * Every product search knows has one (product.created opens it), except in a data folder made before the snapshot
 * existed, whose stock is not known until replay builds it: that is said, rather than answered as zero.
 */
function inventoryInfo(productId: string, row: SnapshotRow | null): InventoryInfo {
  if (!row) {
    throw new ServiceError(
      "unavailable",
      `search has no inventory snapshot of ${productId} yet: stop the simulator and run \`ecom replay --context search\``,
    );
  }
  return { productId, onHand: row.on_hand, reserved: row.reserved, available: Math.max(0, row.on_hand - row.reserved) };
}

/** Group `rows` by `key` in the order of `keys` (DataLoader wants one answer per key, in order). */
function byKey<TRow>(keys: readonly string[], rows: readonly TRow[], key: (row: TRow) => string): TRow[][] {
  const groups = new Map<string, TRow[]>();
  for (const row of rows) {
    const group = groups.get(key(row));
    if (group) group.push(row);
    else groups.set(key(row), [row]);
  }
  return keys.map((wanted) => groups.get(wanted) ?? []);
}

/**
 * One resolver typed by its field's generated arguments. graphql-js has already coerced `args` to the field's
 * argument types, which the generated `Query…Args` describe, so reading them as such is sound.
 */
function withArgs<TArgs>(resolve: (args: TArgs) => unknown): GraphqlResolver {
  return (_parent, args) => resolve(args as TArgs);
}

/** A resolver of a `Product` field, given the node the parent resolver returned. */
function onProduct(resolve: (product: ProductNode) => unknown): GraphqlResolver {
  return (parent) => resolve(parent as ProductNode);
}

function checkPage(args: graphql.search.QueryProductsArgs): number {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE)
    throw new ServiceError("validation", `products(first: ${first}): ask for 1 to ${MAX_PAGE_SIZE} products a page`);
  const ids = args.filter?.ids;
  if (ids && ids.length > MAX_PAGE_SIZE)
    throw new ServiceError("validation", `products(filter: { ids }): name at most ${MAX_PAGE_SIZE} ids`);
  return first;
}

/**
 * The resolvers of contracts/graphql/search.graphql for one request. Every read goes through a DataLoader, so the
 * products of a page share one read of documents, one of authors and one of stock, however many there are.
 */
export function createSearchResolvers(reads: ProductGraphReads): GraphqlResolvers {
  const products = new DataLoader<string, ProductNode | null>(async (ids) => {
    const rows = await reads.documents(ids);
    return byKey(ids, rows, (row) => row.product_id).map((found) => (found[0] ? productNode(found[0]) : null));
  });
  const authors = new DataLoader<string, AuthorRow[]>(async (ids) =>
    byKey(ids, await reads.authors(ids), (row) => row.product_id),
  );
  const snapshots = new DataLoader<string, SnapshotRow | null>(async (ids) =>
    byKey(ids, await reads.snapshots(ids), (row) => row.product_id).map((found) => found[0] ?? null),
  );

  const query = {
    product: withArgs<graphql.search.QueryProductArgs>((args) => products.load(args.id)),
    products: withArgs<graphql.search.QueryProductsArgs>(async (args) => {
      const first = checkPage(args);
      const rows = await reads.page({ filter: args.filter, first, after: args.after });
      const nodes = rows.map(productNode);
      // Later `product(id:)` fields of the same request reuse the page's documents.
      for (const node of nodes) products.prime(node.id, node);
      return nodes;
    }),
    productInventory: withArgs<graphql.search.QueryProductInventoryArgs>(async (args) => {
      const [snapshot, product] = await Promise.all([snapshots.load(args.id), products.load(args.id)]);
      if (!product) return null;
      return inventoryInfo(args.id, snapshot);
    }),
  } satisfies { readonly [TField in keyof graphql.search.Query]: GraphqlResolver };

  const product = {
    authors: onProduct(
      async (node): Promise<Product["authors"]> =>
        (await authors.load(node.id)).map((row) => ({ id: row.author_id, name: row.name })),
    ),
    inventory: onProduct(async (node) => inventoryInfo(node.id, await snapshots.load(node.id))),
  } satisfies { readonly [TField in "authors" | "inventory"]: GraphqlResolver };

  return { Query: query, Product: product };
}
