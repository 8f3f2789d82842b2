import type { OpenPostgresStoresOptions, PostgresStores } from "./postgres-store.js";

/**
 * Open the platform's stores on PostgreSQL (see postgres-store.ts's `openPostgresStores`), loading the PostgreSQL
 * client (`pg`) and the adapter only now: an embedded start never pays for them.
 */
export async function openPostgresStores(options: OpenPostgresStoresOptions): Promise<PostgresStores> {
  const adapter = await import("./postgres-store.js");
  return adapter.openPostgresStores(options);
}

/** The platform's service-token key for `ecom gateway` (postgres-store.ts's `readServiceTokenKey`), `pg` loaded only now. */
export async function readServiceTokenKey(
  options: Pick<OpenPostgresStoresOptions, "url" | "namespace">,
): Promise<Buffer> {
  const adapter = await import("./postgres-store.js");
  return adapter.readServiceTokenKey(options);
}
