import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { AnyContextModule } from "@ecom/services/platform";
import Database from "better-sqlite3";
import type { Kysely } from "kysely";
// The files, not the folder's index: the data folder's repair calls back into replay.
import { isDataFolderError } from "../data-folder/data-folder-error.js";
import { type DataFolderLock, lockDataFolder } from "../data-folder/folder-lock.js";
import { EventLog } from "../event-log.js";
import { migrate, openSqliteStore } from "../sqlite-store.js";
import { isLostStore, keepsPrivateFactsOnly, recreateContextStore } from "./lost-store.js";
import {
  type ContextReplay,
  chooseContexts,
  type DeliveryState,
  ReplayError,
  type ReplayLog,
  type ReplayProgress,
  type ReplayReport,
  readModelsOf,
  rebuildProjections,
} from "./projection-rebuild.js";
import { copyTable, diffTable } from "./table-diff.js";

export { type ContextReplay, ReplayError, type ReplayProgress, type ReplayReport } from "./projection-rebuild.js";

/** What to replay. */
export interface ReplayOptions {
  /** The data folder of a stopped platform. */
  readonly dataDir: string;
  /** Every context the platform runs (their projections are looked up here). */
  readonly contexts: readonly AnyContextModule[];
  /** Only these contexts' read models (by context name); all that have any when absent. */
  readonly only?: readonly string[] | undefined;
  /** Rebuild into a scratch store and compare with the live one, changing nothing. */
  readonly verify?: boolean | undefined;
  /** Called after each page of events applied. */
  readonly onProgress?: ((progress: ReplayProgress) => void) | undefined;
  /** Events per page (tests use small pages). */
  readonly pageSize?: number;
}

/**
 * Rebuild read models from the event log of a stopped platform's data folder, with the very projection functions the
 * running platform applies on delivery. Each context's projections are rebuilt into a scratch store (the context's
 * own migrations, nothing else in it, so a projection that read anything but its events and tables would show), from
 * the log's events of their types up to the context's delivery cursor (what the live tables reflect), skipping events
 * the context dead-lettered (whose effects were rolled back). Then either the live tables are compared with the
 * rebuild row by row (`verify`) or replaced by it, in one transaction per context.
 */
export async function replayReadModels(options: ReplayOptions): Promise<ReplayReport> {
  const { dataDir } = options;
  const logFile = join(dataDir, "events.db");
  if (!existsSync(logFile))
    throw new ReplayError(`${dataDir} holds no event log (events.db); point --data at a platform's data folder`);
  const chosen = chooseContexts(options.contexts, options.only);
  for (const module of chosen) {
    const file = join(dataDir, `${module.name}.db`);
    if (options.verify && isLostStore(file))
      throw new ReplayError(`${file} is missing or emptied; run ecom replay without --verify to rebuild it`);
  }
  // Held for the whole replay: a simulator that starts meanwhile is refused, and a running one refuses replay.
  let lock: DataFolderLock;
  try {
    lock = lockDataFolder(dataDir, { purpose: "replay" });
  } catch (error) {
    if (isDataFolderError(error)) throw new ReplayError(error.message);
    throw error;
  }
  try {
    return await replayChosen(chosen, options);
  } finally {
    lock.release();
  }
}

/**
 * Rebuild the read models of `contexts` in a folder whose lock the caller holds (`ecom sim repair`, after it set a
 * lost or damaged store aside): each missing store is made anew and filled from the log.
 */
export async function replayHeldFolder(options: {
  readonly dataDir: string;
  readonly contexts: readonly AnyContextModule[];
}): Promise<ReplayReport> {
  return replayChosen(options.contexts, { dataDir: options.dataDir, contexts: options.contexts });
}

async function replayChosen(chosen: readonly AnyContextModule[], options: ReplayOptions): Promise<ReplayReport> {
  const eventLog = await EventLog.open(join(options.dataDir, "events.db"));
  try {
    const contexts: ContextReplay[] = [];
    for (const module of chosen) contexts.push(await replayContext(module, eventLog, options));
    return {
      verified: options.verify === true,
      contexts,
      events: contexts.reduce((sum, context) => sum + context.events, 0),
    };
  } finally {
    await eventLog.close();
  }
}

async function replayContext(
  module: AnyContextModule,
  eventLog: EventLog,
  options: ReplayOptions,
): Promise<ContextReplay> {
  const { projections, tables } = readModelsOf(module);
  const liveFile = join(options.dataDir, `${module.name}.db`);
  const scratchFile = join(options.dataDir, `.replay-${module.name}.db`);
  removeStore(scratchFile);

  // A lost store is made anew and its read models rebuilt from the whole log; its subscriber then resumes after the
  // log's end. Facts no event carries (search's interactions) are lost, and said so; a context whose facts the log and
  // other contexts refer to (review, catalog) is refused: only a backup has them.
  let recreated: { upTo: number; lostFacts: string[] } | undefined;
  if (isLostStore(liveFile)) {
    const facts = await recreateContextStore(module, liveFile);
    if (facts.length > 0 && !keepsPrivateFactsOnly(module.name)) {
      removeStore(liveFile);
      throw new ReplayError(
        `${liveFile} is missing or emptied, and ${module.name} kept original facts there too (${facts.join(", ")}) that its events and other contexts refer to; replay rebuilds read models only: restore the file from a backup`,
      );
    }
    recreated = { upTo: await eventLog.highWater(), lostFacts: facts };
  }

  const live = new Database(liveFile);
  try {
    live.pragma("busy_timeout = 5000");
    const delivery = deliveryState(live);
    const upTo = recreated?.upTo ?? delivery.upTo;
    const events = await rebuild(module, eventLog, scratchFile, { ...delivery, upTo }, options);

    live.prepare("attach database ? as rebuilt").run(scratchFile);
    try {
      if (options.verify) {
        const differences = tables.map((table) => diffTable(live, table)).filter((difference) => !!difference);
        return { context: module.name, projections, tables, events, differences };
      }
      live.transaction(() => {
        for (const table of tables) copyTable(live, table);
        if (recreated !== undefined)
          live.prepare("insert into _cursor (name, seq) values ('subscriptions', ?)").run(recreated.upTo);
      })();
      return {
        context: module.name,
        projections,
        tables,
        events,
        differences: [],
        ...(recreated ? { recreated: { lostFacts: recreated.lostFacts } } : {}),
      };
    } finally {
      live.prepare("detach database rebuilt").run();
    }
  } finally {
    live.close();
    removeStore(scratchFile);
  }
}

/** How far the context's subscriber got, and which events it gave up on. */
function deliveryState(live: Database.Database): DeliveryState {
  const hasRuntime = live
    .prepare("select 1 from sqlite_master where type = 'table' and name = '_cursor'")
    .get() as unknown;
  if (!hasRuntime) return { upTo: 0, deadLetters: new Set() };
  const cursor = live.prepare("select seq from _cursor where name = 'subscriptions'").get() as
    | { seq: number }
    | undefined;
  const dead = live.prepare("select event_id from _dead_letter").all() as { event_id: string }[];
  return { upTo: cursor?.seq ?? 0, deadLetters: new Set(dead.map((row) => row.event_id)) };
}

/** Apply the log to fresh projection tables in `scratchFile`; resolves with the events applied. */
async function rebuild(
  module: AnyContextModule,
  eventLog: EventLog,
  scratchFile: string,
  delivery: DeliveryState,
  options: ReplayOptions,
): Promise<number> {
  const scratch = openSqliteStore<unknown>(scratchFile);
  try {
    await migrate(scratch.db as Kysely<unknown>, module.migrations, { label: module.name, table: "_migrations" });
    return await rebuildProjections({
      module,
      log: eventLogPages(eventLog),
      scratch: scratch.db as Kysely<unknown>,
      delivery,
      pageSize: options.pageSize,
      onProgress: options.onProgress,
    });
  } finally {
    scratch.checkpoint();
    await scratch.close();
  }
}

/** The SQLite event log as replay reads it: pages of a few types by seq, counted by an index. */
function eventLogPages(eventLog: EventLog): ReplayLog {
  return {
    async *pages({ types, upTo, pageSize }) {
      let afterSeq = 0;
      for (;;) {
        const page = (await eventLog.read({ afterSeq, types, limit: pageSize })).filter((event) => event.seq <= upTo);
        if (page.length === 0) return;
        yield page;
        if (page.length < pageSize) return;
        afterSeq = page.at(-1)!.seq;
      }
    },
    count: ({ types, upTo }) => eventLog.count({ upToSeq: upTo, types }),
  };
}

function removeStore(file: string): void {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
}
