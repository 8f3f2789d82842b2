import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { keepsPrivateFactsOnly } from "../replay/lost-store.js";
import { DataFolderError } from "./data-folder-error.js";
import {
  checkStores,
  type ExpectedStore,
  type FolderProblem,
  type Inspections,
  remedyHint,
  remedyOf,
} from "./folder-checks.js";
import { type DataFolderLock, lockDataFolder } from "./folder-lock.js";
import { ensureDataFolder } from "./folder-path.js";
import { type DataFolderManifest, type ManifestStore, newFolderId, readManifest, writeManifest } from "./manifest.js";
import {
  type InspectOptions,
  inspectStore,
  loggedProducer,
  type StoreInspection,
  stampIdentity,
} from "./store-inspection.js";

/** The version of ecom that writes manifests (the simulator package's). */
export const PLATFORM_VERSION: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/**
 * The stores of a platform running `contexts`: its own, the event log, one per context, each with what a lost one can
 * have rebuilt (read models only; read models beside facts only it knows; or nothing, when others refer to its facts).
 */
export function expectedStores(
  contexts: readonly {
    readonly name: string;
    readonly readModel?: boolean;
    readonly projections?: readonly { readonly name: string }[];
  }[],
): ExpectedStore[] {
  const besideFacts = (context: (typeof contexts)[number]) =>
    !context.readModel && (context.projections ?? []).length > 0 && keepsPrivateFactsOnly(context.name)
      ? { readModelsBesideFacts: (context.projections ?? []).map((projection) => projection.name) }
      : {};
  return [
    { name: "platform", role: "platform" },
    { name: "events", role: "event-log" },
    ...contexts.map((context) => ({
      name: context.name,
      role: "context" as const,
      ...(context.readModel ? { readModel: true } : {}),
      ...besideFacts(context),
    })),
  ];
}

/** A data folder that passed its checks and is held by this process. */
export interface OpenedDataFolder {
  readonly dir: string;
  readonly folderId: string;
  /** The latest `occurredAt` of any event in the folder: the clock resumes past it. */
  readonly lastStamped: Date | undefined;
  /**
   * The virtual clock when the manifest was last written: the clock resumes past it too, so a platform store made
   * anew (by `ecom sim repair`) does not take the clock back to the newest event when time was advanced after it.
   */
  readonly lastClock: Date | undefined;
  /** Record where the simulator serves (in the lock, for a second start to name). */
  recordListening(port: number, url: string): void;
  /** Note events the log took, for the per-context high-water marks. */
  notePublished(events: readonly { readonly seq: number; readonly producer: string }[]): void;
  /** Look at the stores again and rewrite the manifest with their marks (only ever higher). */
  saveManifest(clock: Date): void;
  /** Save the manifest one last time and give up the lock. */
  close(clock: Date): void;
  /** Give up the lock without writing (a start that failed). */
  release(): void;
}

/**
 * Open a data folder for a simulator: check the path (making the folder if new), take its lock, inspect every store
 * and check it against the manifest and the log. Nothing is written until every check passes; then each store is
 * stamped with the folder's identity and the manifest is written. A `damaged` {@link DataFolderError} lists every
 * problem, naming each file and what to do.
 */
export function openDataFolder(options: {
  readonly dir: string;
  readonly stores: readonly ExpectedStore[];
  readonly purpose?: string;
}): OpenedDataFolder {
  const dir = ensureDataFolder(options.dir);
  const lock = lockDataFolder(dir, options.purpose ? { purpose: options.purpose } : {});
  try {
    return openLocked(dir, options.stores, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

function openLocked(dir: string, stores: readonly ExpectedStore[], lock: DataFolderLock): OpenedDataFolder {
  const manifest = readManifest(dir);
  const inspections = inspectAll(dir, stores, { checkPages: true });
  const problems = [
    ...checkStores(stores, inspections, manifest),
    ...lostWithoutManifest(stores, inspections, manifest),
  ];
  if (problems.length > 0) throw damagedError(dir, problems);

  const folderId =
    manifest?.folderId ??
    [...inspections.values()].find((found) => found.identity)?.identity?.folderId ??
    newFolderId();
  for (const store of stores) {
    const found = inspections.get(store.name)!;
    if (!found.identity) stampIdentity(found.path, { folderId, store: store.name });
  }
  const createdAt = manifest?.createdAt ?? new Date().toISOString();
  const published = new Map<string, number>(
    Object.entries(manifest?.stores ?? {}).flatMap(([name, entry]) =>
      entry.published === undefined ? [] : [[name, entry.published] as const],
    ),
  );
  let previous = manifest?.stores ?? {};
  const write = (current: Inspections, clock: Date | undefined) => {
    const entries: Record<string, ManifestStore> = {};
    for (const store of stores) {
      const found = current.get(store.name);
      entries[store.name] = manifestEntry(store, found, previous[store.name], published.get(store.name));
    }
    previous = entries;
    const next: DataFolderManifest = {
      format: 1,
      folderId,
      platformVersion: PLATFORM_VERSION,
      createdAt,
      updatedAt: new Date().toISOString(),
      ...(clock ? { clock: clock.toISOString() } : manifest?.clock ? { clock: manifest.clock } : {}),
      stores: entries,
    };
    writeManifest(dir, next);
  };
  write(inspections, undefined);
  const readMarks = marksReader(dir, stores);
  const lastStamped = [...inspections.values()]
    .map((found) => found.lastStamped)
    .filter((stamp): stamp is string => stamp !== undefined)
    .sort()
    .pop();

  return {
    dir,
    folderId,
    lastStamped: lastStamped ? new Date(lastStamped) : undefined,
    lastClock: manifest?.clock && !Number.isNaN(Date.parse(manifest.clock)) ? new Date(manifest.clock) : undefined,
    recordListening: (port, url) => lock.update({ port, url }),
    notePublished(events) {
      for (const event of events)
        published.set(event.producer, Math.max(published.get(event.producer) ?? 0, event.seq));
    },
    saveManifest: (clock) => write(readMarks(), clock),
    close(clock) {
      try {
        write(readMarks(), clock);
      } finally {
        lock.release();
      }
    },
    release: () => lock.release(),
  };
}

/**
 * Reads the marks a manifest keeps of every expected store of `dir` (a running platform saves it every few seconds:
 * platform-settle.ts), reading a store again only when its file or its WAL changed since (size or modification
 * time): an idle context's store is not opened at every save. Marks only grow, and a save keeps the higher of what
 * it read and what the manifest held, so a mark read a moment early is only late until the next save.
 */
function marksReader(dir: string, stores: readonly ExpectedStore[]): () => Map<string, StoreInspection> {
  const last = new Map<string, { readonly signature: string; readonly found: StoreInspection }>();
  return () =>
    new Map(
      stores.map((store) => {
        const path = join(dir, `${store.name}.db`);
        const signature = fileSignature(path);
        const before = last.get(store.name);
        if (before && signature !== undefined && before.signature === signature) return [store.name, before.found];
        const found = inspectStore(path, { marksOnly: true });
        if (signature === undefined) last.delete(store.name);
        else last.set(store.name, { signature, found });
        return [store.name, found];
      }),
    );
}

/** A store file's and its WAL's sizes and modification times (nanoseconds); undefined when the file is missing. */
function fileSignature(path: string): string | undefined {
  const stat = (file: string) => statSync(file, { bigint: true, throwIfNoEntry: false });
  const database = stat(path);
  if (!database) return undefined;
  const wal = stat(`${path}-wal`);
  return `${database.size}:${database.mtimeNs}:${wal?.size ?? "-"}:${wal?.mtimeNs ?? "-"}`;
}

/** Inspect every expected store of `dir`. */
export function inspectAll(
  dir: string,
  stores: readonly ExpectedStore[],
  options: InspectOptions = {},
): Map<string, StoreInspection> {
  return new Map(stores.map((store) => [store.name, inspectStore(join(dir, `${store.name}.db`), options)]));
}

/**
 * A folder from before manifests cannot say which stores it had; but a context store that is new while the log holds
 * events that context published has lost them.
 */
export function lostWithoutManifest(
  stores: readonly ExpectedStore[],
  inspections: Inspections,
  manifest: DataFolderManifest | undefined,
): FolderProblem[] {
  const log = inspections.get("events");
  if (manifest || !log || log.state !== "ok" || (log.lastSeq ?? 0) === 0) return [];
  const lost = stores.filter(
    (store) =>
      store.role === "context" && ["absent", "empty", "fresh"].includes(inspections.get(store.name)?.state ?? ""),
  );
  if (lost.length === 0) return [];
  // Read-write on purpose: a read-only connection to a WAL database leaves -wal and -shm files behind.
  const database = new Database(log.path, { fileMustExist: true });
  try {
    const has = database.prepare(`SELECT 1 FROM event_log WHERE ${loggedProducer(database)} = ? LIMIT 1`);
    return lost
      .filter((store) => has.get(store.name) !== undefined)
      .map((store) => ({
        store: store.name,
        file: `${store.name}.db`,
        message: `${store.name}.db is ${inspections.get(store.name)?.state === "absent" ? "missing" : "empty"}, but the event log holds events the ${store.name} context published from it${remedyHint(store, remedyOf(store))}`,
        remedy: remedyOf(store),
      }));
  } finally {
    database.close();
  }
}

function manifestEntry(
  store: ExpectedStore,
  found: StoreInspection | undefined,
  before: ManifestStore | undefined,
  published: number | undefined,
): ManifestStore {
  const higher = (now: number | undefined, then: number | undefined) =>
    now === undefined && then === undefined ? undefined : Math.max(now ?? 0, then ?? 0);
  const schema = found && Object.keys(found.schema).length > 0 ? found.schema : (before?.schema ?? {});
  const cursor = store.role === "context" ? higher(found?.cursor, before?.cursor) : undefined;
  const lastSeq = store.role === "event-log" ? higher(found?.lastSeq, before?.lastSeq) : undefined;
  const publishedMark = store.role === "context" ? higher(published, before?.published) : undefined;
  return {
    file: `${store.name}.db`,
    role: store.role,
    schema,
    ...(cursor === undefined ? {} : { cursor }),
    ...(publishedMark === undefined ? {} : { published: publishedMark }),
    ...(lastSeq === undefined ? {} : { lastSeq }),
  };
}

/** One error listing every problem, then what to run. */
export function damagedError(dir: string, problems: readonly FolderProblem[]): DataFolderError {
  const lines = [
    `the data folder ${dir} cannot be started as it is; nothing was changed:`,
    ...problems.map((problem) => `  - ${problem.message}`),
    `Nothing is re-driven from the event log into a store that lost its own state. \`ecom sim repair --data ${dir}\` says what can be rebuilt and what cannot; put lost stores back from a backup, or start over with \`ecom sim reset --data ${dir}\`.`,
  ];
  return new DataFolderError("damaged", lines.join("\n"), { problems: problems.map((problem) => problem.message) });
}
