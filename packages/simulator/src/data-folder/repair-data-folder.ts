import { existsSync, renameSync } from "node:fs";
import { join, resolve } from "node:path";
import type { AnyContextModule } from "@ecom/services/platform";
import Database from "better-sqlite3";
import { EventLog } from "../event-log.js";
import { factTablesOf } from "../replay/lost-store.js";
import { replayHeldFolder } from "../replay/read-model-replay.js";
import { DataFolderError } from "./data-folder-error.js";
import { checkStores, type ExpectedStore, type FolderProblem } from "./folder-checks.js";
import { lockDataFolder } from "./folder-lock.js";
import { type DataFolderManifest, MANIFEST_FILE, readManifest, writeManifest } from "./manifest.js";
import { expectedStores, inspectAll, lostWithoutManifest } from "./open-data-folder.js";
import { stampIdentity } from "./store-inspection.js";

/** One thing `ecom sim repair` does, or cannot do. */
export interface RepairStep {
  readonly file: string;
  /** What is wrong (the start check's message). */
  readonly problem: string;
  /** What the repair does about it, or why it cannot. */
  readonly action: string;
  /** What is lost for good even after the repair. */
  readonly loss?: string;
}

/** What `ecom sim repair` found, and did (or would do). */
export interface RepairPlan {
  readonly dir: string;
  readonly rebuild: readonly RepairStep[];
  readonly cannot: readonly RepairStep[];
  /** Whether the rebuild steps were carried out (false for a dry run). */
  readonly applied: boolean;
}

/**
 * Look at a data folder as a start would, and mend what can be mended without inventing history: a lost or
 * behind event log becomes a new log that continues the old numbering (so every cursor stays valid; the lost events
 * stay lost), a lost or foreign platform store is made anew at the next start (the clock resumes from the manifest
 * and the events; recent Idempotency-Keys are forgotten), an unreadable manifest is rewritten from the stores. A
 * context store of read models is made anew and rebuilt from the log (search's interactions, facts no event carries,
 * are reported lost); a store that lost facts the log and other contexts refer to is reported, never regenerated.
 * Works under the folder's lock.
 */
export function repairDataFolder(options: {
  readonly dir: string;
  /** Every context the platform runs: its stores are checked, and its read models rebuilt with its projections. */
  readonly contexts: readonly AnyContextModule[];
  readonly dryRun?: boolean;
}): Promise<RepairPlan> {
  return repairLocked(resolve(options.dir), options.contexts, options.dryRun ?? false);
}

async function repairLocked(dir: string, contexts: readonly AnyContextModule[], dryRun: boolean): Promise<RepairPlan> {
  const stores = expectedStores(contexts);
  if (!existsSync(dir)) throw new DataFolderError("unusable", `there is no data folder ${dir}; pass --data <dir>`);
  const lock = lockDataFolder(dir, { purpose: "sim repair" });
  try {
    let manifest: DataFolderManifest | undefined;
    const rebuild: RepairStep[] = [];
    const cannot: RepairStep[] = [];
    let manifestUnreadable = false;
    try {
      manifest = readManifest(dir);
    } catch (error) {
      manifestUnreadable = true;
      rebuild.push({
        file: MANIFEST_FILE,
        problem: (error as Error).message,
        action: "set it aside and write a new one from the stores",
        loss: "the marks it held (the checks of this repair and of the next start are weaker without them)",
      });
    }
    const inspections = inspectAll(dir, stores, { checkPages: true });
    const problems: FolderProblem[] = [
      ...checkStores(stores, inspections, manifest),
      ...lostWithoutManifest(stores, inspections, manifest),
    ];
    const highest = Math.max(
      0,
      ...[...inspections.values()].map((found) => Math.max(found.cursor ?? 0, found.lastSeq ?? 0)),
      ...Object.values(manifest?.stores ?? {}).map((entry) =>
        Math.max(entry.cursor ?? 0, entry.lastSeq ?? 0, entry.published ?? 0),
      ),
    );
    const logSteps = problems.filter((problem) => problem.remedy === "log");
    if (logSteps.length > 0) {
      const found = inspections.get("events");
      const whole = found?.state === "ok";
      rebuild.push({
        file: "events.db",
        problem: logSteps.map((problem) => problem.message).join("; "),
        action: whole
          ? `keep its ${found?.lastSeq ?? 0} events and number new ones from #${highest + 1}, past every number a store has seen`
          : `${found?.state === "absent" ? "make" : "set the damaged file aside and make"} a new event log numbered from #${highest + 1}, past every number a store has seen`,
        loss: `the events up to #${highest} that it no longer holds: \`ecom replay\` and event streams cannot show them, and a read model rebuilt later misses them`,
      });
    }
    for (const problem of problems.filter((problem) => problem.remedy === "platform"))
      rebuild.push({
        file: problem.file,
        problem: problem.message,
        action:
          "set it aside; the next start makes a new one, and the clock resumes where the manifest last saw it, past the newest event",
        loss: "the Idempotency-Keys of the last 24 h: a request retried with one runs again",
      });
    const readModels = await readModelSteps(dir, contexts, stores, problems);
    rebuild.push(...readModels);
    for (const problem of problems.filter((problem) => problem.remedy === "none"))
      cannot.push({
        file: problem.file,
        problem: problem.message,
        action: `its own facts are not all in the event log and are never regenerated from it: put ${problem.file} back from a backup, or start over with \`ecom sim reset --data ${dir}\``,
      });
    const plan = { dir, rebuild, cannot, applied: false };
    if (dryRun || rebuild.length === 0) return plan;

    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const aside = (file: string) => {
      for (const suffix of ["", "-wal", "-shm"])
        if (existsSync(join(dir, `${file}${suffix}`)))
          renameSync(join(dir, `${file}${suffix}`), join(dir, `${file}.damaged-${stamp}${suffix}`));
    };
    if (manifestUnreadable) aside(MANIFEST_FILE);
    const unlisted = new Set<string>();
    if (logSteps.length > 0) {
      if (inspections.get("events")?.state !== "ok") aside("events.db");
      await continueNumbering(join(dir, "events.db"), highest);
      unlisted.add("events");
    }
    for (const step of rebuild.filter((step) => step.file === "platform.db")) {
      aside(step.file);
      unlisted.add("platform");
    }
    // After the log's repair, so that the read models are rebuilt from the log the next start serves.
    for (const step of readModels) aside(step.file);
    const rebuilt = new Set(readModels.map((step) => step.file));
    if (rebuilt.size > 0)
      await replayHeldFolder({ dataDir: dir, contexts: contexts.filter((module) => rebuilt.has(`${module.name}.db`)) });
    // The manifest forgets what was rebuilt (its marks no longer hold) and keeps every other mark.
    if (manifest) {
      const stores = Object.fromEntries(Object.entries(manifest.stores).filter(([name]) => !unlisted.has(name)));
      writeManifest(dir, { ...manifest, updatedAt: new Date().toISOString(), stores });
      if (unlisted.has("events"))
        stampIdentity(join(dir, "events.db"), { folderId: manifest.folderId, store: "events" });
    }
    return { ...plan, applied: true };
  } finally {
    lock.release();
  }
}

/** Make (or keep) the log and have its next sequence number follow `highest`. */
async function continueNumbering(path: string, highest: number): Promise<void> {
  const log = await EventLog.open(path);
  await log.close();
  const database = new Database(path);
  try {
    const row = database.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'event_log'").get() as
      | { seq: number }
      | undefined;
    if (!row) database.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('event_log', ?)").run(highest);
    else if (row.seq < highest)
      database.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = 'event_log'").run(highest);
  } finally {
    database.close();
  }
}

/**
 * One step per context store of read models with a problem: set it aside and make a new one, its read models rebuilt
 * from the log. A store that kept facts of its own beside them (search's interactions, in no event) loses those, and
 * the step says which; the set-aside copy keeps what it still held.
 */
async function readModelSteps(
  dir: string,
  contexts: readonly AnyContextModule[],
  stores: readonly ExpectedStore[],
  problems: readonly FolderProblem[],
): Promise<RepairStep[]> {
  const steps: RepairStep[] = [];
  for (const store of stores) {
    const found = problems.filter(
      (problem) => problem.store === store.name && (problem.remedy === "replay" || problem.remedy === "read-models"),
    );
    const module = contexts.find((context) => context.name === store.name);
    if (found.length === 0 || !module) continue;
    const names = (module.projections ?? []).map((projection) => projection.name).join(", ");
    const facts = found.some((problem) => problem.remedy === "read-models") ? await factTablesOf(module) : [];
    const file = `${store.name}.db`;
    const present = existsSync(join(dir, file));
    steps.push({
      file,
      problem: found.map((problem) => problem.message).join("; "),
      action: `${present ? "set it aside and make" : "make"} a new one, its read models (${names}) rebuilt from the event log`,
      ...(facts.length > 0
        ? {
            loss: `the facts ${store.name} kept beside its read models, which no event carries (${facts.join(", ")}): the new store starts without them${present ? "; the set-aside copy keeps what it still held" : ""}`,
          }
        : {}),
    });
  }
  return steps;
}
