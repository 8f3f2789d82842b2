import type { catalogApi } from "@ecom/sdk";
import { sql } from "kysely";
import { type ContextRuntime, decodeQueryCursor, fail, pageOf } from "../platform/index.js";
import { isNamePosition, startsWith } from "./name-listing.js";
import type { PageRequest } from "./product-reads.js";
import { toPublisherView } from "./product-views.js";
import type { CatalogDatabase } from "./store.js";

type Schemas = catalogApi.components["schemas"];

/** The catalog's publishers: listed by name, read and added. */
export function createPublishers({ db, clock, ids }: ContextRuntime<CatalogDatabase>) {
  return {
    /** Publishers by name, optionally only those whose name starts with `name` (case-insensitive). */
    async listPublishers(name: string | undefined, page: PageRequest) {
      let query = db.selectFrom("publishers").selectAll();
      if (name !== undefined) query = query.where(sql<boolean>`lower(name) like ${startsWith(name)} escape '\\'`);
      const after = decodeQueryCursor(page.cursor, { name }, isNamePosition);
      if (after) {
        query = query.where((eb) =>
          eb.or([eb("name", ">", after.n), eb.and([eb("name", "=", after.n), eb("publisher_id", ">", after.id)])]),
        );
      }
      const rows = await query
        .orderBy("name")
        .orderBy("publisher_id")
        .limit(page.limit + 1)
        .execute();
      const result = pageOf(rows, {
        limit: page.limit,
        filters: { name },
        positionOf: (row) => ({ n: row.name, id: row.publisher_id }),
      });
      return { ...result, items: result.items.map(toPublisherView) };
    },

    async getPublisher(publisherId: string) {
      const row = await db
        .selectFrom("publishers")
        .selectAll()
        .where("publisher_id", "=", publisherId)
        .executeTakeFirst();
      if (!row) throw fail.notFound(`publisher ${publisherId}`);
      return toPublisherView(row);
    },

    /** Add a publisher; names are unique (409). */
    createPublisher(request: Schemas["CreatePublisherRequest"]) {
      return db.transaction().execute(async (trx) => {
        const clash = await trx
          .selectFrom("publishers")
          .select("publisher_id")
          .where("name", "=", request.name)
          .executeTakeFirst();
        if (clash) throw fail.conflict(`Publisher ${request.name} already exists as ${clash.publisher_id}.`);
        const now = clock.now().toISOString();
        const row = {
          publisher_id: ids.next("pub"),
          name: request.name,
          country: request.country ?? null,
          website: request.website ?? null,
          created_at: now,
          updated_at: now,
        };
        await trx.insertInto("publishers").values(row).execute();
        return toPublisherView(row);
      });
    },
  };
}
