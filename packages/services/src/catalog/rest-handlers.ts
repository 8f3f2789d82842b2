import type { catalogApi } from "@ecom/sdk";
import { type RestHandlers, requireAdmin } from "../platform/index.js";
import type { Products } from "./products.js";
import type { ReferenceData } from "./reference-data.js";

const DEFAULT_PAGE_SIZE = 20;

/** The catalog context's REST operations, per contracts/openapi/catalog.yaml. Reads are public; writes need admin. */
export function createRestHandlers(products: Products, reference: ReferenceData): RestHandlers<catalogApi.operations> {
  const page = (query: { cursor?: string; limit?: number }) => ({
    cursor: query.cursor,
    limit: query.limit ?? DEFAULT_PAGE_SIZE,
  });

  return {
    listProducts: async ({ query }) => ({
      status: 200,
      body: await products.list(
        {
          categoryId: query.categoryId,
          authorId: query.authorId,
          publisherId: query.publisherId,
          format: query.format,
          isbn: query.isbn,
          status: query.status ?? "ACTIVE",
        },
        page(query),
      ),
    }),

    getProduct: async ({ path }) => ({ status: 200, body: await products.get(path.productId) }),

    createProduct: async ({ body, principal, correlationId }) => {
      const { customerId } = requireAdmin(principal, "Catalog writes");
      const product = await products.create(body, { customerId, correlationId });
      return { status: 201, body: product, headers: { location: `/products/${product.productId}` } };
    },

    updateProduct: async ({ path, body, principal, correlationId }) => {
      const { customerId } = requireAdmin(principal, "Catalog writes");
      return { status: 200, body: await products.update(path.productId, body, { customerId, correlationId }) };
    },

    discontinueProduct: async ({ path, body, principal, correlationId }) => {
      const { customerId } = requireAdmin(principal, "Catalog writes");
      return { status: 200, body: await products.discontinue(path.productId, body, { customerId, correlationId }) };
    },

    changeProductPrice: async ({ path, body, principal, correlationId }) => {
      const { customerId } = requireAdmin(principal, "Catalog writes");
      return { status: 200, body: await products.changePrice(path.productId, body, { customerId, correlationId }) };
    },

    listProductPriceHistory: async ({ path, query }) => ({
      status: 200,
      body: await products.priceHistory(path.productId, page(query)),
    }),

    listCategories: async ({ query }) => ({
      status: 200,
      body: await reference.listCategories(query.parentId, page(query)),
    }),

    getCategory: async ({ path }) => ({ status: 200, body: await reference.getCategory(path.categoryId) }),

    createCategory: async ({ body, principal, correlationId }) => {
      requireAdmin(principal, "Catalog writes");
      const category = await reference.createCategory(body, correlationId);
      return { status: 201, body: category, headers: { location: `/categories/${category.categoryId}` } };
    },

    listAuthors: async ({ query }) => ({ status: 200, body: await reference.listAuthors(query.name, page(query)) }),

    getAuthor: async ({ path }) => ({ status: 200, body: await reference.getAuthor(path.authorId) }),

    createAuthor: async ({ body, principal }) => {
      requireAdmin(principal, "Catalog writes");
      const author = await reference.createAuthor(body);
      return { status: 201, body: author, headers: { location: `/authors/${author.authorId}` } };
    },

    listPublishers: async ({ query }) => ({
      status: 200,
      body: await reference.listPublishers(query.name, page(query)),
    }),

    getPublisher: async ({ path }) => ({ status: 200, body: await reference.getPublisher(path.publisherId) }),

    createPublisher: async ({ body, principal }) => {
      requireAdmin(principal, "Catalog writes");
      const publisher = await reference.createPublisher(body);
      return { status: 201, body: publisher, headers: { location: `/publishers/${publisher.publisherId}` } };
    },
  };
}
