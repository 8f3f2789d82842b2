import type pg from "pg";
import { STORE_URL } from "./probe.js";

/**
 * A PostgreSQL database of one test file's own, so test files running in parallel never share state. Made with C
 * collation and character classes (text orders byte-wise, as SQLite's BINARY; lower() folds ASCII only, as SQLite's)
 * from template0, or cloned from a migrated template; dropped with `WITH (FORCE)`, so a pool the test forgot to close
 * does not keep it alive.
 */
export interface TestDatabase {
  /** The database's name: `ecomt_<pid>_<n>`, also the namespace a platform on it takes (see nats-namespace.ts). */
  readonly name: string;
  /** `ECOM_STORE_URL` with this database in place of its own. */
  readonly url: string;
  /** Drop the database and any role named for it (`<name>_…`, as a bootstrap names its context roles). */
  drop(): Promise<void>;
}

/** Databases and roles the backend tests make all start with this. */
export const TEST_DATABASE_PREFIX = "ecomt_";

let made = 0;

/** A name no other test file or run on this machine uses at the same time: `ecomt_<pid>_<n>`. */
export function uniqueTestName(): string {
  made += 1;
  return `${TEST_DATABASE_PREFIX}${process.pid}_${made}`;
}

/** The pid in a name {@link uniqueTestName} made, if it is one. */
export function pidOfTestName(name: string): number | undefined {
  const pid = /^ecomt_(\d+)_\d+$/.exec(name)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

/** Whether a process with this id runs on this machine. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process runs as someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** `url` pointing at `database` instead of its own. */
export function databaseUrl(url: string, database: string): string {
  const target = new URL(url);
  target.pathname = `/${encodeURIComponent(database)}`;
  return target.toString();
}

/** Run `work` on one connection to the server's maintenance database (the one `ECOM_STORE_URL` names). */
export async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>, url: string = STORE_URL): Promise<T> {
  // Imported when used, so a file that only asks for a name or the probe loads without the PostgreSQL client.
  const { default: postgres } = await import("pg");
  const client = new postgres.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Create a database for this test file (`ECOM_STORE_URL`'s user must be allowed to; the local one is a superuser).
 * `template` clones a database migrated once per run instead of starting empty.
 */
export async function createTestDatabase(options: { readonly template?: string } = {}): Promise<TestDatabase> {
  const name = uniqueTestName();
  const source = options.template === undefined ? "template0" : options.template;
  await withAdminClient((client) =>
    client.query(
      `create database ${quoteIdentifier(name)} lc_collate 'C' lc_ctype 'C' encoding 'UTF8' template ${quoteIdentifier(source)}`,
    ),
  );
  return {
    name,
    url: databaseUrl(STORE_URL, name),
    drop: () => dropTestDatabase(name),
  };
}

/** Drop a test database and the roles named for it; nothing happens when they are already gone. */
export async function dropTestDatabase(name: string): Promise<void> {
  await withAdminClient(async (client) => {
    await client.query(`drop database if exists ${quoteIdentifier(name)} with (force)`);
    const { rows } = await client.query<{ rolname: string }>(
      `select rolname from pg_roles where starts_with(rolname, $1)`,
      [`${name}_`],
    );
    for (const { rolname } of rows) await client.query(`drop role if exists ${quoteIdentifier(rolname)}`);
  });
}

/**
 * Drop the test databases (and their roles) that a test process on this machine left behind when it died before its
 * teardown: `ecomt_<pid>_<n>` whose pid no longer runs. Databases of processes still running (another run in
 * parallel) are left alone.
 */
export async function dropAbandonedTestDatabases(): Promise<string[]> {
  const names = await withAdminClient(async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      `select datname from pg_database where starts_with(datname, $1)`,
      [TEST_DATABASE_PREFIX],
    );
    return rows.map((row) => row.datname);
  });
  const abandoned = names.filter((name) => {
    const pid = pidOfTestName(name);
    return pid !== undefined && !isRunning(pid);
  });
  for (const name of abandoned) await dropTestDatabase(name);
  return abandoned;
}
