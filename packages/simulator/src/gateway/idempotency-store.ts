import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import type { PreparedStatement, SqliteStore } from "../sqlite-store.js";

/** A response stored under an Idempotency-Key. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The platform store's table of keys. */
export interface IdempotencyTables {
  idempotency: {
    scope_key: string;
    request_hash: string;
    status: number;
    headers: string;
    body: string;
    created_at: string;
  };
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
 * request it is refused (422). Two concurrent requests with one key run once: the second waits for the first.
 */
export class IdempotencyStore {
  readonly #inFlight = new Map<string, Promise<void>>();
  // Both run for every mutation that carries a key: compiled once, run as prepared statements.
  readonly #read: PreparedStatement<IdempotencyTables["idempotency"]>;
  readonly #write: PreparedStatement<unknown>;

  constructor(
    private readonly store: SqliteStore<IdempotencyTables>,
    private readonly now: () => Date,
  ) {
    const { db } = store;
    this.#read = store.prepare(db.selectFrom("idempotency").selectAll().where("scope_key", "=", "scope_key"), [
      "scope_key",
    ]);
    const row = { request_hash: "request_hash", status: 0, headers: "headers", body: "body", created_at: "created_at" };
    this.#write = store.prepare(
      db
        .insertInto("idempotency")
        .values({ scope_key: "scope_key", ...row })
        .onConflict((conflict) =>
          conflict.column("scope_key").doUpdateSet((eb) => ({
            request_hash: eb.ref("excluded.request_hash"),
            status: eb.ref("excluded.status"),
            headers: eb.ref("excluded.headers"),
            body: eb.ref("excluded.body"),
            created_at: eb.ref("excluded.created_at"),
          })),
        ),
      ["scope_key", "request_hash", 0, "headers", "body", "created_at"],
    );
  }

  static migrations = {
    "0001_idempotency": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("idempotency")
          .addColumn("scope_key", "text", (column) => column.primaryKey())
          .addColumn("request_hash", "text", (column) => column.notNull())
          .addColumn("status", "integer", (column) => column.notNull())
          .addColumn("headers", "text", (column) => column.notNull())
          .addColumn("body", "text", (column) => column.notNull())
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
  };

  /** The hash a key is bound to: method, path and the body's bytes. */
  static hash(method: string, path: string, body: string): string {
    return createHash("sha256").update(`${method}\n${path}\n${body}`).digest("hex");
  }

  /** Forget responses older than the window: they can no longer be replayed, so they only take space. */
  async purgeExpired(): Promise<void> {
    const cutoff = new Date(this.now().getTime() - IDEMPOTENCY_WINDOW_MS).toISOString();
    await this.store.db.deleteFrom("idempotency").where("created_at", "<", cutoff).execute();
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
    let stored: { request_hash: string; status: number; headers: string; body: string; created_at: string } | undefined;
    try {
      [stored] = await this.store.exclusive(() => this.#read.all(scopeKey));
    } catch (error) {
      finish();
      throw error;
    }
    const fresh =
      stored && this.now().getTime() - Date.parse(stored.created_at) < IDEMPOTENCY_WINDOW_MS ? stored : undefined;
    if (fresh) {
      finish();
      if (fresh.request_hash !== requestHash) return { kind: "mismatch" };
      return {
        kind: "replay",
        response: { status: fresh.status, headers: JSON.parse(fresh.headers), body: fresh.body },
      };
    }
    return {
      kind: "fresh",
      complete: async (response) => {
        try {
          const createdAt = this.now().toISOString();
          const headers = JSON.stringify(response.headers);
          await this.store.exclusive(() =>
            this.#write.run(scopeKey, requestHash, response.status, headers, response.body, createdAt),
          );
        } finally {
          finish();
        }
      },
      abandon: finish,
    };
  }
}
