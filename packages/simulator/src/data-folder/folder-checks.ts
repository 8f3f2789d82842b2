import type { DataFolderManifest, StoreRole } from "./manifest.js";
import type { StoreInspection } from "./store-inspection.js";

/** A store the platform expects in the folder. */
export interface ExpectedStore {
  /** `platform`, `events`, or the context's name; the file is `<name>.db`. */
  readonly name: string;
  readonly role: StoreRole;
  /** A context whose store holds only read models, which `ecom replay` rebuilds from the log. */
  readonly readModel?: boolean;
  /**
   * A context store that keeps read models (these contexts.yaml projections) beside facts of its own that no event
   * carries and no other context refers to (search: its index, and the interactions customers report). A lost one
   * can have its read models rebuilt from the log; its facts are lost for good.
   */
  readonly readModelsBesideFacts?: readonly string[];
}

/**
 * How a problem can be mended: `log` (a new event log that continues the old numbering), `platform` (a new platform
 * store; the clock resumes from the manifest and the events), `replay` (read models only: a new store rebuilt from
 * the log), `read-models` (a new store with its read models rebuilt from the log and its private facts lost),
 * `manifest` (rewritten from the stores), or `none` (original facts others refer to: only a backup has them).
 */
export type Remedy = "log" | "platform" | "replay" | "read-models" | "manifest" | "none";

/** One reason a folder cannot be started as it is. */
export interface FolderProblem {
  readonly store: string;
  readonly file: string;
  /** What is wrong, naming the file. */
  readonly message: string;
  readonly remedy: Remedy;
}

/** The inspected stores of a folder, by store name. */
export type Inspections = ReadonlyMap<string, StoreInspection>;

const LOST_STATES = new Set(["absent", "empty", "fresh"]);

/**
 * Check every store against the manifest and against each other. A store the manifest lists must be there, hold
 * tables, be whole, belong to this folder and not be behind its recorded marks; the event log must hold at least as
 * many events as any store has handled. Without a manifest (a folder from before manifests), a context store that is
 * new while the log holds its own events has lost them.
 */
export function checkStores(
  stores: readonly ExpectedStore[],
  inspections: Inspections,
  manifest: DataFolderManifest | undefined,
): FolderProblem[] {
  const problems: FolderProblem[] = [];
  const folderId = manifest?.folderId ?? majorityIdentity(inspections);
  for (const store of stores) {
    const found = inspections.get(store.name);
    if (!found) continue;
    const file = `${store.name}.db`;
    const listed = manifest?.stores[store.name];
    const add = (message: string, remedy: Remedy = remedyOf(store)) =>
      problems.push({ store: store.name, file, message: `${file} ${message}${remedyHint(store, remedy)}`, remedy });
    switch (found.state) {
      case "not-sqlite":
        add(`is not an SQLite database (${found.detail}): damaged, or another file put in its place`);
        continue;
      case "truncated":
        add(`is truncated (${found.detail})`);
        continue;
      case "unreadable":
        add(`cannot be read: ${found.detail}`);
        continue;
      default:
        break;
    }
    if (LOST_STATES.has(found.state)) {
      if (listed) add(`is ${lostWord(found.state)}, but this folder's manifest says it ${heldWhat(store, listed)}`);
      continue;
    }
    if (found.identity && folderId && (found.identity.folderId !== folderId || found.identity.store !== store.name)) {
      add(
        `belongs elsewhere: it was made as ${found.identity.store}.db of data folder ${found.identity.folderId}, and this folder is ${folderId}`,
        // The platform store holds nothing another store refers to: a new one replaces a foreign one as a lost one.
        store.role === "platform" ? "platform" : "none",
      );
      continue;
    }
    if (listed?.cursor !== undefined && (found.cursor ?? 0) < listed.cursor)
      add(
        `is behind: it has handled the event log up to #${found.cursor ?? 0}, but had reached #${listed.cursor} (an older copy put back?)`,
      );
    if (listed?.lastSeq !== undefined && (found.lastSeq ?? 0) < listed.lastSeq)
      add(
        `is behind: it ends at event #${found.lastSeq ?? 0}, but had reached #${listed.lastSeq} (an older copy put back?)`,
      );
  }
  problems.push(...logBehindStores(stores, inspections, problems));
  return problems;
}

/** The log must reach every cursor: a subscriber ahead of the log would wait forever for numbers already used. */
function logBehindStores(
  stores: readonly ExpectedStore[],
  inspections: Inspections,
  already: readonly FolderProblem[],
): FolderProblem[] {
  const log = inspections.get("events");
  if (!log || already.some((problem) => problem.store === "events")) return [];
  const lastSeq = log.lastSeq ?? 0;
  const ahead = stores
    .filter((store) => store.role === "context" && (inspections.get(store.name)?.cursor ?? 0) > lastSeq)
    .map((store) => `${store.name} (#${inspections.get(store.name)?.cursor})`);
  if (ahead.length === 0) return [];
  return [
    {
      store: "events",
      file: "events.db",
      message: `events.db is behind what the stores have seen: it ends at event #${lastSeq}, but ${ahead.join(", ")} handled events past that (emptied, or an older copy put back?)`,
      remedy: "log",
    },
  ];
}

/** How a lost or damaged store of this kind is mended. */
export function remedyOf(store: ExpectedStore): Remedy {
  if (store.role === "event-log") return "log";
  if (store.role === "platform") return "platform";
  if (store.readModel) return "replay";
  return store.readModelsBesideFacts ? "read-models" : "none";
}

/** What a start check says a store of read models can have rebuilt, and what is lost with it. */
export function remedyHint(store: ExpectedStore, remedy: Remedy): string {
  if (remedy === "replay")
    return "; it holds read models only, which `ecom sim repair --yes` rebuilds from the event log";
  if (remedy === "read-models")
    return `; its read models (${(store.readModelsBesideFacts ?? []).join(", ")}) can be rebuilt from the event log, but the facts it kept beside them are in no event and are lost (\`ecom sim repair --yes\` rebuilds it without them; a backup has them)`;
  return "";
}

function lostWord(state: string): string {
  return state === "absent" ? "missing" : state === "empty" ? "empty (0 bytes)" : "emptied (it holds no tables)";
}

function heldWhat(store: ExpectedStore, listed: DataFolderManifest["stores"][string]): string {
  if (store.role === "event-log") return `held the event log up to #${listed.lastSeq ?? 0}`;
  if (store.role === "platform") return "held the platform's clock and Idempotency-Keys";
  return `held the ${store.name} context's store${listed.cursor ? ` (it had handled the log up to #${listed.cursor})` : ""}`;
}

/** Without a manifest, the folder id most stores carry. */
function majorityIdentity(inspections: Inspections): string | undefined {
  const counts = new Map<string, number>();
  for (const found of inspections.values())
    if (found.identity) counts.set(found.identity.folderId, (counts.get(found.identity.folderId) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}
