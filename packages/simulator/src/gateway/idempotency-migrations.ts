import { type Kysely, type Migration, sql } from "kysely";
import { keptTime, timeText } from "../compact-ids.js";
import type { StoreDialectName } from "../store/store-port.js";
import { compactScopeKey, hashedScopeKey, scopeKeyText } from "./idempotency-keys.js";
import type { IdempotencyTables } from "./idempotency-store.js";

/** The Idempotency-Key table's migrations on a store of `dialect` (the platform store's `_migrations`, beside `meta`). */
export function idempotencyMigrations(dialect: StoreDialectName): Readonly<Record<string, Migration>> {
  // SQLite keeps any value in a text column (the compact rows' BLOBs too); PostgreSQL needs bytea for those.
  const bytes = dialect === "sqlite" ? "text" : "bytea";
  return {
    "0001_idempotency": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("idempotency")
          .addColumn("scope_key", "text", (column) => column.primaryKey())
          .addColumn("request_hash", bytes, (column) => column.notNull())
          .addColumn("status", "integer", (column) => column.notNull())
          .addColumn("headers", "text", (column) => column.notNull())
          .addColumn("body", bytes, (column) => column.notNull())
          .addColumn("created_at", "text", (column) => column.notNull())
          .execute();
      },
    },
    // The purge runs every second: by this index it reads only the expired keys, not the whole table.
    "0002_idempotency_by_age": {
      async up(db: Kysely<unknown>) {
        await db.schema.createIndex("idempotency_by_created_at").on("idempotency").column("created_at").execute();
      },
    },
    // SQLite's keys kept compact, then hashed: the keys stored before are rewritten each time, so a retry after the
    // upgrade still finds its key. PostgreSQL keeps them as text.
    ...(dialect === "sqlite"
      ? { "0003_idempotency_compact_keys": compactKeysMigration, "0004_idempotency_hashed_keys": hashedKeysMigration }
      : {}),
  };
}

/** Rewrites SQLite's keys stored as text into what {@link compactScopeKey} kept (a day's keys at most). */
const compactKeysMigration: Migration = {
  // In the migrator's transaction (sqlite-store.ts `migrate`), with the migration's record.
  async up(db: Kysely<unknown>) {
    const trx = db.withTables<IdempotencyTables>();
    const rows = await trx.selectFrom("idempotency").select("scope_key").execute();
    for (const { scope_key } of rows) {
      if (typeof scope_key !== "string") continue;
      const kept = compactScopeKey(scope_key);
      if (kept !== scope_key)
        await trx.updateTable("idempotency").set({ scope_key: kept }).where("scope_key", "=", scope_key).execute();
    }
  },
};

/**
 * SQLite's table keyed by {@link hashedScopeKey} (16 bytes, where a customer's compact key took 33 and any other key
 * its text, once in the row and once in the index on it). Rebuilt rather than updated in place: the rows are written
 * again oldest first, so the table stays in the order they were stored, and times stored as text are kept in 6 bytes
 * (compact-ids.ts `keptTime`). Every row stored before is moved under the hash of its key's text
 * ({@link scopeKeyText}), its hash and response as they were (the reader reads those forms), so what a client stored
 * before the upgrade is replayed after. Not WITHOUT ROWID: rows keyed by a hash land all over such a table, whose pages
 * then stay about two-thirds full (measured: more kept per checkout than the rowid table with its index of the key).
 */
const hashedKeysMigration: Migration = {
  // In the migrator's transaction (sqlite-store.ts `migrate`), with the migration's record.
  async up(db: Kysely<unknown>) {
    await sql`create table idempotency_hashed (
      scope_key blob not null, request_hash blob not null, status integer not null,
      headers text not null, body blob not null, created_at blob not null)`.execute(db);
    const trx = db.withTables<IdempotencyTables & { idempotency_hashed: IdempotencyTables["idempotency"] }>();
    const rows = await trx.selectFrom("idempotency").selectAll().execute();
    const time = (row: (typeof rows)[number]) => Date.parse(timeText(row.created_at));
    rows.sort((a, b) => time(a) - time(b));
    for (const row of rows)
      await trx
        .insertInto("idempotency_hashed")
        .values({
          ...row,
          scope_key: hashedScopeKey(scopeKeyText(row.scope_key)),
          created_at: typeof row.created_at === "string" ? keptTime(row.created_at) : row.created_at,
        })
        .execute();
    await sql`drop table idempotency`.execute(db);
    await sql`alter table idempotency_hashed rename to idempotency`.execute(db);
    await sql`create unique index idempotency_by_key on idempotency (scope_key)`.execute(db);
    await db.schema.createIndex("idempotency_by_created_at").on("idempotency").column("created_at").execute();
  },
};
