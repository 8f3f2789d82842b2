import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { IdempotencyStore, type IdempotencyTables } from "./gateway/idempotency-store.js";
import type { SeedSnapshot } from "./seed-snapshot.js";
import type { migrate } from "./sqlite-store.js";
import { isEmbeddedStore, type Store } from "./store/store-port.js";
import type { VirtualClock } from "./virtual-clock.js";

// A type, not an interface: Kysely's withTables takes only types with an index signature, which an interface lacks.
type MetaTables = {
  meta: { key: string; value: string };
};

/**
 * The platform's own store: the Idempotency-Keys the gateway keeps, and the clock saved to resume from. A data
 * folder's `platform.db` (or in memory) on SQLite; on backends the `platform` schema every process of the database
 * shares, so a key stored by one process is replayed by any other, and a restart resumes the clock.
 */
export interface PlatformStore {
  readonly idempotency: IdempotencyStore;
  /** Save the clock's time, never taking back a later time saved (by another process): the next start resumes past it. */
  saveClock(): Promise<void>;
  /** The whole database, for a seed snapshot; SQLite's only. */
  serialize(): Buffer;
  /** Checkpoint and close SQLite's store; PostgreSQL's pool is the backends' and closes with them. */
  close(): Promise<void>;
}

/** How to open the platform's store. */
export interface PlatformStoreOptions {
  /** SQLite's (a file, `:memory:` or a snapshot's copy), or the backends' `platform` schema. */
  readonly store: Store<IdempotencyTables>;
  /** `migrate`, or nothing for a snapshot's store, which this same code migrated. */
  readonly migrateStore: typeof migrate;
  readonly clock: VirtualClock;
  /**
   * Other times the clock must resume past: the newest event stamped (in the log or still in an outbox), a data
   * folder's manifest clock. After a crash these may be later than the clock last saved.
   */
  readonly stamped: readonly (Date | undefined)[];
  /** A start from a snapshot goes on from the seed's time, as the run that made it did. */
  readonly snapshot: SeedSnapshot | undefined;
}

/**
 * Migrate the platform's store, resume the clock past every time the last run saw (the saved clock and `stamped`;
 * a snapshot's own time) and save it at once.
 */
export async function openPlatformStore(options: PlatformStoreOptions): Promise<PlatformStore> {
  const { store, clock, snapshot } = options;
  // The platform store's other table, beside the Idempotency-Keys the gateway's store keeps.
  const metaDb = store.db.withTables<MetaTables>();
  await options.migrateStore(
    store.db as Kysely<unknown>,
    {
      "0001_meta": {
        async up(db) {
          await db.schema
            .createTable("meta")
            .addColumn("key", "text", (column) => column.primaryKey())
            .addColumn("value", "text", (column) => column.notNull())
            .execute();
        },
      },
      ...IdempotencyStore.migrationsFor(store.dialect),
    },
    // On PostgreSQL the schema's own tables (the secrets) are migrated under `_migrations_store`.
    { label: "the platform store", table: "_migrations" },
  );
  const savedClock = await metaDb.selectFrom("meta").select("value").where("key", "=", "clock").executeTakeFirst();
  const resumeAt = [savedClock ? new Date(savedClock.value) : undefined, ...options.stamped]
    .filter((time): time is Date => time !== undefined)
    .sort((a, b) => a.getTime() - b.getTime())
    .pop();
  // A frozen (seeded) clock stands at the snapshot's time.
  if (snapshot) clock.resumeFrom(snapshot.clock);
  else if (resumeAt) {
    // A step past the last time the folder saw: ids made now must sort after every id made before the restart,
    // even under a frozen (seeded) clock where many ids share one millisecond.
    clock.resumeFrom(resumeAt);
    clock.advance(1);
  }
  const saveClock = async () => {
    const value = clock.now().toISOString();
    await metaDb
      .insertInto("meta")
      .values({ key: "clock", value })
      // ISO times of one format sort as text.
      .onConflict((conflict) => conflict.column("key").doUpdateSet({ value }).where("meta.value", "<", value))
      .execute();
  };
  // Saved at once, not only at advances and shutdown: after a crash, the restart must still resume past every id
  // this run makes (a seeded clock stands still, so its ids differ only in their random part).
  await saveClock();
  return {
    idempotency: new IdempotencyStore(store, () => clock.now()),
    saveClock,
    serialize() {
      if (!isEmbeddedStore(store)) throw new Error("only a platform on SQLite keeps seed snapshots");
      return store.serialize();
    },
    async close() {
      if (!isEmbeddedStore(store)) return;
      store.checkpoint();
      await store.close();
    },
  };
}
/** The data folder's token secret: made once and kept, so tokens outlive restarts; new for each in-memory run. */
export function loadSecret(dataDir: string | undefined): Buffer {
  if (!dataDir) return randomBytes(32);
  const path = join(dataDir, "secret");
  if (existsSync(path)) {
    const text = readFileSync(path, "utf8").trim();
    // A short or damaged secret would make tokens forgeable (an empty HMAC key): refuse it rather than run.
    if (!/^[0-9a-f]{64}$/i.test(text))
      throw new Error(
        `${path} is not a 64-digit hex token secret; delete it to have a new one made (every issued token stops working)`,
      );
    return Buffer.from(text, "hex");
  }
  const secret = randomBytes(32);
  writeFileSync(path, `${secret.toString("hex")}\n`, { mode: 0o600 });
  return secret;
}
