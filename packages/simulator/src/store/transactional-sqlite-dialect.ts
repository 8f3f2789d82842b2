import { type DialectAdapter, SqliteAdapter, SqliteDialect } from "kysely";

/**
 * SQLite's adapter, telling Kysely's migrator the truth: SQLite's DDL is transactional. Kysely's own adapter says it
 * is not, so its migrator ran a data folder's migrations statement by statement, each its own commit, with the row
 * recording a migration written after them: a start killed in the middle of one (an `alter table` done, its data
 * not yet moved) left a folder whose next start failed on the half-applied migration for good. Said truly, the
 * migrator runs the pending migrations and their records in one transaction: all of them land, or none.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** Kysely's SQLite dialect with {@link TransactionalDdlSqliteAdapter}. */
export class TransactionalSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}
