import { type Kysely, type Migration, sql } from "kysely";
import { keptTime, timeText } from "../compact-ids.js";
import { unpackText } from "../packed-text.js";
import { type EmbeddedStore, isEmbeddedStore, type Store, type StoreDialectName } from "../store/store-port.js";
import { hashedScopeKey, keptHash, requestHash, requestText, sameRequest } from "./idempotency-keys.js";
import { idempotencyMigrations } from "./idempotency-migrations.js";
import { isPackedResponse, packResponse, unpackResponse } from "./packed-response.js";

/** A response stored under an Idempotency-Key. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * The platform store's table of keys. Rows are kept compact: the request's hash as its first 8 bytes (a BLOB; bytea
 * on PostgreSQL), the response's headers and body packed together into `body` ({@link packResponse}, against the
 * row's key, its creation time and the request it answered) with `headers` empty. On SQLite the rows are found by the
 * first 16 bytes of the key's SHA-256 ({@link hashedScopeKey}) through a unique index (a rowid table, appended to in
 * the order rows are stored: idempotency-migrations.ts says why not WITHOUT ROWID), and the time a response was stored
 * is kept in 6 bytes (compact-ids.ts `keptTime`, in the row and in the index on it, where its text took 24). Rows
 * stored before are read as they are: the hash as hex or 16 bytes, headers and body as text, packed with packed-text's
 * format 1 (the headers' JSON, a newline, the body), or packed against the key and time alone.
 */
// A type, not an interface: Kysely's withTables takes only types with an index signature, which an interface lacks.
export type IdempotencyTables = {
  idempotency: {
    /** On SQLite the key's hash ({@link hashedScopeKey}); on PostgreSQL its text. */
    scope_key: string | Buffer;
    request_hash: string | Buffer;
    status: number;
    headers: string;
    body: string | Buffer;
    /** Kept compact on SQLite (compact-ids.ts `keptTime`): a BLOB for the times the store writes. */
    created_at: string | Buffer;
  };
};

/** What a response is packed against besides its request: text the reader holds beside it, the row's time and key. */
const packingContext = (createdAt: string, scopeKey: string) => `${createdAt}${scopeKey}`;

/** The response a row holds: packed ({@link packResponse}), or as rows stored before hold it. */
function storedResponse(
  row: { status: number; headers: string; body: string | Buffer; created_at: string | Buffer },
  scopeKey: string,
  request: string,
): StoredResponse {
  if (typeof row.body === "string") return { status: row.status, headers: JSON.parse(row.headers), body: row.body };
  if (isPackedResponse(row.body))
    return unpackResponse(row.status, row.body, packingContext(timeText(row.created_at), scopeKey), request);
  const packed = unpackText(row.body);
  // The headers' JSON holds no raw newline, so the first one ends it.
  const end = packed.indexOf("\n");
  return { status: row.status, headers: JSON.parse(packed.slice(0, end)), body: packed.slice(end + 1) };
}

/** How long a key is remembered (DESIGN.md: 24 hours). */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** A request as a key is bound to it ({@link IdempotencyStore.request}). */
export interface IdempotentRequest {
  /** Method, path and body: what the stored response is packed against, and what a replay presents again. */
  readonly text: string;
  /** The SHA-256 of the text, in hex. */
  readonly hash: string;
}

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
    return idempotencyMigrations(dialect);
  }

  /** A request as a key is bound to it: method, path (with its query) and the body's text, and their hash. */
  static request(method: string, path: string, body: string): IdempotentRequest {
    const text = requestText(method, path, body);
    return { text, hash: requestHash(text) };
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

  /** Claim `key` (already scoped to the caller) for `request` ({@link IdempotencyStore.request}). */
  async claim(scopeKey: string, request: IdempotentRequest): Promise<IdempotencyClaim> {
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
    const rowKey = this.#rows.keyOf(scopeKey);
    let stored: StoredRow | undefined;
    try {
      stored = await this.#rows.read(rowKey);
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
      if (!sameRequest(fresh.request_hash, request.hash)) return { kind: "mismatch" };
      return { kind: "replay", response: storedResponse(fresh, scopeKey, request.text) };
    }
    return {
      kind: "fresh",
      complete: async (response) => {
        try {
          const now = this.now();
          const createdAt = now.toISOString();
          await this.#rows.write(
            rowKey,
            {
              request_hash: keptHash(request.hash),
              status: response.status,
              headers: "",
              body: packResponse(response, packingContext(createdAt, scopeKey), request.text),
              created_at: createdAt,
            },
            new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS).toISOString(),
            stored !== undefined,
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

/**
 * How the store reads and writes its rows, under what `keyOf` keeps of a scope key. `write` stores a response under
 * a key that has none, or only one older than `cutoff` (expired; `replacing` says the claim found one): a fresh row is
 * never replaced, so when two processes sharing PostgreSQL run one key's request at once, the first response stored
 * is the one every later request is answered with.
 */
interface IdempotencyRows {
  keyOf(scopeKey: string): string | Buffer;
  read(rowKey: string | Buffer): Promise<StoredRow | undefined>;
  write(rowKey: string | Buffer, row: StoredRow, cutoff: string, replacing: boolean): Promise<void>;
}

/** A row but its key (which each store keeps its own way). */
type StoredRow = Omit<IdempotencyRow, "scope_key">;

/** A response waiting to be written, in the next group of writes. */
interface QueuedWrite {
  readonly rowKey: string | Buffer;
  readonly row: StoredRow;
  readonly cutoff: string;
  readonly replacing: boolean;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * SQLite's rows: both statements run for every mutation that carries a key, so compiled once and run prepared, with
 * the key hashed ({@link hashedScopeKey}). Responses completed in one turn of the event loop are written in one
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
  const deleteExpired = store.prepare(
    db.deleteFrom("idempotency").where("scope_key", "=", "scope_key").where("created_at", "<", "cutoff"),
    ["scope_key", "cutoff"],
  );
  // A row kept as text before (its time too) is older than any kept cutoff: it is replaced, as an expired one is,
  // only when the claim found it expired by its text. An expired row is deleted before the new one is written, so the
  // new one takes a rowid of its own at the table's end, where the rows stored at about its time are.
  const insert = ({ rowKey, row: stored, cutoff, replacing }: QueuedWrite) => {
    if (replacing) deleteExpired.run(rowKey, keptTime(cutoff));
    upsertRow.run(
      rowKey,
      stored.request_hash,
      stored.status,
      stored.headers,
      stored.body,
      typeof stored.created_at === "string" ? keptTime(stored.created_at) : stored.created_at,
      keptTime(cutoff),
    );
  };
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
    keyOf: hashedScopeKey,
    read: (rowKey) => store.exclusive(() => read.all(rowKey)[0]),
    write: (rowKey, stored, cutoff, replacing) =>
      new Promise<void>((resolve, reject) => {
        queued.push({ rowKey, row: stored, cutoff, replacing, resolve, reject });
        if (queued.length === 1) setImmediate(() => void writeQueued());
      }),
  };
}

/** The rows through the query builder, on any dialect (PostgreSQL's pool). */
function queriedRows(db: Kysely<IdempotencyTables>): IdempotencyRows {
  return {
    keyOf: (scopeKey) => scopeKey,
    read: (rowKey) => db.selectFrom("idempotency").selectAll().where("scope_key", "=", rowKey).executeTakeFirst(),
    async write(rowKey, row, cutoff) {
      await upsert(db, { scope_key: rowKey, ...row }, cutoff).execute();
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
