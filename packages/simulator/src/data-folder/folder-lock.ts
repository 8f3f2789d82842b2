import { randomBytes } from "node:crypto";
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { DataFolderError, type DataFolderHolder } from "./data-folder-error.js";

/** The lock file's name inside a data folder. */
export const LOCK_FILE = "lock";

interface LockRecord extends DataFolderHolder {
  /** Tells this holder's lock from a later one of the same pid. */
  readonly token: string;
}

/** A held data folder lock. */
export interface DataFolderLock {
  /** The folder it locks. */
  readonly dir: string;
  /** Record where the holder serves, so a second start can name it. */
  update(where: { readonly port: number; readonly url: string }): void;
  /** Give the folder up (only if the lock file is still this one). */
  release(): void;
}

/** Folders this process holds, so a second platform in the same process is refused too. */
const heldHere = new Set<string>();

/**
 * Take a data folder's exclusive lock: a `lock` file created with O_EXCL that names the holder (pid, host, purpose,
 * and once it listens, its port and URL). A folder another live process holds is refused with a `locked`
 * {@link DataFolderError} naming that process; the lock of a process that is gone (killed, crashed) is taken over.
 * The folder must exist ({@link ensureDataFolder}).
 */
export function lockDataFolder(dir: string, options: { readonly purpose?: string } = {}): DataFolderLock {
  const folder = resolve(dir);
  const path = join(folder, LOCK_FILE);
  const record: LockRecord = {
    pid: process.pid,
    hostname: hostname(),
    purpose: options.purpose ?? "simulator",
    startedAt: new Date().toISOString(),
    token: randomBytes(8).toString("hex"),
  };
  for (let attempt = 0; ; attempt++) {
    if (createExclusively(path, record)) break;
    const holder = readRecord(path);
    if (holder && isAlive(holder, folder)) throw lockedError(folder, holder);
    if (attempt >= 3) throw new DataFolderError("unusable", `cannot take the lock ${path}: it keeps changing`);
    // Stale: move it aside by rename (atomic), then check that what moved is the stale lock read above and not a
    // fresh one another starter made meanwhile; if it was fresh, put it back and report that holder.
    const aside = `${path}.stale-${record.token}`;
    try {
      renameSync(path, aside);
    } catch {
      continue;
    }
    const moved = readRecord(aside);
    if (moved && holder && moved.token !== holder.token && isAlive(moved, folder)) {
      try {
        linkSync(aside, path);
      } catch {}
      unlinkQuietly(aside);
      throw lockedError(folder, moved);
    }
    unlinkQuietly(aside);
  }
  heldHere.add(folder);
  let current: LockRecord = record;
  return {
    dir: folder,
    update(where) {
      current = { ...current, port: where.port, url: where.url };
      const temporary = `${path}.${record.token}`;
      writeFileSync(temporary, `${JSON.stringify(current, null, 2)}\n`);
      renameSync(temporary, path);
    },
    release() {
      if (!heldHere.delete(folder)) return;
      if (readRecord(path)?.token === record.token) unlinkQuietly(path);
    },
  };
}

/**
 * Who holds a data folder now: the live holder of its lock, or undefined when the folder is free (no lock, or the
 * lock of a process that is gone). `ecom replay` uses it to refuse a folder a simulator runs on.
 */
export function readDataFolderLock(dir: string): DataFolderHolder | undefined {
  const folder = resolve(dir);
  const holder = readRecord(join(folder, LOCK_FILE));
  if (!holder || !isAlive(holder, folder)) return undefined;
  const { token: _token, ...visible } = holder;
  return visible;
}

/** One line naming the holder: `pid 4242 (ecom sim up on port 4000)`. */
export function describeHolder(holder: DataFolderHolder): string {
  const what = holder.purpose === "simulator" ? "ecom sim up" : `ecom ${holder.purpose}`;
  const where =
    holder.port !== undefined ? ` on port ${holder.port}${holder.url ? `, ${holder.url}` : ""}` : ", still starting";
  const host = holder.hostname === hostname() ? "" : ` on host ${holder.hostname}`;
  return `pid ${holder.pid}${host} (${what}${where}, since ${holder.startedAt})`;
}

function lockedError(folder: string, holder: DataFolderHolder): DataFolderError {
  return new DataFolderError(
    "locked",
    `the data folder ${folder} is in use by ${describeHolder(holder)}; stop it first, or pass --data <another folder>`,
    { holder },
  );
}

function createExclusively(path: string, record: LockRecord): boolean {
  let descriptor: number;
  try {
    descriptor = openSync(path, "wx", 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    throw new DataFolderError(
      "unusable",
      `cannot write the lock ${path} (${code ?? "error"}); pass --data <a folder you can write to>`,
    );
  }
  try {
    writeSync(descriptor, `${JSON.stringify(record, null, 2)}\n`);
  } finally {
    closeSync(descriptor);
  }
  return true;
}

function readRecord(path: string): LockRecord | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockRecord>;
    if (typeof parsed.pid === "number" && typeof parsed.token === "string") {
      return {
        pid: parsed.pid,
        hostname: String(parsed.hostname ?? ""),
        purpose: String(parsed.purpose ?? "simulator"),
        startedAt: String(parsed.startedAt ?? ""),
        token: parsed.token,
        ...(typeof parsed.port === "number" ? { port: parsed.port } : {}),
        ...(typeof parsed.url === "string" ? { url: parsed.url } : {}),
      };
    }
  } catch {}
  // Unreadable (a crash while it was being written): nobody can be proved to hold it, so it is stale.
  return { pid: 0, hostname: hostname(), purpose: "unknown", startedAt: "", token: "" };
}

/** Whether the process a lock names still runs (on another host we cannot tell, so it counts as alive). */
function isAlive(holder: LockRecord, folder: string): boolean {
  if (holder.pid <= 0) return false;
  if (holder.hostname !== hostname()) return true;
  if (holder.pid === process.pid) return heldHere.has(folder);
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {}
}
