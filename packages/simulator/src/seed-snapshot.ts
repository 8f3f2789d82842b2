import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { UlidState } from "./ulid-ids.js";

/**
 * The seeded state of an in-memory platform: every store as SQLite would write it, and where the clock and the id
 * generator stood when the seed had settled.
 */
export interface SeedSnapshot {
  /** Under `--seed`: the clock is frozen, so a snapshot stays right however old it is. */
  readonly seeded: boolean;
  /** The platform clock's time when the seed had settled. */
  readonly clock: Date;
  /** How many numbers the seeded random had drawn. */
  readonly draws: number;
  readonly ids: UlidState;
  /** Each store's database by name (`platform`, `events`, one per context), as `serialize()` gave it. */
  readonly stores: ReadonlyMap<string, Buffer>;
}

/** A folder of seed snapshots, one per key. */
export interface SeedSnapshots {
  /** The snapshot kept under `key`; undefined when there is none, it is damaged, or it is too old to use at `now`. */
  read(key: string, now: Date): SeedSnapshot | undefined;
  /** Keep `snapshot` under `key`, replacing the one there in one step (a concurrent start reads one or the other). */
  write(key: string, snapshot: SeedSnapshot): void;
}

const MAGIC = "ecom-seed-snapshot 1\n";
/**
 * An unseeded run's seed stamps rows with the real time it ran (the seeded coupons' year of validity starts then):
 * a snapshot older than a day is not used, and the seed runs (and is kept) again.
 */
export const UNSEEDED_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** Snapshots kept in the folder, the most recently written first: one per `--seed` in use, and the unseeded one. */
const KEPT = 8;
/** A temporary file this old is a write that died before its rename. */
const ABANDONED_MS = 10 * 60 * 1000;

interface Header {
  readonly key: string;
  readonly seeded: boolean;
  readonly clock: string;
  readonly draws: number;
  readonly ids: UlidState;
  readonly stores: readonly (readonly [name: string, bytes: number])[];
  /** SHA-256 of everything after the header line. */
  readonly sha256: string;
}

/**
 * What decides the seeded state: the `--seed` (or none), the contexts run, and the code that migrates and seeds
 * them (@ecom/services' and this package's build, seed data included). A change to any makes a new key, so a
 * snapshot of other code is never used.
 */
export function seedSnapshotKey(parts: {
  readonly seed: number | undefined;
  readonly contexts: readonly string[];
  readonly code?: string;
}): string {
  return createHash("sha256")
    .update(JSON.stringify([parts.seed ?? null, parts.contexts, parts.code ?? codeFingerprint()]))
    .digest("hex")
    .slice(0, 32);
}

let fingerprint: string | undefined;

/**
 * A hash of @ecom/services' and this package's code (once per process): each package.json, and the build's record
 * of its sources (`dist/.tsbuildinfo`, which `tsc -b` writes anew whenever a module changes); where a build has no
 * such record, its modules themselves. Reading two records instead of some 230 modules keeps this off start-up's time.
 */
function codeFingerprint(): string {
  if (fingerprint) return fingerprint;
  const services = dirname(dirname(createRequire(import.meta.url).resolve("@ecom/services")));
  const simulator = fileURLToPath(new URL("..", import.meta.url));
  const hash = createHash("sha256");
  for (const root of [services, simulator]) {
    hash.update(readFileSync(join(root, "package.json")));
    const dist = join(root, "dist");
    const buildInfo = join(dist, ".tsbuildinfo");
    if (existsSync(buildInfo)) {
      hash.update(readFileSync(buildInfo));
      continue;
    }
    const names = readdirSync(dist, { recursive: true, encoding: "utf8" })
      .filter((name) => name.endsWith(".js"))
      .sort();
    for (const name of names)
      hash
        .update(name)
        .update("\0")
        .update(readFileSync(join(dist, name)))
        .update("\0");
  }
  fingerprint = hash.digest("hex");
  return fingerprint;
}

/** Seed snapshots kept in `dir` (made when first written). */
export function openSeedSnapshots(dir: string): SeedSnapshots {
  const pathOf = (key: string) => join(dir, `${key}.snapshot`);
  return {
    read(key, now) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(pathOf(key));
      } catch {
        return undefined;
      }
      const snapshot = decode(bytes, key);
      if (!snapshot) return undefined;
      if (!snapshot.seeded && Math.abs(now.getTime() - snapshot.clock.getTime()) > UNSEEDED_MAX_AGE_MS)
        return undefined;
      return snapshot;
    },
    write(key, snapshot) {
      mkdirSync(dir, { recursive: true });
      const temporary = join(dir, `.${key}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
      try {
        writeFileSync(temporary, encode(key, snapshot));
        renameSync(temporary, pathOf(key));
      } finally {
        rmSync(temporary, { force: true });
      }
      prune(dir);
    },
  };
}

function encode(key: string, snapshot: SeedSnapshot): Buffer {
  const stores = [...snapshot.stores];
  const body = Buffer.concat(stores.map(([, bytes]) => bytes));
  const header: Header = {
    key,
    seeded: snapshot.seeded,
    clock: snapshot.clock.toISOString(),
    draws: snapshot.draws,
    ids: snapshot.ids,
    stores: stores.map(([name, bytes]) => [name, bytes.length]),
    sha256: createHash("sha256").update(body).digest("hex"),
  };
  return Buffer.concat([Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`), body]);
}

/** The snapshot in `bytes`, or undefined when it is not one, is another key's, or is damaged (truncated, altered). */
function decode(bytes: Buffer, key: string): SeedSnapshot | undefined {
  if (bytes.subarray(0, MAGIC.length).toString("utf8") !== MAGIC) return undefined;
  const end = bytes.indexOf(0x0a, MAGIC.length);
  if (end < 0) return undefined;
  let header: Header;
  try {
    header = JSON.parse(bytes.subarray(MAGIC.length, end).toString("utf8")) as Header;
  } catch {
    return undefined;
  }
  const body = bytes.subarray(end + 1);
  if (header.key !== key || createHash("sha256").update(body).digest("hex") !== header.sha256) return undefined;
  const stores = new Map<string, Buffer>();
  let offset = 0;
  for (const [name, length] of header.stores) {
    stores.set(name, body.subarray(offset, offset + length));
    offset += length;
  }
  if (offset !== body.length) return undefined;
  return { seeded: header.seeded, clock: new Date(header.clock), draws: header.draws, ids: header.ids, stores };
}

/** Keep the {@link KEPT} most recent snapshots, and clear temporary files of writes that died. */
function prune(dir: string): void {
  const now = Date.now();
  const snapshots: { path: string; modified: number }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      const modified = statSync(path).mtimeMs;
      if (name.endsWith(".snapshot")) snapshots.push({ path, modified });
      else if (name.endsWith(".tmp") && now - modified > ABANDONED_MS) rmSync(path, { force: true });
    } catch {
      // Another start removed it first.
    }
  }
  snapshots.sort((a, b) => b.modified - a.modified);
  for (const { path } of snapshots.slice(KEPT)) rmSync(path, { force: true });
}
