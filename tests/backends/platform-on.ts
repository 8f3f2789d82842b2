import { createPlatform, type Platform, type PlatformOptions } from "@ecom/simulator";
import type { Backend } from "./backends.js";
import { createTestNamespace } from "./nats-namespace.js";
import { createTestDatabase } from "./test-database.js";

/** A platform a test started on a backend, and what stops it and drops what it made. */
export interface PlatformOnBackend {
  readonly platform: Platform;
  /** Close the platform, then (on PostgreSQL and NATS) drop its database, roles and namespace. */
  close(): Promise<void>;
}

/** What a test chooses of a platform; where it keeps its state is the backend's to say. */
export type PlatformOnBackendOptions = Omit<PlatformOptions, "memory" | "dataDir" | "backends">;

/**
 * How long starting every context on PostgreSQL and NATS may take in a `beforeAll` (bootstrap, migrations of 12
 * schemas and the seed, each commit an fsync, on a machine other test files share).
 */
export const PLATFORM_START_TIMEOUT = 180_000;

/**
 * Start a platform on `backend`, as `ecom sim up` runs it there: in memory on `embedded`; on `postgres+nats` in a
 * database of the test file's own (test-database.ts), with the namespace of the same name on NATS, so that test files
 * running in parallel never share a store or a stream. The same test code then runs against either.
 */
export async function startPlatformOn(backend: Backend, options: PlatformOnBackendOptions): Promise<PlatformOnBackend> {
  if (backend.kind === "embedded") {
    const platform = await createPlatform({ ...options, memory: true });
    return { platform, close: () => platform.close() };
  }
  const database = await createTestDatabase();
  const namespace = createTestNamespace(database.name);
  const dropBoth = async () => {
    await namespace.drop();
    await database.drop();
  };
  try {
    const platform = await createPlatform({
      ...options,
      backends: { storeUrl: database.url, busUrl: backend.busUrl, namespace: namespace.name },
    });
    return {
      platform,
      async close() {
        try {
          await platform.close();
        } finally {
          await dropBoth();
        }
      },
    };
  } catch (error) {
    await dropBoth();
    throw error;
  }
}
