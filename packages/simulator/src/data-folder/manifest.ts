import { randomBytes } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DataFolderError } from "./data-folder-error.js";

/** The manifest's file name inside a data folder. */
export const MANIFEST_FILE = "manifest.json";

/** What a store is for: the platform's own (clock, Idempotency-Keys), the event log, or one context's. */
export type StoreRole = "platform" | "event-log" | "context";

/** One store as the manifest remembers it. */
export interface ManifestStore {
  readonly file: string;
  readonly role: StoreRole;
  /** The last migration applied, per migration table (`_migrations`, `_migrations_runtime`): its schema version. */
  readonly schema: Readonly<Record<string, string>>;
  /** Context stores: the log sequence number up to which the context has handled events (its subscription cursor). */
  readonly cursor?: number;
  /** Context stores: the sequence number of the newest event it published that is in the log. */
  readonly published?: number;
  /** The event log: its newest sequence number. */
  readonly lastSeq?: number;
}

/**
 * A data folder's identity and high-water marks. Rewritten (atomically) at start, every few seconds while a
 * simulator runs, and at shutdown; every mark only grows, so a store found below its mark has lost state.
 */
export interface DataFolderManifest {
  readonly format: 1;
  /** Stamped into every store too, so a store copied in from another folder is told apart. */
  readonly folderId: string;
  /** The ecom version that last wrote the folder. */
  readonly platformVersion: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The virtual clock when the manifest was written. */
  readonly clock?: string;
  readonly stores: Readonly<Record<string, ManifestStore>>;
}

/** A new folder id. */
export function newFolderId(): string {
  return `dfo_${randomBytes(10).toString("hex")}`;
}

/** The folder's manifest, or undefined when it has none; an unreadable one is a `damaged` error naming it. */
export function readManifest(dir: string): DataFolderManifest | undefined {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new DataFolderError("unusable", `cannot read ${path} (${(error as NodeJS.ErrnoException).code})`);
  }
  try {
    const manifest = JSON.parse(text) as DataFolderManifest;
    if (manifest.format === 1 && typeof manifest.folderId === "string" && typeof manifest.stores === "object")
      return manifest;
  } catch {}
  throw new DataFolderError(
    "damaged",
    `${path} is not a readable ecom manifest; delete it (while no simulator runs) and the next start rewrites it from the stores`,
  );
}

/** Write the manifest atomically (a temporary file renamed over the old one), so a crash never leaves half of it. */
export function writeManifest(dir: string, manifest: DataFolderManifest): void {
  const path = join(dir, MANIFEST_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(temporary, path);
}
