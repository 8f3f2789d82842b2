import { type Kysely, sql } from "kysely";
import { dialectOf } from "./dialect.js";

/**
 * Rebuild SQLite's `table` as a WITHOUT ROWID table keyed by its primary key, with the same columns, constraints,
 * rows and indexes; nothing on PostgreSQL, whose tables have no rowid. For a table keyed by text whose other indexes
 * (if any) already end with that key: SQLite otherwise keeps the key twice, in the row and in an index of its own
 * (`sqlite_autoindex_…`) that maps it to the rowid, and a WITHOUT ROWID table keeps the rows in that key's order
 * instead. What a query reads is unchanged; only a statement naming `rowid` would notice, and none of the tables
 * rebuilt with this is read that way.
 */
// biome-ignore lint/suspicious/noExplicitAny: a migration's database has no table types.
export async function rebuildWithoutRowid(db: Kysely<any>, table: string): Promise<void> {
  if (dialectOf(db) !== "sqlite") return;
  const { rows } = await sql<{ type: string; sql: string }>`select type, sql from sqlite_master
    where tbl_name = ${table} and sql is not null order by type = 'table' desc, type`.execute(db);
  // The table first, then what is made on it (its indexes; triggers too, were there any), made again after it.
  const [created, ...indexes] = rows;
  if (created?.type !== "table") throw new Error(`rebuildWithoutRowid: no table ${table}`);
  if (/\)\s*without\s+rowid\s*$/i.test(created.sql)) return;
  const rebuilt = `${table}_without_rowid`;
  const definition = created.sql.slice(created.sql.indexOf("("));
  await sql`create table ${sql.id(rebuilt)} ${sql.raw(definition)} without rowid`.execute(db);
  await sql`insert into ${sql.id(rebuilt)} select * from ${sql.id(table)}`.execute(db);
  await sql`drop table ${sql.id(table)}`.execute(db);
  await sql`alter table ${sql.id(rebuilt)} rename to ${sql.id(table)}`.execute(db);
  for (const index of indexes) await sql.raw(index.sql).execute(db);
}
