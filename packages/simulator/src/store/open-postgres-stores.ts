import type { OpenPostgresStoresOptions, PostgresStores } from "./postgres-store.js";

/**
 * Open the platform's stores on PostgreSQL (see postgres-store.ts's `openPostgresStores`), loading the PostgreSQL
 * client (`pg`) and the adapter only now: an embedded start never pays for them.
 */
export async function openPostgresStores(options: OpenPostgresStoresOptions): Promise<PostgresStores> {
  const adapter = await import("./postgres-store.js");
  return adapter.openPostgresStores(options);
}
