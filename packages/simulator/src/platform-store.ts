import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import type { OpenedDataFolder } from "./data-folder/open-data-folder.js";
import { IdempotencyStore, type IdempotencyTables } from "./gateway/idempotency-store.js";
import type { SeedSnapshot } from "./seed-snapshot.js";
import { type migrate, openSqliteStore, type SqliteStore } from "./sqlite-store.js";
import type { VirtualClock } from "./virtual-clock.js";

// A type, not an interface: Kysely's withTables takes only types with an index signature, which an interface lacks.
type MetaTables = {
  meta: { key: string; value: string };
};

/** The platform's own store: the Idempotency-Keys the gateway keeps, and the clock saved to resume from. */
export interface PlatformStore {
  readonly store: SqliteStore<IdempotencyTables>;
  readonly idempotency: IdempotencyStore;
  /** Save the clock's time: the next start resumes past it. */
  saveClock(): Promise<void>;
}

/** How to open the platform's store. */
export interface PlatformStoreOptions {
  /** Its file (`:memory:` for none), or its seeded database when the start is from a snapshot. */
  readonly source: string | Buffer;
  /** `migrate`, or nothing for a snapshot's store, which this same code migrated. */
  readonly migrateStore: typeof migrate;
  readonly clock: VirtualClock;
  readonly folder: OpenedDataFolder | undefined;
  readonly snapshot: SeedSnapshot | undefined;
}

/**
 * Open and migrate the platform's store, resume the clock past every time the last run saw (the saved clock, the
 * data folder's newest event and manifest; a snapshot's own time) and save it at once.
 */
export async function openPlatformStore(options: PlatformStoreOptions): Promise<PlatformStore> {
  const { clock, folder, snapshot } = options;
  const store = openSqliteStore<IdempotencyTables>(options.source);
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
      ...IdempotencyStore.migrations,
    },
    { label: "the platform store", table: "_migrations" },
  );
  const savedClock = await metaDb.selectFrom("meta").select("value").where("key", "=", "clock").executeTakeFirst();
  // The clock is kept with the events it stamps: after a crash, the newest event in the log (or still in an outbox)
  // may be later than the clock last saved, and the clock must resume past it. The manifest's clock counts too: a
  // platform store made anew has no saved clock, and time advanced past the newest event must not be taken back.
  const resumeAt = [savedClock ? new Date(savedClock.value) : undefined, folder?.lastStamped, folder?.lastClock]
    .filter((time): time is Date => time !== undefined)
    .sort((a, b) => a.getTime() - b.getTime())
    .pop();
  // A start from a snapshot goes on from the seed's time, as the run that made it did (a frozen clock stands there).
  if (snapshot) clock.resumeFrom(snapshot.clock);
  else if (resumeAt) {
    // A step past the last time the folder saw: ids made now must sort after every id made before the restart,
    // even under a frozen (seeded) clock where many ids share one millisecond.
    clock.resumeFrom(resumeAt);
    clock.advance(1);
  }
  const saveClock = async () => {
    await metaDb
      .insertInto("meta")
      .values({ key: "clock", value: clock.now().toISOString() })
      .onConflict((conflict) => conflict.column("key").doUpdateSet({ value: clock.now().toISOString() }))
      .execute();
  };
  // Saved at once, not only at advances and shutdown: after a crash, the restart must still resume past every id
  // this run makes (a seeded clock stands still, so its ids differ only in their random part).
  await saveClock();
  return { store, idempotency: new IdempotencyStore(store, () => clock.now()), saveClock };
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
