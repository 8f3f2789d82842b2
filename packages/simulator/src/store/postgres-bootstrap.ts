import { createHmac } from "node:crypto";
import pg from "pg";
import { databaseOf, storeNamespace } from "./store-namespace.js";

/** The schema (and the role's suffix) of the platform's own tables: shared secrets, and what the composition keeps. */
export const PLATFORM_SCHEMA = "platform";

/** PostgreSQL's longest identifier, in bytes: a longer role name would be cut short, silently. */
const MAX_IDENTIFIER = 63;

/** What a bootstrap made (or found) in one database: the namespace, and the role and schema of each store. */
export interface PostgresLayout {
  /** `--namespace`, else the database's name, lowercased to `[a-z0-9_]`: every role, stream and bucket carries it. */
  readonly namespace: string;
  /** The database the URL names. */
  readonly database: string;
  /** Each store by schema name (the contexts' names, and {@link PLATFORM_SCHEMA}). */
  readonly stores: ReadonlyMap<string, PostgresRole>;
}

/** How one store logs in. */
export interface PostgresRole {
  /** `<namespace>_<schema>`: the schema's owner, whose `search_path` in this database is the schema. */
  readonly role: string;
  readonly schema: string;
  /** Set when the URL carries one (password auth): derived from it, so every process holding the URL agrees. */
  readonly password?: string;
}

/**
 * Make `database` ready for the platform's stores, as the URL's user (a superuser, or one with CREATEROLE and CREATE
 * on the database): for each of `schemas` (the contexts' names) and {@link PLATFORM_SCHEMA}, a LOGIN role
 * `<namespace>_<schema>`, a schema of that name owned by it, and the role's `search_path` in this database set to it;
 * PUBLIC loses every right on the `public` schema, so a role can create or read only in its own schema (a query of
 * another's is refused with 42501). Also the `extensions` schema with `unaccent`, which search's PostgreSQL text
 * search uses, usable by every role of the namespace.
 *
 * Idempotent, and serialized by an advisory lock on the database, so processes starting together do not race. A
 * schema owned by another role stops it (the database was set up under another namespace).
 */
export async function bootstrapPostgres(options: {
  readonly url: string;
  readonly namespace?: string;
  readonly schemas: readonly string[];
}): Promise<PostgresLayout> {
  const database = databaseOf(options.url);
  const namespace = storeNamespace(options.url, options.namespace);
  const adminPassword = new URL(options.url).password;
  const stores = new Map<string, PostgresRole>();
  for (const schema of [...new Set([...options.schemas, PLATFORM_SCHEMA])]) {
    if (!/^[a-z][a-z0-9_]*$/.test(schema))
      throw new Error(`"${schema}" is not a store's schema name ([a-z][a-z0-9_]*)`);
    const role = `${namespace}_${schema}`;
    if (Buffer.byteLength(role) > MAX_IDENTIFIER)
      throw new Error(
        `the role ${role} is longer than PostgreSQL's ${MAX_IDENTIFIER} bytes: give a shorter --namespace`,
      );
    stores.set(schema, { role, schema, ...(adminPassword ? { password: rolePassword(adminPassword, role) } : {}) });
  }

  const client = new pg.Client({ connectionString: options.url });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock(hashtextextended('ecom store bootstrap', 0))");
    for (const store of stores.values()) await prepareStore(client, database, store);
    await client.query("revoke all on schema public from public");
    await prepareExtensions(client, [...stores.values()]);
    await client.query("select pg_advisory_unlock(hashtextextended('ecom store bootstrap', 0))");
  } catch (error) {
    if (!isSqlState(error, "42501")) throw error;
    const user = decodeURIComponent(new URL(options.url).username) || "the default user";
    throw new Error(
      `${user} may not prepare the database ${database} for the stores (${(error as Error).message}): connect as a superuser, or as a role with CREATEROLE and CREATE on the database`,
      { cause: error },
    );
  } finally {
    // Ending the session also releases the lock when a step failed.
    await client.end();
  }
  return { namespace, database, stores };
}

/** The role, its schema and its search path; each step only when missing. */
async function prepareStore(client: pg.Client, database: string, store: PostgresRole): Promise<void> {
  const role = quoteIdentifier(store.role);
  const schema = quoteIdentifier(store.schema);
  const found = await client.query("select 1 from pg_roles where rolname = $1", [store.role]);
  if (found.rowCount === 0) {
    try {
      await client.query(`create role ${role} login`);
    } catch (error) {
      // Another database's bootstrap under the same --namespace made it meanwhile (the lock is per database).
      if (!isSqlState(error, "42710", "23505")) throw error;
    }
  }
  // Password auth: the role's password follows the URL's, so a process that holds the URL can log in as it.
  if (store.password !== undefined)
    await client.query(`alter role ${role} login password ${quoteLiteral(store.password)}`);
  await client.query(`grant connect on database ${quoteIdentifier(database)} to ${role}`);
  const owner = await client.query<{ owner: string }>(
    "select pg_get_userbyid(nspowner) as owner from pg_namespace where nspname = $1",
    [store.schema],
  );
  const existing = owner.rows[0]?.owner;
  if (existing === undefined) await client.query(`create schema ${schema} authorization ${role}`);
  else if (existing !== store.role)
    throw new Error(
      `the schema ${store.schema} belongs to the role ${existing}, not ${store.role}: this database was set up under another namespace (start with that --namespace, or use another database)`,
    );
  await client.query(`alter role ${role} in database ${quoteIdentifier(database)} set search_path = ${schema}`);
}

/** `unaccent` in a shared `extensions` schema (search's PostgreSQL text search folds accents with it). */
async function prepareExtensions(client: pg.Client, stores: readonly PostgresRole[]): Promise<void> {
  const available = await client.query("select 1 from pg_available_extensions where name = 'unaccent'");
  await client.query("create schema if not exists extensions");
  if ((available.rowCount ?? 0) > 0) await client.query("create extension if not exists unaccent schema extensions");
  for (const store of stores) await client.query(`grant usage on schema extensions to ${quoteIdentifier(store.role)}`);
}

/** A role's password under password auth: an HMAC of the URL's password, so it is never stored anywhere. */
function rolePassword(adminPassword: string, role: string): string {
  return createHmac("sha256", decodeURIComponent(adminPassword)).update(`ecom store role ${role}`).digest("base64url");
}

/** Whether `error` is a PostgreSQL error with one of these SQLSTATEs. */
export function isSqlState(error: unknown, ...codes: readonly string[]): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && codes.includes(code);
}

/** An identifier in double quotes (`order` is a keyword). */
function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
