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
  const { database, namespace, stores } = layoutOf(options);
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

/**
 * The layout a bootstrap made, found without changing anything (for tools that only read a platform's stores, or
 * change nothing: `ecom sim export --store`, `ecom replay`): each store's role must exist and own its schema, else
 * refused in one line (a wrong `--namespace`, or a database no platform ever started on). Passwords are derived as
 * the bootstrap derives them.
 */
export async function findPostgresLayout(options: {
  readonly url: string;
  readonly namespace?: string;
  readonly schemas: readonly string[];
}): Promise<PostgresLayout> {
  const layout = layoutOf(options);
  const client = new pg.Client({ connectionString: options.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ schema: string }>(
      `select s.schema from unnest($1::text[], $2::text[]) with ordinality as s(schema, role, n)
        where not exists (select 1 from pg_namespace ns join pg_roles r on r.oid = ns.nspowner
                           where ns.nspname = s.schema and r.rolname = s.role)
        order by s.n`,
      [[...layout.stores.keys()], [...layout.stores.values()].map((store) => store.role)],
    );
    const missing = rows[0] && layout.stores.get(rows[0].schema);
    if (missing)
      throw new Error(
        `the database ${layout.database} holds no stores of the namespace ${layout.namespace} (no schema ` +
          `${missing.schema} owned by a role ${missing.role}): pass the platform's --namespace, or start the platform ` +
          "on this database first",
      );
  } finally {
    await client.end();
  }
  return layout;
}

/** Each store's role, schema and password for `schemas` and {@link PLATFORM_SCHEMA}, named from the namespace. */
function layoutOf(options: {
  readonly url: string;
  readonly namespace?: string;
  readonly schemas: readonly string[];
}): PostgresLayout {
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
  return { namespace, database, stores };
}

/** The role, its schema and its search path; each step only when missing. */
async function prepareStore(client: pg.Client, database: string, store: PostgresRole): Promise<void> {
  const role = quoteIdentifier(store.role);
  const schema = quoteIdentifier(store.schema);
  await adoptRole(client, store);
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

/** What a role of a store's name is found to be, from `pg_roles`. */
interface FoundRole {
  readonly comment: string | null;
  readonly rolsuper: boolean;
  readonly rolcreaterole: boolean;
  readonly rolcreatedb: boolean;
  readonly rolbypassrls: boolean;
  readonly rolreplication: boolean;
  /** The roles it is a member of (and so has the rights of). */
  readonly member_of: readonly string[];
  /** Whether it owns the store's schema in this database. */
  readonly owns_schema: boolean;
}

/** The powers a store's role must not have: any of them would let it past the per-schema refusal (42501). */
const POWERS = {
  rolsuper: "SUPERUSER",
  rolcreaterole: "CREATEROLE",
  rolcreatedb: "CREATEDB",
  rolbypassrls: "BYPASSRLS",
  rolreplication: "REPLICATION",
} as const;

/** The comment a bootstrap marks its roles with: whose (`ecom`), under which namespace, for which store. */
export function roleMarker(store: Pick<PostgresRole, "role" | "schema">): string {
  return `ecom:${store.role.slice(0, store.role.length - store.schema.length - 1)}:${store.schema}`;
}

/**
 * Make the store's role, marked as this bootstrap's (`COMMENT ON ROLE`), or adopt one it made before. A role of that
 * name that is someone else's — unmarked, or marked for another store — or that holds a power (SUPERUSER, CREATEROLE,
 * CREATEDB, BYPASSRLS, REPLICATION) or another role's rights, is refused: logging in as it, the store would not be
 * kept to its schema. A role an earlier bootstrap made before roles were marked (no comment, no powers, no
 * memberships, owner of the store's schema here) is marked and adopted.
 */
async function adoptRole(client: pg.Client, store: PostgresRole): Promise<void> {
  const marker = roleMarker(store);
  let found = await findRole(client, store);
  if (!found) {
    try {
      await client.query(`create role ${quoteIdentifier(store.role)} login`);
      await client.query(`comment on role ${quoteIdentifier(store.role)} is ${quoteLiteral(marker)}`);
      return;
    } catch (error) {
      // Another database's bootstrap under the same --namespace made it meanwhile (the lock is per database).
      if (!isSqlState(error, "42710", "23505")) throw error;
      found = await findRole(client, store);
      if (!found) throw error;
    }
  }
  const why = refusalOf(found, marker);
  if (why)
    throw new Error(
      `the role ${store.role} exists and ${why}: the store would not be kept to its schema logged in as it; drop or rename that role, or start with another --namespace`,
    );
  if (found.comment === null)
    await client.query(`comment on role ${quoteIdentifier(store.role)} is ${quoteLiteral(marker)}`);
}

/** Why an existing role may not be a store's, or undefined when it may. */
function refusalOf(found: FoundRole, marker: string): string | undefined {
  const powers = Object.entries(POWERS).flatMap(([column, name]) =>
    found[column as keyof typeof POWERS] ? [name] : [],
  );
  if (powers.length > 0) return `has ${powers.join(", ")}`;
  if (found.member_of.length > 0) return `is a member of ${found.member_of.join(", ")}`;
  if (found.comment === marker) return undefined;
  if (found.comment === null && found.owns_schema) return undefined;
  return found.comment === null
    ? "was not made by an ecom store bootstrap (it has no ecom mark)"
    : `was not made by an ecom store bootstrap for this store (its comment is "${found.comment}", not "${marker}")`;
}

async function findRole(client: pg.Client, store: PostgresRole): Promise<FoundRole | undefined> {
  const { rows } = await client.query<FoundRole>(
    `select shobj_description(r.oid, 'pg_authid') as comment, r.rolsuper, r.rolcreaterole, r.rolcreatedb,
       r.rolbypassrls, r.rolreplication,
       array(select g.rolname::text from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = r.oid order by 1)
         as member_of,
       exists(select 1 from pg_namespace n where n.nspname = $2 and n.nspowner = r.oid) as owns_schema
     from pg_roles r where r.rolname = $1`,
    [store.role, store.schema],
  );
  return rows[0];
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
