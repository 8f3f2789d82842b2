// Free of `pg`: the bus names its stream and buckets from the same namespace without loading the PostgreSQL client.

/**
 * The namespace of a platform on a PostgreSQL URL: `namespace` when given, else the database's name; lowercased,
 * with anything but `[a-z0-9_]` made `_` (NATS subjects and stream names forbid `.`, `*`, `>` and spaces, and role
 * names carry it unquoted in messages).
 */
export function storeNamespace(url: string, namespace?: string): string {
  const raw = namespace ?? databaseOf(url);
  const name = raw.toLowerCase().replace(/[^a-z0-9_]+/g, "_");
  if (!/[a-z0-9]/.test(name))
    throw new Error(`"${raw}" makes no namespace: give one of letters, digits and _ with --namespace`);
  return name;
}

/** The database a `postgres://` URL names (its path). */
export function databaseOf(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:")
    throw new Error(`${parsed.protocol}// is not a PostgreSQL URL: give postgres://user@host:5432/database`);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (!database) throw new Error("the store URL names no database: give postgres://user@host:5432/database");
  return database;
}
