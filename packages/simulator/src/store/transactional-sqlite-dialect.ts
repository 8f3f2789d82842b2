import {
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from "kysely";

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

/**
 * Kysely's SQLite dialect with {@link TransactionalDdlSqliteAdapter}, on a driver made by the store
 * (store/sqlite-connection.ts), so that every path to the connection takes the store's one lock.
 */
export class TransactionalSqliteDialect implements Dialect {
  readonly #driver: Driver;

  constructor(driver: Driver) {
    this.#driver = driver;
  }

  createDriver(): Driver {
    return this.#driver;
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's Dialect interface takes any database here.
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
