import type { reviewApi } from "@ecom/sdk";
import { type Kysely, sql } from "kysely";
import { type CursorPosition, decodeQueryCursor, encodeCursor } from "../platform/index.js";
import { type ReviewRow, toReview } from "./review-views.js";
import type { ReviewDatabase, ReviewStatus } from "./store.js";

type ReviewPage = reviewApi.components["schemas"]["ReviewPage"];
type ProductRating = reviewApi.components["schemas"]["ProductRating"];
type ProductSort = "newest" | "oldest" | "highest_rating" | "lowest_rating" | "verified_first";

interface PageRequest {
  readonly cursor?: string | undefined;
  readonly limit: number;
}

/** Each sort as columns of one direction, the review id last (so the keyset position is a row value). */
const SORTS: Readonly<Record<ProductSort, { readonly keys: readonly string[]; readonly direction: "asc" | "desc" }>> = {
  newest: { keys: ["published_at", "review_id"], direction: "desc" },
  oldest: { keys: ["published_at", "review_id"], direction: "asc" },
  highest_rating: { keys: ["rating", "published_at", "review_id"], direction: "desc" },
  // Lowest first, ties newest first: descending on the negated rating keeps one direction.
  lowest_rating: { keys: ["negated_rating", "published_at", "review_id"], direction: "desc" },
  verified_first: { keys: ["verified", "published_at", "review_id"], direction: "desc" },
};

/** 1 when the reviewer bought the product and it was delivered, else 0 (a number on both stores, for the keyset). */
const VERIFIED = sql`case when exists (select 1 from review_purchases p where p.customer_id = r.customer_id
  and p.product_id = r.product_id and p.delivered_at is not null) then 1 else 0 end`;

/** A product's published reviews in the asked order, with the total. */
export async function listProductReviews(
  db: Kysely<ReviewDatabase>,
  request: {
    readonly productId: string;
    readonly sort?: ProductSort | undefined;
    readonly rating?: number | undefined;
  },
  page: PageRequest,
): Promise<ReviewPage> {
  const sort = request.sort ?? "newest";
  const plan = SORTS[sort];
  const filters = { productId: request.productId, sort, rating: request.rating };
  const position = decodeQueryCursor(page.cursor, filters, (value): value is CursorPosition =>
    plan.keys.every((key) => typeof value[key] === "string" || typeof value[key] === "number"),
  );
  const matches = sql`select r.*, ${VERIFIED} as verified, -r.rating as negated_rating from reviews r
    where r.product_id = ${request.productId} and r.status = 'PUBLISHED'
    ${request.rating === undefined ? sql`` : sql`and r.rating = ${request.rating}`}`;
  const after = position
    ? sql`where (${sql.join(plan.keys.map((key) => sql.ref(key)))}) ${sql.raw(plan.direction === "asc" ? ">" : "<")} (${sql.join(
        plan.keys.map((key) => position[key]),
      )})`
    : sql``;
  const order = sql.join(plan.keys.map((key) => sql`${sql.ref(key)} ${sql.raw(plan.direction)}`));
  const { rows } = await sql<ReviewRow & { negated_rating: number }>`select * from (${matches}) m ${after}
    order by ${order} limit ${page.limit + 1}`.execute(db);
  const { rows: counted } = await sql<{ total: number }>`select count(*) as total from (${matches}) as m`.execute(db);
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map(toReview),
    page: {
      limit: page.limit,
      total: Number(counted[0]?.total ?? 0),
      ...(rows.length > page.limit && last
        ? {
            nextCursor: encodeCursor(
              Object.fromEntries(plan.keys.map((key) => [key, last[key as keyof typeof last] as string | number])),
              filters,
            ),
          }
        : {}),
    },
  };
}

type QueuePosition = { readonly at: string; readonly id: string };
const isQueuePosition = (value: Record<string, unknown>): value is QueuePosition =>
  typeof value.at === "string" && typeof value.id === "string";

/** Every review for moderators, oldest first, by status, flagged-ness and product. */
export async function listReviews(
  db: Kysely<ReviewDatabase>,
  request: {
    readonly status?: ReviewStatus | undefined;
    readonly flagged?: boolean | undefined;
    readonly productId?: string | undefined;
  },
  page: PageRequest,
): Promise<ReviewPage> {
  const filters = { ...request };
  const position = decodeQueryCursor(page.cursor, filters, isQueuePosition);
  const conditions = [sql`1 = 1`];
  if (request.status) conditions.push(sql`r.status = ${request.status}`);
  if (request.flagged === true) conditions.push(sql`r.flag_count > 0`);
  if (request.flagged === false) conditions.push(sql`r.flag_count = 0`);
  if (request.productId) conditions.push(sql`r.product_id = ${request.productId}`);
  if (position) conditions.push(sql`(r.created_at, r.review_id) > (${position.at}, ${position.id})`);
  const { rows } = await sql<ReviewRow>`select r.*, ${VERIFIED} as verified from reviews r
    where ${sql.join(conditions, sql` and `)} order by r.created_at, r.review_id limit ${page.limit + 1}`.execute(db);
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map(toReview),
    page: {
      limit: page.limit,
      ...(rows.length > page.limit && last
        ? { nextCursor: encodeCursor({ at: last.created_at, id: last.review_id }, filters) }
        : {}),
    },
  };
}

/** A product's rating aggregate; `emptyAsOf` stamps a product nobody has a published review of yet. */
export async function productRating(
  db: Kysely<ReviewDatabase>,
  productId: string,
  emptyAsOf: string,
): Promise<ProductRating> {
  const row = await db
    .selectFrom("rating_aggregates")
    .selectAll()
    .where("product_id", "=", productId)
    .executeTakeFirst();
  if (!row)
    return {
      productId,
      average: null,
      count: 0,
      distribution: { "1": 0, "2": 0, "3": 0, "4": 0, "5": 0 },
      updatedAt: emptyAsOf,
    };
  return ratingOf(row);
}

/** An aggregate row as the contract's ProductRating (and the rating.updated payload, which has the same shape). */
export function ratingOf(row: ReviewDatabase["rating_aggregates"]): ProductRating {
  return {
    productId: row.product_id,
    average: row.average,
    count: row.count,
    distribution: {
      "1": row.stars_1,
      "2": row.stars_2,
      "3": row.stars_3,
      "4": row.stars_4,
      "5": row.stars_5,
    },
    updatedAt: row.updated_at,
  };
}
