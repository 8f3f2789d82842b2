import { closeSync, openSync, readSync, statSync } from "node:fs";
import { basename } from "node:path";
import Database from "better-sqlite3";
import { idText } from "../compact-ids.js";
import { loggedEnvelope, unpackedEnvelope } from "../packed-envelope.js";
import { PAGE_SIZE } from "../sqlite-store.js";

/**
 * SQL for the producer of an `event_log` row of the log `database`: the row's own text, or its type's where it kept
 * the empty text (event-type-codes.ts `producersByTypeMigration`); a log not yet migrated keeps every producer's text.
 */
export function loggedProducer(database: Database.Database): string {
  const byType = database.prepare("SELECT 1 FROM pragma_table_info('event_types') WHERE name = 'producer'").get();
  return byType
    ? "coalesce(nullif(event_log.producer, ''), (SELECT producer FROM event_types WHERE code = event_log.type_code))"
    : "event_log.producer";
}

/** The table in every store that says which folder and store it was made for. */
export const IDENTITY_TABLE = "_store_identity";

/**
 * What a store file is found to be, before anything opens it for real:
 * `absent` (no file), `empty` (0 bytes), `not-sqlite` (another kind of file, or a damaged header), `truncated`
 * (shorter than its header says), `unreadable` (SQLite refuses it: malformed), `fresh` (a database with no tables),
 * `ok`.
 */
export type StoreFileState = "absent" | "empty" | "not-sqlite" | "truncated" | "unreadable" | "fresh" | "ok";

/** What {@link inspectStore} learns about one store. */
export interface StoreInspection {
  readonly path: string;
  readonly state: StoreFileState;
  /** Why, for the states that are problems (SQLite's message, sizes). */
  readonly detail?: string;
  readonly identity?: { readonly folderId: string; readonly store: string };
  /** The last migration applied, per migration table. */
  readonly schema: Readonly<Record<string, string>>;
  /** A context store's subscription cursor (0 when it has none). */
  readonly cursor?: number;
  readonly deadLetters?: number;
  /** The event log's newest sequence number. */
  readonly lastSeq?: number;
  /** The latest `occurredAt` among the newest events in the log or waiting in the store's outbox. */
  readonly lastStamped?: string;
}

const SQLITE_MAGIC = "SQLite format 3\0";

/** How closely {@link inspectStore} looks. */
export interface InspectOptions {
  /** Read every page too (before a start or a repair): damage inside a whole file shows nowhere else. */
  readonly checkPages?: boolean;
  /**
   * Read only the marks a manifest keeps (schema versions, the cursor, the log's high-water mark): what a running
   * platform's periodic manifest save needs. The rest (identity, dead letters, the newest timestamps, which unpack
   * the log's newest thousand envelopes) is read at a start, and left out of the result here.
   */
  readonly marksOnly?: boolean;
}

/**
 * Look at one store without changing what it holds: file size and SQLite header first (so an emptied or truncated
 * file is told before SQLite sees it), with `checkPages` every page (before a start or a repair), then its tables:
 * identity, schema versions, cursor, dead letters, the log's high-water mark and the newest timestamps (with
 * `marksOnly`, schema versions, cursor and high-water mark only).
 */
export function inspectStore(path: string, options: InspectOptions = {}): StoreInspection {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return { path, state: "absent", schema: {} };
  }
  if (size === 0 && walSize(path) === 0) return { path, state: "empty", detail: "0 bytes", schema: {} };
  const header = readHeader(path);
  if (size > 0) {
    if (header.toString("latin1", 0, 16) !== SQLITE_MAGIC)
      return { path, state: "not-sqlite", detail: "no SQLite header", schema: {} };
    const pageSize = header.readUInt16BE(16) === 1 ? 65_536 : header.readUInt16BE(16);
    // The header's page count is valid only when its version-valid-for number matches the change counter.
    const pages = header.readUInt32BE(92) === header.readUInt32BE(24) ? header.readUInt32BE(28) : 0;
    if (size % pageSize !== 0 || pages * pageSize > size)
      return {
        path,
        state: "truncated",
        detail: `${size} bytes, its header says ${pages * pageSize}`,
        schema: {},
      };
  }
  let database: Database.Database | undefined;
  try {
    database = new Database(path, { fileMustExist: true });
    if (options.checkPages) {
      // Pages damaged inside a whole file pass every look above and fail later, in the middle of a start or a
      // request; SQLite's quick check reads every page once (milliseconds for a developer's folder).
      const [first] = database.pragma("quick_check(1)") as { quick_check: string }[];
      if (first?.quick_check !== "ok")
        return {
          path,
          state: "unreadable",
          detail: `its pages are damaged (${String(first?.quick_check).replace(/\s+/g, " ").trim()})`,
          schema: {},
        };
    }
    return readTables(path, database, options.marksOnly === true);
  } catch (error) {
    return { path, state: "unreadable", detail: (error as Error).message, schema: {} };
  } finally {
    database?.close();
  }
}

function readTables(path: string, database: Database.Database, marksOnly: boolean): StoreInspection {
  const tables = new Set(
    (database.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
      (row) => row.name,
    ),
  );
  const schema: Record<string, string> = {};
  for (const table of ["_migrations", "_migrations_runtime"]) {
    if (!tables.has(table)) continue;
    const row = database.prepare(`SELECT max(name) AS name FROM "${table}"`).get() as { name: string | null };
    if (row.name) schema[table] = row.name;
  }
  const identity =
    !marksOnly && tables.has(IDENTITY_TABLE)
      ? (database.prepare(`SELECT folder_id AS folderId, store FROM ${IDENTITY_TABLE} LIMIT 1`).get() as
          | { folderId: string; store: string }
          | undefined)
      : undefined;
  // Only the identity stamp (a start that died before migrating): nothing was ever kept in it.
  if ([...tables].every((table) => table === IDENTITY_TABLE))
    return { path, state: "fresh", schema, ...(identity ? { identity } : {}) };
  const stamps: (string | null)[] = [];
  let cursor: number | undefined;
  let deadLetters: number | undefined;
  let lastSeq: number | undefined;
  if (tables.has("_cursor")) {
    const row = database.prepare("SELECT max(seq) AS seq FROM _cursor").get() as { seq: number | null };
    cursor = row.seq ?? 0;
  }
  if (!marksOnly && tables.has("_dead_letter"))
    deadLetters = (database.prepare("SELECT count(*) AS count FROM _dead_letter").get() as { count: number }).count;
  if (!marksOnly && tables.has("_outbox")) {
    stamps.push(
      (
        database
          .prepare(
            "SELECT max(json_extract(envelope, '$.occurredAt')) AS at FROM _outbox WHERE typeof(envelope) = 'text'",
          )
          .get() as { at: string | null }
      ).at,
    );
    // Envelopes the embedded bus's outbox keeps packed (outbox.ts), read against their row's ids and the store's
    // context, which produced them. Few: the relay moves them within moments, unless the process died first.
    if (columnsOf(database, "_outbox").has("correlation_id")) {
      // The context the store was made for (another's store put in its place still holds its own's envelopes).
      const producer = identity?.store ?? basename(path, ".db");
      const packed = database
        .prepare("SELECT event_id, correlation_id, envelope FROM _outbox WHERE typeof(envelope) = 'blob'")
        .all() as { event_id: string; correlation_id: string | Uint8Array | null; envelope: Uint8Array }[];
      for (const row of packed) {
        if (row.correlation_id === null) continue;
        let occurredAt: unknown;
        try {
          const envelope = unpackedEnvelope(row.envelope, row.event_id, producer, idText(row.correlation_id));
          ({ occurredAt } = JSON.parse(envelope) as { occurredAt?: unknown });
        } catch {
          // Not this context's envelope (a store of another context or folder, which the start refuses anyway).
          continue;
        }
        if (typeof occurredAt === "string") stamps.push(occurredAt);
      }
    }
  }
  if (tables.has("event_log")) {
    // A repaired log continues the old numbering (sqlite_sequence) before it holds any event of its own.
    lastSeq = (
      database
        .prepare(
          "SELECT max(coalesce((SELECT max(seq) FROM event_log), 0), coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'event_log'), 0)) AS seq",
        )
        .get() as { seq: number }
    ).seq;
    // Relays of different contexts may append slightly out of stamp order, so the newest page is looked at. Its
    // envelopes are packed (older rows hold the JSON text): unpacked here, not by SQLite's json_extract.
    const newest = marksOnly
      ? []
      : (database
          .prepare(
            `SELECT event_id, ${loggedProducer(database)} AS producer, correlation_id, envelope FROM event_log ORDER BY seq DESC LIMIT 1000`,
          )
          .all() as Parameters<typeof loggedEnvelope>[0][]);
    for (const row of newest) {
      const { occurredAt } = JSON.parse(loggedEnvelope(row)) as { occurredAt?: unknown };
      if (typeof occurredAt === "string") stamps.push(occurredAt);
    }
  }
  const lastStamped = stamps
    .filter((stamp): stamp is string => typeof stamp === "string")
    .sort()
    .pop();
  return {
    path,
    state: "ok",
    schema,
    ...(identity ? { identity } : {}),
    ...(cursor === undefined ? {} : { cursor }),
    ...(deadLetters === undefined ? {} : { deadLetters }),
    ...(lastSeq === undefined ? {} : { lastSeq }),
    ...(lastStamped ? { lastStamped } : {}),
  };
}

/**
 * Record which folder and store a store belongs to (once; kept afterwards). Makes the file when it is new, as the
 * platform would, in WAL mode.
 */
export function stampIdentity(path: string, identity: { readonly folderId: string; readonly store: string }): void {
  const database = new Database(path);
  try {
    // The page size the platform makes its stores with, set before the first write (a store that exists keeps its own).
    database.pragma(`page_size = ${PAGE_SIZE}`);
    database.pragma("journal_mode = WAL");
    database.exec(`CREATE TABLE IF NOT EXISTS ${IDENTITY_TABLE} (folder_id TEXT NOT NULL, store TEXT NOT NULL)`);
    const present = database.prepare(`SELECT count(*) AS count FROM ${IDENTITY_TABLE}`).get() as { count: number };
    if (present.count === 0)
      database
        .prepare(`INSERT INTO ${IDENTITY_TABLE} (folder_id, store) VALUES (?, ?)`)
        .run(identity.folderId, identity.store);
  } finally {
    database.close();
  }
}

function walSize(path: string): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}

function readHeader(path: string): Buffer {
  const header = Buffer.alloc(100);
  const descriptor = openSync(path, "r");
  try {
    readSync(descriptor, header, 0, 100, 0);
  } finally {
    closeSync(descriptor);
  }
  return header;
}

/** The names of `table`'s columns. */
function columnsOf(database: Database.Database, table: string): Set<string> {
  return new Set(
    (database.prepare("SELECT name FROM pragma_table_info(?)").all(table) as { name: string }[]).map((row) => row.name),
  );
}
