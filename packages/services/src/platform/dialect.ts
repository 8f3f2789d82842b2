import { type Expression, type Kysely, PostgresAdapter, type RawBuilder, sql } from "kysely";

/**
 * The few places where the SQL a context writes differs between SQLite (the embedded default) and PostgreSQL, each
 * with both forms, chosen by the store the query runs on. Everything else the contexts write is portable as it
 * stands (docs/design/scale-out.md, section 4); what the store itself changes (identity columns, `real` as
 * `double precision`, int8 and numeric read as numbers) is the store adapter's, invisible here.
 */

/** Which SQL a store speaks. */
export type SqlDialect = "sqlite" | "postgres";

/**
 * The dialect of the store behind `db` (a Kysely instance or a transaction), read from its adapter: PostgreSQL's, or
 * SQLite for everything else (the embedded store, and the dummy drivers tests compile with).
 */
// biome-ignore lint/suspicious/noExplicitAny: the database's tables do not matter, only its adapter.
export function dialectOf(db: Kysely<any>): SqlDialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? "postgres" : "sqlite";
}

/**
 * The distinct values of `value` in a group, joined with commas (their order unspecified): SQLite's
 * `group_concat(distinct x)`, PostgreSQL's `string_agg(distinct x, ',')` (SQLite's own string_agg refuses distinct
 * with a separator, so neither spelling serves both).
 */
// biome-ignore lint/suspicious/noExplicitAny: see dialectOf.
export function stringAgg(db: Kysely<any>, value: Expression<unknown> | RawBuilder<unknown>): RawBuilder<string> {
  return dialectOf(db) === "postgres"
    ? sql<string>`string_agg(distinct ${value}, ',')`
    : sql<string>`group_concat(distinct ${value})`;
}

/**
 * The name of the function giving the greatest of its arguments (not an aggregate): SQLite's scalar `max(a, b, …)`,
 * PostgreSQL's `greatest(a, b, …)` (where `max` is only the aggregate). For `eb.fn(greatestOf(db), [a, b])`.
 */
// biome-ignore lint/suspicious/noExplicitAny: see dialectOf.
export function greatestOf(db: Kysely<any>): "max" | "greatest" {
  return dialectOf(db) === "postgres" ? "greatest" : "max";
}

/**
 * Hold a lock named `key` until the transaction `trx` ends, so transactions that take the same key run their
 * read-then-write one after the other. On PostgreSQL a transaction-scoped advisory lock (`pg_advisory_xact_lock` of
 * the key's hash: two keys sharing a hash only wait for each other, which is safe); on SQLite nothing, since the
 * store's one connection already runs its transactions one at a time. Name keys `<context>:<what>:<id>`: the locks
 * of every context on one database share one space.
 */
// biome-ignore lint/suspicious/noExplicitAny: see dialectOf.
export async function lockForTransaction(trx: Kysely<any>, key: string): Promise<void> {
  if (dialectOf(trx) === "postgres") await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
}

/**
 * Whether `error` is the store refusing a row whose unique or primary key is already taken: PostgreSQL's SQLSTATE
 * 23505 (unique_violation, the `code` of node-postgres's errors), SQLite's extended result codes as better-sqlite3
 * names them. Kysely passes the driver's error through unchanged.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
