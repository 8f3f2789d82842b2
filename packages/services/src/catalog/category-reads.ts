import type { Kysely } from "kysely";
import { decodeQueryCursor, fail, pageOf } from "../platform/index.js";
import type { PageRequest } from "./product-reads.js";
import { toCategoryView } from "./product-views.js";
import type { CatalogDatabase } from "./store.js";

const isCategoryPosition = (value: Record<string, unknown>): value is { o: number; n: string; id: string } =>
  Number.isSafeInteger(value.o) && typeof value.n === "string" && typeof value.id === "string";

/** Top-level categories, or the direct children of `parentId`, by display order then name. */
export async function listCategories(db: Kysely<CatalogDatabase>, parentId: string | undefined, page: PageRequest) {
  let query = db.selectFrom("categories").selectAll();
  query = parentId === undefined ? query.where("parent_id", "is", null) : query.where("parent_id", "=", parentId);
  const after = decodeQueryCursor(page.cursor, { parentId }, isCategoryPosition);
  if (after) {
    query = query.where((eb) =>
      eb.or([
        eb("display_order", ">", after.o),
        eb.and([eb("display_order", "=", after.o), eb("name", ">", after.n)]),
        eb.and([eb("display_order", "=", after.o), eb("name", "=", after.n), eb("category_id", ">", after.id)]),
      ]),
    );
  }
  const rows = await query
    .orderBy("display_order")
    .orderBy("name")
    .orderBy("category_id")
    .limit(page.limit + 1)
    .execute();
  const result = pageOf(rows, {
    limit: page.limit,
    filters: { parentId },
    positionOf: (row) => ({ o: row.display_order, n: row.name, id: row.category_id }),
  });
  return { ...result, items: result.items.map(toCategoryView) };
}

/** A category, or a 404. */
export async function getCategory(db: Kysely<CatalogDatabase>, categoryId: string) {
  const row = await db.selectFrom("categories").selectAll().where("category_id", "=", categoryId).executeTakeFirst();
  if (!row) throw fail.notFound(`category ${categoryId}`);
  return toCategoryView(row);
}
