import { type Kysely, sql } from "kysely";

/**
 * Make SQLite's `table` again, for what SQLite cannot change in place (a column's NOT NULL or UNIQUE, a table's key):
 * `create` makes the new table under the name it is given, the rows go across by column name — not by position, so a
 * column an ALTER TABLE once added at the end of the old table still lands in its own column — and the new table then
 * takes the old one's name. The caller makes the table's indexes again.
 */
export async function rebuildTable(
  // biome-ignore lint/suspicious/noExplicitAny: a migration's database has no table types.
  db: Kysely<any>,
  table: string,
  create: (name: string) => Promise<unknown>,
): Promise<void> {
  const rebuilt = `${table}_rebuilt`;
  await create(rebuilt);
  const { rows } = await sql<{ name: string }>`select name from pragma_table_info(${rebuilt})`.execute(db);
  const columns = sql.join(rows.map((row) => sql.id(row.name)));
  await sql`insert into ${sql.id(rebuilt)} (${columns}) select ${columns} from ${sql.id(table)}`.execute(db);
  await db.schema.dropTable(table).execute();
  await db.schema.alterTable(rebuilt).renameTo(table).execute();
}
