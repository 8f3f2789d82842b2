import type { catalogApi, MessagePayloads } from "@ecom/sdk";
import type { Selectable } from "kysely";
import type { AuthorTable, CategoryTable, PriceHistoryTable, ProductTable, PublisherTable } from "./store.js";

type Schemas = catalogApi.components["schemas"];
/** The contract's Product. */
export type ProductView = Schemas["Product"];
/** The product as catalog events carry it (no rating: that is the review context's). */
export type ProductSnapshot = MessagePayloads["ecommerce.catalog.product.created.v1"]["product"];
/** An author credited on a product. */
export type AuthorRef = Schemas["AuthorRef"];

/** A product row with its rating projection (left-joined; null when no review event came yet). */
export type ProductRow = Selectable<ProductTable> & {
  readonly rating_average: number | null;
  readonly rating_count: number | null;
};

/** A stored product as catalog events carry it. */
export function toProductSnapshot(row: Selectable<ProductTable>): ProductSnapshot {
  return {
    productId: row.product_id,
    isbn: row.isbn,
    title: row.title,
    ...(row.subtitle === null ? {} : { subtitle: row.subtitle }),
    description: row.description,
    authors: JSON.parse(row.authors) as AuthorRef[],
    publisher: { publisherId: row.publisher_id, name: row.publisher_name },
    publicationDate: row.publication_date,
    language: row.language,
    pages: row.pages,
    format: row.format,
    categoryIds: JSON.parse(row.category_ids) as string[],
    ...(row.cover_image_url === null ? {} : { coverImageUrl: row.cover_image_url }),
    price: { amount: row.price_amount, currency: row.price_currency },
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A stored product with its rating as the contract's Product. */
export function toProductView(row: ProductRow): ProductView {
  return {
    ...toProductSnapshot(row),
    rating: {
      count: row.rating_count ?? 0,
      ...(row.rating_average === null ? {} : { average: row.rating_average }),
    },
    ...(row.discontinued_at === null ? {} : { discontinuedAt: row.discontinued_at }),
  };
}

/** A price-history row as the contract's PriceHistoryEntry. */
export function toPriceHistoryEntry(row: Selectable<PriceHistoryTable>): Schemas["PriceHistoryEntry"] {
  return {
    productId: row.product_id,
    price: { amount: row.amount, currency: row.currency },
    reason: row.reason,
    effectiveFrom: row.effective_from,
    ...(row.effective_until === null ? {} : { effectiveUntil: row.effective_until }),
    changedBy: row.changed_by,
  };
}

/** A stored category as the contract's Category. */
export function toCategoryView(row: Selectable<CategoryTable>): Schemas["Category"] {
  return {
    categoryId: row.category_id,
    name: row.name,
    slug: row.slug,
    ...(row.parent_id === null ? {} : { parentId: row.parent_id }),
    ...(row.description === null ? {} : { description: row.description }),
    displayOrder: row.display_order,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A stored author as the contract's Author. */
export function toAuthorView(row: Selectable<AuthorTable>): Schemas["Author"] {
  return {
    authorId: row.author_id,
    name: row.name,
    ...(row.bio === null ? {} : { bio: row.bio }),
    ...(row.birth_date === null ? {} : { birthDate: row.birth_date }),
    ...(row.nationality === null ? {} : { nationality: row.nationality }),
    ...(row.website === null ? {} : { website: row.website }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A stored publisher as the contract's Publisher. */
export function toPublisherView(row: Selectable<PublisherTable>): Schemas["Publisher"] {
  return {
    publisherId: row.publisher_id,
    name: row.name,
    ...(row.country === null ? {} : { country: row.country }),
    ...(row.website === null ? {} : { website: row.website }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
