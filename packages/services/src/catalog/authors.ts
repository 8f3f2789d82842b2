import type { catalogApi } from "@ecom/sdk";
import { sql } from "kysely";
import { type ContextRuntime, decodeQueryCursor, fail, pageOf } from "../platform/index.js";
import { isNamePosition, startsWith } from "./name-listing.js";
import type { PageRequest } from "./product-reads.js";
import { toAuthorView } from "./product-views.js";
import type { CatalogDatabase } from "./store.js";

type Schemas = catalogApi.components["schemas"];

/** The catalog's authors: listed by name, read and added. */
export function createAuthors({ db, clock, ids }: ContextRuntime<CatalogDatabase>) {
  return {
    /** Authors by name, optionally only those whose name starts with `name` (case-insensitive). */
    async listAuthors(name: string | undefined, page: PageRequest) {
      let query = db.selectFrom("authors").selectAll();
      if (name !== undefined) query = query.where(sql<boolean>`lower(name) like ${startsWith(name)} escape '\\'`);
      const after = decodeQueryCursor(page.cursor, { name }, isNamePosition);
      if (after) {
        query = query.where((eb) =>
          eb.or([eb("name", ">", after.n), eb.and([eb("name", "=", after.n), eb("author_id", ">", after.id)])]),
        );
      }
      const rows = await query
        .orderBy("name")
        .orderBy("author_id")
        .limit(page.limit + 1)
        .execute();
      const result = pageOf(rows, {
        limit: page.limit,
        filters: { name },
        positionOf: (row) => ({ n: row.name, id: row.author_id }),
      });
      return { ...result, items: result.items.map(toAuthorView) };
    },

    async getAuthor(authorId: string) {
      const row = await db.selectFrom("authors").selectAll().where("author_id", "=", authorId).executeTakeFirst();
      if (!row) throw fail.notFound(`author ${authorId}`);
      return toAuthorView(row);
    },

    async createAuthor(request: Schemas["CreateAuthorRequest"]) {
      const now = clock.now().toISOString();
      const row = {
        author_id: ids.next("aut"),
        name: request.name,
        bio: request.bio ?? null,
        birth_date: request.birthDate ?? null,
        nationality: request.nationality ?? null,
        website: request.website ?? null,
        created_at: now,
        updated_at: now,
      };
      await db.insertInto("authors").values(row).execute();
      return toAuthorView(row);
    },
  };
}
