import type { OpenPostgresStoresOptions, PostgresStores } from "./postgres-store.js";

/**
 * Open the platform's stores on PostgreSQL (see postgres-store.ts's `openPostgresStores`), loading the PostgreSQL
 * client (`pg`) and the adapter only now: an embedded start never pays for them.
 */
export async function openPostgresStores(options: OpenPostgresStoresOptions): Promise<PostgresStores> {
  const adapter = await import("./postgres-store.js");
  return adapter.openPostgresStores(options);
}

/**
 * The platform's service-token key, for a process that serves no context (`ecom gateway`): the database is prepared
 * as any process prepares it (the platform's role and schema), the key read from `platform.secrets` (made there
 * first if this is the first process), and the connection closed again.
 */
export async function readServiceTokenKey(
  options: Pick<OpenPostgresStoresOptions, "url" | "namespace">,
): Promise<Buffer> {
  const stores = await openPostgresStores({ ...options, contexts: [], poolSize: 1 });
  try {
    return stores.secrets.serviceToken;
  } finally {
    await stores.close();
  }
}
