import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MAX_SKIP } from "./seeded-random.js";
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
  /**
   * The snapshot kept under `key`; undefined when there is none, it is too old to use at `now`, or it is refused:
   * damaged, or in a file or folder another user could have written (`refused` says which and why).
   */
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
/** The most draws a snapshot may say the seed made: a start skips that many, so a header saying 10^15 would hang it. */
const MAX_SNAPSHOT_DRAWS = MAX_SKIP;

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
 * them (@ecom/sdk's, @ecom/services' and this package's, seed data included). A change to any makes a new key, so a
 * snapshot of other code is never used. Contexts are named, not their options: the platform keeps snapshots only of
 * the contexts `allContexts` holds (platform.ts), whose name says what they are.
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

/** The packages whose code decides a seed: the sdk (message registry, validators, generated constants), services, this. */
export function fingerprintedPackages(): readonly string[] {
  const require = createRequire(import.meta.url);
  const root = (name: string) => dirname(dirname(require.resolve(name)));
  return [root("@ecom/sdk"), root("@ecom/services"), fileURLToPath(new URL("..", import.meta.url))];
}

/**
 * Whether this process runs the packages' TypeScript sources (vitest's `source` condition) rather than their build:
 * then the sources are what the fingerprint must cover, a stale `dist` saying nothing of them.
 */
const fromSource = import.meta.url.endsWith(".ts");

let fingerprint: string | undefined;

function codeFingerprint(): string {
  fingerprint ??= codeFingerprintOf(fingerprintedPackages(), fromSource ? "src" : "dist");
  return fingerprint;
}

/**
 * A hash of the code in the packages at `roots`: each package.json, and for the build the record of its sources
 * (`dist/.tsbuildinfo`, which `tsc -b` writes anew whenever a module changes) or, where there is none, its modules;
 * for `src`, every file under it. Reading three records instead of some 400 modules keeps this off start-up's time.
 */
export function codeFingerprintOf(roots: readonly string[], code: "dist" | "src"): string {
  const hash = createHash("sha256");
  for (const root of roots) {
    hash.update(readFileSync(join(root, "package.json")));
    const folder = join(root, code);
    const buildInfo = join(folder, ".tsbuildinfo");
    if (code === "dist" && existsSync(buildInfo)) {
      hash.update(readFileSync(buildInfo));
      continue;
    }
    const names = readdirSync(folder, { recursive: true, encoding: "utf8" })
      .filter((name) => (code === "dist" ? name.endsWith(".js") : statSync(join(folder, name)).isFile()))
      .sort();
    for (const name of names)
      hash
        .update(name)
        .update("\0")
        .update(readFileSync(join(folder, name)))
        .update("\0");
  }
  return hash.digest("hex");
}

/**
 * Seed snapshots kept in `dir` (made when first written, 0700; each file 0600). A start runs the code a snapshot's
 * stores hold, so one is used only from a folder and file owned by this user and writable by no one else: the
 * SHA-256 in the header catches damage, not a forgery (anyone who can write the file can write its hash too).
 * `refused` hears why a snapshot that is there was not used.
 */
export function openSeedSnapshots(
  dir: string,
  options: { readonly refused?: (reason: string) => void } = {},
): SeedSnapshots {
  const pathOf = (key: string) => join(dir, `${key}.snapshot`);
  const refuse = (reason: string) => {
    options.refused?.(reason);
    return undefined;
  };
  return {
    read(key, now) {
      const path = pathOf(key);
      let bytes: Buffer;
      let descriptor: number;
      try {
        // Not through a link: the file itself is what is checked.
        descriptor = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        return refuse(`${path} cannot be opened (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      }
      try {
        const unsafe = unsafeBecause(statSync(dir), dir) ?? unsafeBecause(fstatSync(descriptor), path);
        if (unsafe) return refuse(unsafe);
        bytes = readFileSync(descriptor);
      } finally {
        closeSync(descriptor);
      }
      const decoded = decode(bytes, key);
      if (typeof decoded === "string") return refuse(`${path} ${decoded}`);
      if (!decoded.seeded && Math.abs(now.getTime() - decoded.clock.getTime()) > UNSEEDED_MAX_AGE_MS) return undefined;
      return decoded;
    },
    write(key, snapshot) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // A folder made before snapshots were kept private: close it (it is this user's, or the write fails below).
      const folder = statSync(dir);
      if ((folder.mode & 0o077) !== 0 && folder.uid === process.getuid?.()) chmodSync(dir, 0o700);
      const temporary = join(dir, `.${key}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
      try {
        // A new file (never one already there, nor through a link) readable by this user alone; the rename keeps it so.
        writeFileSync(temporary, encode(key, snapshot), { mode: 0o600, flag: "wx" });
        renameSync(temporary, pathOf(key));
      } finally {
        rmSync(temporary, { force: true });
      }
      prune(dir);
    },
  };
}

/** Why a snapshot file or folder with these stats must not be trusted: another user owns it, or others may write it. */
function unsafeBecause(stats: Stats, path: string): string | undefined {
  const uid = process.getuid?.();
  // Windows has no uid nor these mode bits; its user's cache folder is private by default.
  if (uid === undefined) return undefined;
  if (stats.uid !== uid) return `${path} is owned by uid ${stats.uid}, not this user (${uid})`;
  if ((stats.mode & 0o022) !== 0)
    return `${path} is writable by its group or others (mode ${(stats.mode & 0o777).toString(8)})`;
  return undefined;
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

/** The snapshot in `bytes`, or why it is not used: not one, another key's, damaged (truncated, altered) or absurd. */
function decode(bytes: Buffer, key: string): SeedSnapshot | string {
  if (bytes.subarray(0, MAGIC.length).toString("utf8") !== MAGIC) return "is not a seed snapshot";
  const end = bytes.indexOf(0x0a, MAGIC.length);
  if (end < 0) return "has no header";
  let header: unknown;
  try {
    header = JSON.parse(bytes.subarray(MAGIC.length, end).toString("utf8"));
  } catch {
    return "has a damaged header";
  }
  const body = bytes.subarray(end + 1);
  const problem = headerProblem(header, body.length);
  if (problem) return `has ${problem}`;
  const valid = header as Header;
  if (valid.key !== key) return "is another key's";
  if (createHash("sha256").update(body).digest("hex") !== valid.sha256) return "is damaged (its SHA-256 differs)";
  const stores = new Map<string, Buffer>();
  let offset = 0;
  for (const [name, length] of valid.stores) {
    stores.set(name, body.subarray(offset, offset + length));
    offset += length;
  }
  return { seeded: valid.seeded, clock: new Date(valid.clock), draws: valid.draws, ids: valid.ids, stores };
}

/** What is wrong with a parsed header, for a body of `bodyLength` bytes; undefined when it is a {@link Header}. */
function headerProblem(header: unknown, bodyLength: number): string | undefined {
  if (typeof header !== "object" || header === null) return "a header that is not an object";
  const { key, seeded, clock, draws, ids, stores, sha256 } = header as Record<string, unknown>;
  if (typeof key !== "string" || typeof seeded !== "boolean" || typeof sha256 !== "string")
    return "a header missing its key, seeded or sha256";
  if (typeof clock !== "string" || !Number.isFinite(Date.parse(clock))) return "no valid clock";
  if (!Number.isSafeInteger(draws) || (draws as number) < 0 || (draws as number) > MAX_SNAPSHOT_DRAWS)
    return `draws ${JSON.stringify(draws)} out of 0..${MAX_SNAPSHOT_DRAWS}`;
  const state = ids as Partial<UlidState> | null;
  if (
    typeof state !== "object" ||
    state === null ||
    !Number.isSafeInteger(state.lastTime) ||
    !Array.isArray(state.randomPart) ||
    state.randomPart.length !== 16 ||
    !state.randomPart.every((digit) => Number.isInteger(digit) && digit >= 0 && digit < 32)
  )
    return "no valid id generator state";
  if (!Array.isArray(stores)) return "no list of stores";
  let total = 0;
  for (const store of stores) {
    if (
      !Array.isArray(store) ||
      store.length !== 2 ||
      typeof store[0] !== "string" ||
      !Number.isSafeInteger(store[1]) ||
      store[1] < 0
    )
      return "a store that is not a name and a length";
    total += store[1] as number;
  }
  if (total !== bodyLength) return `stores of ${total} bytes in a body of ${bodyLength}`;
  return undefined;
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
