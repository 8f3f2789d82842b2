import { type Kysely, sql } from "kysely";
import { diffQueries, quoteIdentifier, type TableDifference, type TableShape, tableDifference } from "./table-diff.js";

/** A table's shape on PostgreSQL, with the identity columns whose sequence a copy must move on. */
interface PostgresTableShape extends TableShape {
  readonly identity: readonly string[];
}

/** The two schemas compared: the context's own and the scratch one its rebuild went into. */
export interface ReplaySchemas {
  readonly live: string;
  readonly rebuilt: string;
}

/**
 * The columns and key of `schema.table`: every stored column in table order (a generated column, such as search's
 * `tsv`, is left out: it is a function of the others, and cannot be inserted), the primary key's columns in key order
 * (every column when it has none).
 */
export async function postgresShapeOf(db: Kysely<unknown>, schema: string, table: string): Promise<PostgresTableShape> {
  // indkey is an int2vector, whose subscripts start at 0: a key column's position may be 0, never null.
  const { rows } = await sql<{ name: string; position: number | null; identity: boolean }>`
    select a.attname as name, array_position(i.indkey::int2[], a.attnum) as position,
      a.attidentity <> '' as identity
    from pg_attribute a
    left join pg_index i on i.indrelid = a.attrelid and i.indisprimary
    where a.attrelid = to_regclass(${`${quoteIdentifier(schema)}.${quoteIdentifier(table)}`})
      and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
    order by a.attnum`.execute(db);
  if (rows.length === 0) throw new Error(`the schema ${schema} has no table ${table}`);
  const names = rows.map((row) => row.name);
  const key = rows
    .filter((row) => row.position !== null)
    .sort((a, b) => (a.position ?? 0) - (b.position ?? 0))
    .map((row) => row.name);
  return {
    columns: names,
    key: key.length > 0 ? key : names,
    identity: rows.filter((row) => row.identity).map((row) => row.name),
  };
}

/** Compare `table` in the two schemas row by row (table-diff.ts's queries); undefined when they are identical. */
export async function diffPostgresTable(
  db: Kysely<unknown>,
  table: string,
  schemas: ReplaySchemas,
): Promise<TableDifference | undefined> {
  const shape = await postgresShapeOf(db, schemas.live, table);
  const queries = diffQueries(shape, table, schemas);
  const count = async (query: string) =>
    Number((await sql<{ n: number }>`${sql.raw(query)}`.execute(db)).rows[0]?.n ?? 0);
  const counts = { unexpected: await count(queries.unexpected), missing: await count(queries.missing) };
  if (counts.unexpected === 0 && counts.missing === 0) return undefined;
  const { rows } = await sql<Record<string, unknown>>`${sql.raw(queries.keys)}`.execute(db);
  return tableDifference(table, shape, counts, rows);
}

/**
 * Replace the rows of `table` in the live schema with the rebuild's (inside the caller's transaction), and move an
 * identity column's sequence past the rows copied, so the next row the platform inserts does not collide.
 */
export async function copyPostgresTable(trx: Kysely<unknown>, table: string, schemas: ReplaySchemas): Promise<void> {
  const shape = await postgresShapeOf(trx, schemas.live, table);
  const columns = shape.columns.map(quoteIdentifier).join(", ");
  const live = `${quoteIdentifier(schemas.live)}.${quoteIdentifier(table)}`;
  const rebuilt = `${quoteIdentifier(schemas.rebuilt)}.${quoteIdentifier(table)}`;
  await sql`delete from ${sql.raw(live)}`.execute(trx);
  await sql`insert into ${sql.raw(live)} (${sql.raw(columns)}) select ${sql.raw(columns)} from ${sql.raw(rebuilt)}`.execute(
    trx,
  );
  for (const column of shape.identity)
    await sql`select setval(pg_get_serial_sequence(${live}, ${column}),
      coalesce((select max(${sql.ref(column)}) from ${sql.raw(live)}), 0) + 1, false)`.execute(trx);
}
