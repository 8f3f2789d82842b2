import { createHash } from "node:crypto";
import { type Kysely, type Migration, sql } from "kysely";
import { isUlid, isUuid, keptTime, timeText, ulidBytes, uuidBytes } from "../compact-ids.js";
import { unpackText } from "../packed-text.js";
import { type EmbeddedStore, isEmbeddedStore, type Store, type StoreDialectName } from "../store/store-port.js";
import { isPackedResponse, packResponse, unpackResponse } from "./packed-response.js";

/** A response stored under an Idempotency-Key. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * The platform store's table of keys. Rows are kept compact: the request's hash as its first 16 bytes (a BLOB; bytea
 * on PostgreSQL), the response's headers and body packed together into `body` ({@link packResponse}, against the
 * row's key and creation time) with `headers` empty. On SQLite the key itself is kept compact too
 * ({@link keptScopeKey}), and so is the time it was stored (6 bytes, compact-ids.ts `keptTime`, in the row and in
 * the index on it, where its text took 24). Rows stored before are read as they are: the hash as hex, headers and body as text, or
 * both packed with packed-text's format 1 (the headers' JSON, a newline, the body).
 */
// A type, not an interface: Kysely's withTables takes only types with an index signature, which an interface lacks.
export type IdempotencyTables = {
  idempotency: {
    /** Kept compact on SQLite ({@link keptScopeKey}): a BLOB for the usual keys. */
    scope_key: string | Buffer;
    request_hash: string | Buffer;
    status: number;
    headers: string;
    body: string | Buffer;
    /** Kept compact on SQLite (compact-ids.ts `keptTime`): a BLOB for the times the store writes. */
    created_at: string | Buffer;
  };
};

/** How many bytes of a request's SHA-256 a row keeps: 128 bits tell two requests under one key apart. */
const KEPT_HASH_BYTES = 16;

/** What a row keeps of a request's hash: the first bytes of a SHA-256 in hex ({@link IdempotencyStore.hash}), else the text. */
function keptHash(requestHash: string): string | Buffer {
  return /^[0-9a-f]{64}$/.test(requestHash)
    ? Buffer.from(requestHash.slice(0, KEPT_HASH_BYTES * 2), "hex")
    : requestHash;
}

/** Whether a stored hash (kept bytes, or a row written before: the whole hash in hex) is the request's. */
function sameRequest(stored: string | Buffer, requestHash: string): boolean {
  if (typeof stored === "string") return stored === requestHash;
  const kept = keptHash(requestHash);
  return typeof kept !== "string" && stored.equals(kept);
}

/** A customer's key as the SDK makes it: `customer:cus_<ULID>:<UUID>`. */
const CUSTOMER_SCOPE = "customer:cus_";
const CUSTOMER_KEY_LENGTH = CUSTOMER_SCOPE.length + 26 + 1 + 36;
/** The first byte of a kept key: a customer's UUID key, or another scope's. */
const CUSTOMER_UUID_KEY = 1;
const SCOPED_UUID_KEY = 2;

/**
 * What SQLite's rows keep of a scope key, once in the row and once in the index on it: a customer's key as the SDK
 * sends it (`customer:cus_<ULID>:<UUID>`, 76 characters) as 33 bytes (a tag, the ULID's 16, the UUID's 16); another
 * scope's key that is a UUID as a tag, the scope's text and the UUID's 16 bytes; any other as its text. The byte
 * forms are made only from texts that are exactly a ULID and a UUID, and a BLOB never equals a TEXT in SQLite, so
 * two keys never share a row.
 */
export function keptScopeKey(scopeKey: string): string | Buffer {
  const uuid = scopeKey.slice(-36);
  if (scopeKey.at(-37) !== ":" || !isUuid(uuid)) return scopeKey;
  const customerId = scopeKey.slice(CUSTOMER_SCOPE.length, CUSTOMER_SCOPE.length + 26);
  if (scopeKey.length === CUSTOMER_KEY_LENGTH && scopeKey.startsWith(CUSTOMER_SCOPE) && isUlid(customerId))
    return Buffer.concat([Buffer.of(CUSTOMER_UUID_KEY), ulidBytes(customerId), uuidBytes(uuid)]);
  return Buffer.concat([Buffer.of(SCOPED_UUID_KEY), Buffer.from(scopeKey.slice(0, -37)), uuidBytes(uuid)]);
}

/** What a packed response is packed against: text the reader holds beside it, the row's creation time and key. */
const packingContext = (createdAt: string, scopeKey: string) => `${createdAt}${scopeKey}`;

/** The response a row holds: packed ({@link packResponse}), or as rows stored before hold it. */
function storedResponse(
  row: { status: number; headers: string; body: string | Buffer; created_at: string | Buffer },
  scopeKey: string,
): StoredResponse {
  if (typeof row.body === "string") return { status: row.status, headers: JSON.parse(row.headers), body: row.body };
  if (isPackedResponse(row.body))
    return unpackResponse(row.status, row.body, packingContext(timeText(row.created_at), scopeKey));
  const packed = unpackText(row.body);
  // The headers' JSON holds no raw newline, so the first one ends it.
  const end = packed.indexOf("\n");
  return { status: row.status, headers: JSON.parse(packed.slice(0, end)), body: packed.slice(end + 1) };
}

/** How long a key is remembered (DESIGN.md: 24 hours). */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** The outcome of claiming a key: run the request, replay a stored response, or refuse a reused key. */
export type IdempotencyClaim =
  | { readonly kind: "fresh"; complete(response: StoredResponse): Promise<void>; abandon(): void }
  | { readonly kind: "replay"; readonly response: StoredResponse }
  | { readonly kind: "mismatch" };

/**
 * Idempotency-Key handling for mutations: the hash of the request (method, path, body) is stored with the first
 * response for 24 hours (platform clock). The same key with the same request replays that response; with another
 * request it is refused (422). Two concurrent requests with one key run once in a process: the second waits for the
 * first. Processes sharing PostgreSQL replay each other's stored responses; two that take one key at the same moment
 * may both run the request, and the first response stored is the one replayed after (see {@link IdempotencyRows}).
 */
export class IdempotencyStore {
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #rows: IdempotencyRows;

  /** Keys in `store`: SQLite's (a data folder's platform store) or PostgreSQL's (the `platform` schema). */
  constructor(
    private readonly store: Store<IdempotencyTables>,
    private readonly now: () => Date,
  ) {
    this.#rows = isEmbeddedStore(store) ? preparedRows(store) : queriedRows(store.db);
  }

  /** The table's migrations on a store of `dialect` (the platform store's `_migrations`, beside its `meta`). */
  static migrationsFor(dialect: StoreDialectName): Readonly<Record<string, Migration>> {
    // SQLite keeps any value in a text column (the compact rows' BLOBs too); PostgreSQL needs bytea for those.
    const bytes = dialect === "sqlite" ? "text" : "bytea";
    return {
      "0001_idempotency": {
        async up(db: Kysely<unknown>) {
          await db.schema
            .createTable("idempotency")
            .addColumn("scope_key", "text", (column) => column.primaryKey())
            .addColumn("request_hash", bytes, (column) => column.notNull())
            .addColumn("status", "integer", (column) => column.notNull())
            .addColumn("headers", "text", (column) => column.notNull())
            .addColumn("body", bytes, (column) => column.notNull())
            .addColumn("created_at", "text", (column) => column.notNull())
            .execute();
        },
      },
      // The purge runs every second: by this index it reads only the expired keys, not the whole table.
      "0002_idempotency_by_age": {
        async up(db: Kysely<unknown>) {
          await db.schema.createIndex("idempotency_by_created_at").on("idempotency").column("created_at").execute();
        },
      },
      // SQLite's keys kept compact: the keys stored before are rewritten so a retry after the upgrade still finds
      // its key. PostgreSQL keeps them as text.
      ...(dialect === "sqlite" ? { "0003_idempotency_compact_keys": compactKeysMigration } : {}),
    };
  }

  /** The hash a key is bound to: method, path and the body's bytes. */
  static hash(method: string, path: string, body: string): string {
    return createHash("sha256").update(`${method}\n${path}\n${body}`).digest("hex");
  }

  /** Forget responses older than the window: they can no longer be replayed, so they only take space. */
  async purgeExpired(): Promise<void> {
    const cutoff = new Date(this.now().getTime() - IDEMPOTENCY_WINDOW_MS).toISOString();
    if (!isEmbeddedStore(this.store)) {
      await this.store.db.deleteFrom("idempotency").where("created_at", "<", cutoff).execute();
      return;
    }
    // One range of the index on the age: every row kept as text (stored before times were kept compact) sorts below
    // any kept time, so those are compared with the text of the cutoff instead.
    await sql`delete from idempotency where created_at < ${keptTime(cutoff)}
      and (typeof(created_at) = 'blob' or created_at < ${cutoff})`.execute(this.store.db);
  }

  /** Claim `key` (already scoped to the caller) for a request with `requestHash`. */
  async claim(scopeKey: string, requestHash: string): Promise<IdempotencyClaim> {
    for (;;) {
      const pending = this.#inFlight.get(scopeKey);
      if (!pending) break;
      await pending;
    }
    // Take the key's slot before anything else is awaited, so a second request with the key waits for this one.
    let release: () => void = () => {};
    const slot = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#inFlight.set(scopeKey, slot);
    const finish = () => {
      if (this.#inFlight.get(scopeKey) === slot) this.#inFlight.delete(scopeKey);
      release();
    };
    let stored: StoredRow | undefined;
    try {
      stored = await this.#rows.read(scopeKey);
    } catch (error) {
      finish();
      throw error;
    }
    const fresh =
      stored && this.now().getTime() - Date.parse(timeText(stored.created_at)) < IDEMPOTENCY_WINDOW_MS
        ? stored
        : undefined;
    if (fresh) {
      finish();
      if (!sameRequest(fresh.request_hash, requestHash)) return { kind: "mismatch" };
      return { kind: "replay", response: storedResponse(fresh, scopeKey) };
    }
    return {
      kind: "fresh",
      complete: async (response) => {
        try {
          const now = this.now();
          const createdAt = now.toISOString();
          await this.#rows.write(
            scopeKey,
            {
              request_hash: keptHash(requestHash),
              status: response.status,
              headers: "",
              body: packResponse(response, packingContext(createdAt, scopeKey)),
              created_at: createdAt,
            },
            new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS).toISOString(),
          );
        } finally {
          finish();
        }
      },
      abandon: finish,
    };
  }
}

type IdempotencyRow = IdempotencyTables["idempotency"];

/** Rewrites SQLite's keys stored as text into what {@link keptScopeKey} keeps (a day's keys at most). */
const compactKeysMigration: Migration = {
  // In the migrator's transaction (sqlite-store.ts `migrate`), with the migration's record.
  async up(db: Kysely<unknown>) {
    const trx = db.withTables<IdempotencyTables>();
    const rows = await trx.selectFrom("idempotency").select("scope_key").execute();
    for (const { scope_key } of rows) {
      if (typeof scope_key !== "string") continue;
      const kept = keptScopeKey(scope_key);
      if (kept !== scope_key)
        await trx.updateTable("idempotency").set({ scope_key: kept }).where("scope_key", "=", scope_key).execute();
    }
  },
};

/**
 * How the store reads and writes its rows. `write` stores a response under a key that has none, or only one older
 * than `cutoff` (expired): a fresh row is never replaced, so when two processes sharing PostgreSQL run one key's
 * request at once, the first response stored is the one every later request is answered with.
 */
interface IdempotencyRows {
  read(scopeKey: string): Promise<StoredRow | undefined>;
  write(scopeKey: string, row: StoredRow, cutoff: string): Promise<void>;
}

/** A row but its key (which each store keeps its own way). */
type StoredRow = Omit<IdempotencyRow, "scope_key">;

/** A response waiting to be written, in the next group of writes. */
interface QueuedWrite {
  readonly scopeKey: string;
  readonly row: StoredRow;
  readonly cutoff: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * SQLite's rows: both statements run for every mutation that carries a key, so compiled once and run prepared, with
 * the key kept compact ({@link keptScopeKey}). Responses completed in one turn of the event loop are written in one
 * transaction (a group commit, as the event log's: a checkout stores four responses, and each commit of its own
 * writes the table's pages to the WAL again); when one of them is refused, each is written again alone, so it
 * fails alone.
 */
function preparedRows(store: EmbeddedStore<IdempotencyTables>): IdempotencyRows {
  const { db } = store;
  const read = store.prepare(db.selectFrom("idempotency").selectAll().where("scope_key", "=", "scope_key"), [
    "scope_key",
  ]);
  const row = { request_hash: "request_hash", status: 0, headers: "headers", body: "body", created_at: "created_at" };
  const upsertRow = store.prepare(upsert(db, { scope_key: "scope_key", ...row }, "cutoff"), [
    "scope_key",
    "request_hash",
    0,
    "headers",
    "body",
    "created_at",
    "cutoff",
  ]);
  // A row kept as text before (its time too) is older than any kept cutoff: it is replaced, as an expired one is,
  // only when the claim found it expired by its text.
  const insert = ({ scopeKey, row: stored, cutoff }: QueuedWrite) =>
    upsertRow.run(
      keptScopeKey(scopeKey),
      stored.request_hash,
      stored.status,
      stored.headers,
      stored.body,
      typeof stored.created_at === "string" ? keptTime(stored.created_at) : stored.created_at,
      keptTime(cutoff),
    );
  const queued: QueuedWrite[] = [];
  const writeQueued = async () => {
    let batch: QueuedWrite[] = [];
    try {
      await store.exclusive(
        () => {
          // Taken once the connection is held, so what was completed while waiting for it joins this commit.
          batch = queued.splice(0);
          for (const write of batch) insert(write);
        },
        { transaction: true },
      );
      for (const write of batch) write.resolve();
      return;
    } catch (error) {
      if (batch.length === 0) batch = queued.splice(0);
      if (batch.length === 1) {
        for (const write of batch) write.reject(error);
        return;
      }
    }
    for (const write of batch) {
      try {
        await store.exclusive(() => insert(write), { transaction: true });
        write.resolve();
      } catch (error) {
        write.reject(error);
      }
    }
  };
  return {
    read: (scopeKey) => store.exclusive(() => read.all(keptScopeKey(scopeKey))[0]),
    write: (scopeKey, stored, cutoff) =>
      new Promise<void>((resolve, reject) => {
        queued.push({ scopeKey, row: stored, cutoff, resolve, reject });
        if (queued.length === 1) setImmediate(() => void writeQueued());
      }),
  };
}

/** The rows through the query builder, on any dialect (PostgreSQL's pool). */
function queriedRows(db: Kysely<IdempotencyTables>): IdempotencyRows {
  return {
    read: (scopeKey) => db.selectFrom("idempotency").selectAll().where("scope_key", "=", scopeKey).executeTakeFirst(),
    async write(scopeKey, row, cutoff) {
      await upsert(db, { scope_key: scopeKey, ...row }, cutoff).execute();
    },
  };
}

/** Insert a key's row, or replace one that expired before `cutoff`. */
function upsert(db: Kysely<IdempotencyTables>, row: IdempotencyRow, cutoff: string) {
  return db
    .insertInto("idempotency")
    .values(row)
    .onConflict((conflict) =>
      conflict
        .column("scope_key")
        .doUpdateSet((eb) => ({
          request_hash: eb.ref("excluded.request_hash"),
          status: eb.ref("excluded.status"),
          headers: eb.ref("excluded.headers"),
          body: eb.ref("excluded.body"),
          created_at: eb.ref("excluded.created_at"),
        }))
        .where("idempotency.created_at", "<", cutoff),
    );
}
