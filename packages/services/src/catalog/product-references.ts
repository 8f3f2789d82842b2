import type { Kysely } from "kysely";
import { fail } from "../platform/index.js";
import type { AuthorRef } from "./product-views.js";
import type { CatalogDatabase } from "./store.js";

/** Resolve author ids to credits in the given order; any unknown id is a 422. */
export async function resolveAuthors(trx: Kysely<CatalogDatabase>, authorIds: readonly string[]): Promise<AuthorRef[]> {
  const rows = await trx
    .selectFrom("authors")
    .select(["author_id", "name"])
    .where("author_id", "in", [...authorIds])
    .execute();
  const names = new Map(rows.map((row) => [row.author_id, row.name]));
  const missing = authorIds.filter((id) => !names.has(id));
  if (missing.length > 0)
    throw fail.unprocessable(`No author ${missing.join(", ")}; create authors with POST /authors first.`);
  return authorIds.map((authorId) => ({ authorId, name: names.get(authorId)! }));
}

/** Resolve a publisher id to its id and name; an unknown id is a 422. */
export async function resolvePublisher(trx: Kysely<CatalogDatabase>, publisherId: string) {
  const row = await trx
    .selectFrom("publishers")
    .select(["publisher_id", "name"])
    .where("publisher_id", "=", publisherId)
    .executeTakeFirst();
  if (!row) throw fail.unprocessable(`No publisher ${publisherId}; create it with POST /publishers first.`);
  return { publisherId: row.publisher_id, name: row.name };
}

/** Check that every category exists; any unknown id is a 422. */
export async function checkCategories(trx: Kysely<CatalogDatabase>, categoryIds: readonly string[]): Promise<void> {
  const rows = await trx
    .selectFrom("categories")
    .select("category_id")
    .where("category_id", "in", [...categoryIds])
    .execute();
  const found = new Set(rows.map((row) => row.category_id));
  const missing = categoryIds.filter((id) => !found.has(id));
  if (missing.length > 0)
    throw fail.unprocessable(`No category ${missing.join(", ")}; create it with POST /categories first.`);
}
