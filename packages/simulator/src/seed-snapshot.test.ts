import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  codeFingerprintOf,
  fingerprintedPackages,
  openSeedSnapshots,
  type SeedSnapshot,
  seedSnapshotKey,
  UNSEEDED_MAX_AGE_MS,
} from "./seed-snapshot.js";
import { createCountedRandom } from "./seeded-random.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "ecom-seed-snapshot-"));
  dirs.push(dir);
  return dir;
}

const made = new Date("2026-03-01T10:00:00.000Z");
function snapshot(overrides: Partial<SeedSnapshot> = {}): SeedSnapshot {
  return {
    seeded: true,
    clock: made,
    draws: 42,
    ids: { lastTime: made.getTime(), randomPart: Array.from({ length: 16 }, (_, index) => index) },
    stores: new Map([
      ["platform", Buffer.from("platform bytes")],
      ["events", Buffer.from("")],
      ["catalog", Buffer.from([0, 1, 2, 255])],
    ]),
    ...overrides,
  };
}

describe("seed snapshots", () => {
  it("read back what was written under the key: every store's bytes, the clock and the generators' state", () => {
    const snapshots = openSeedSnapshots(join(folder(), "made-on-first-write"));
    snapshots.write("k1", snapshot());
    expect(snapshots.read("k1", made)).toEqual(snapshot());
  });

  it("have nothing under a key never written", () => {
    const snapshots = openSeedSnapshots(folder());
    snapshots.write("k1", snapshot());
    expect(snapshots.read("k2", made)).toBeUndefined();
  });

  it("do not use a file that names another key", () => {
    const dir = folder();
    const snapshots = openSeedSnapshots(dir);
    snapshots.write("k1", snapshot());
    writeFileSync(join(dir, "k2.snapshot"), readFileSync(join(dir, "k1.snapshot")));
    expect(snapshots.read("k2", made)).toBeUndefined();
  });

  it.each([
    ["cut short", (bytes: Buffer) => bytes.subarray(0, bytes.length - 3)],
    ["with a byte of a store changed", (bytes: Buffer) => Buffer.concat([bytes.subarray(0, -1), Buffer.from([7])])],
    [
      "with its header damaged",
      (bytes: Buffer) => Buffer.from(bytes.toString("latin1").replace('"draws":42', '"draws"')),
    ],
    ["of some other content", () => Buffer.from("not a snapshot")],
    ["empty", () => Buffer.alloc(0)],
  ])("do not use a file %s", (_case, damage) => {
    const dir = folder();
    const snapshots = openSeedSnapshots(dir);
    snapshots.write("k1", snapshot());
    const path = join(dir, "k1.snapshot");
    writeFileSync(path, damage(readFileSync(path)));
    expect(snapshots.read("k1", made)).toBeUndefined();
  });

  it("use an unseeded run's snapshot for a day, and a seeded one's whatever its age", () => {
    const snapshots = openSeedSnapshots(folder());
    snapshots.write("unseeded", snapshot({ seeded: false }));
    snapshots.write("seeded", snapshot({ seeded: true }));
    const withinADay = new Date(made.getTime() + UNSEEDED_MAX_AGE_MS);
    const later = new Date(made.getTime() + UNSEEDED_MAX_AGE_MS + 1);
    expect(snapshots.read("unseeded", withinADay)).toBeDefined();
    expect(snapshots.read("unseeded", later)).toBeUndefined();
    expect(snapshots.read("seeded", new Date(made.getTime() + 365 * UNSEEDED_MAX_AGE_MS))).toBeDefined();
  });

  it("replace the snapshot of a key, and keep the eight most recently written", () => {
    const dir = folder();
    const snapshots = openSeedSnapshots(dir);
    for (let index = 0; index < 10; index++) {
      snapshots.write(`k${index}`, snapshot({ draws: index }));
      // Written a second apart, as far as the files' times say.
      const at = new Date(made.getTime() + index * 1000);
      utimesSync(join(dir, `k${index}.snapshot`), at, at);
    }
    snapshots.write("k9", snapshot({ draws: 99 }));
    expect(readdirSync(dir).sort()).toEqual(
      ["k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"].map((k) => `${k}.snapshot`),
    );
    expect(snapshots.read("k9", made)?.draws).toBe(99);
  });

  it("leave no temporary file behind", () => {
    const dir = folder();
    openSeedSnapshots(dir).write("k1", snapshot());
    expect(readdirSync(dir)).toEqual(["k1.snapshot"]);
  });
});

/** `bytes` (a snapshot file) with its header's fields changed by `change`, the body and its SHA-256 left as they were. */
function withHeader(bytes: Buffer, change: (header: Record<string, unknown>) => void): Buffer {
  const start = bytes.indexOf(0x0a) + 1;
  const end = bytes.indexOf(0x0a, start);
  const header = JSON.parse(bytes.subarray(start, end).toString("utf8")) as Record<string, unknown>;
  change(header);
  return Buffer.concat([bytes.subarray(0, start), Buffer.from(JSON.stringify(header)), bytes.subarray(end)]);
}

describe("seed snapshots are private", () => {
  const posix = process.getuid !== undefined;

  it.runIf(posix)(
    "are written in a folder only this user may open (0700), each file readable by this user alone (0600)",
    () => {
      const dir = join(folder(), "made-on-first-write");
      openSeedSnapshots(dir).write("k1", snapshot());
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, "k1.snapshot")).mode & 0o777).toBe(0o600);
    },
  );

  it.runIf(posix)("close a folder others could read when they next write to it", () => {
    const dir = folder();
    chmodSync(dir, 0o755);
    openSeedSnapshots(dir).write("k1", snapshot());
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it.runIf(posix)("are not used from a file its group or others may write, and say why", () => {
    const dir = folder();
    const refused: string[] = [];
    const snapshots = openSeedSnapshots(dir, { refused: (reason) => refused.push(reason) });
    snapshots.write("k1", snapshot());
    chmodSync(join(dir, "k1.snapshot"), 0o620);
    expect(snapshots.read("k1", made)).toBeUndefined();
    expect(refused).toEqual([`${join(dir, "k1.snapshot")} is writable by its group or others (mode 620)`]);
  });

  it.runIf(posix)("are not used from a folder others may write", () => {
    const dir = folder();
    const refused: string[] = [];
    const snapshots = openSeedSnapshots(dir, { refused: (reason) => refused.push(reason) });
    snapshots.write("k1", snapshot());
    chmodSync(dir, 0o777);
    expect(snapshots.read("k1", made)).toBeUndefined();
    expect(refused).toEqual([`${dir} is writable by its group or others (mode 777)`]);
  });

  it("say nothing when there is no snapshot under the key", () => {
    const refused: string[] = [];
    expect(openSeedSnapshots(folder(), { refused: (reason) => refused.push(reason) }).read("k1", made)).toBeUndefined();
    expect(refused).toEqual([]);
  });
});

describe("a seed snapshot's header", () => {
  it.each([
    [
      "draws past the bound (a start would skip them one by one)",
      { draws: 1e15 },
      "draws 1000000000000000 out of 0..10000000",
    ],
    ["draws that are not a whole number", { draws: 1.5 }, "draws 1.5 out of 0..10000000"],
    ["negative draws", { draws: -1 }, "draws -1 out of 0..10000000"],
    ["a clock that is no date", { clock: "yesterday-ish" }, "no valid clock"],
    [
      "a store of negative length",
      {
        stores: [
          ["platform", -4],
          ["events", 0],
          ["catalog", 22],
        ],
      },
      "a store that is not a name and a length",
    ],
    [
      "stores longer than the body",
      {
        stores: [
          ["platform", 14],
          ["events", 0],
          ["catalog", 5],
        ],
      },
      "stores of 19 bytes in a body of 18",
    ],
    ["an id state of another shape", { ids: { lastTime: 1, randomPart: [99] } }, "no valid id generator state"],
  ])("with %s is refused, and says so", (_case, fields, reason) => {
    const dir = folder();
    const refused: string[] = [];
    const snapshots = openSeedSnapshots(dir, { refused: (why) => refused.push(why) });
    snapshots.write("k1", snapshot());
    const path = join(dir, "k1.snapshot");
    writeFileSync(
      path,
      withHeader(readFileSync(path), (header) => Object.assign(header, fields)),
    );
    expect(snapshots.read("k1", made)).toBeUndefined();
    expect(refused).toEqual([`${path} has ${reason}`]);
  });

  it("with draws at most the bound is used", () => {
    const snapshots = openSeedSnapshots(folder());
    snapshots.write("k1", snapshot({ draws: 10_000_000 }));
    expect(snapshots.read("k1", made)?.draws).toBe(10_000_000);
  });
});

describe("createCountedRandom", () => {
  it.each([1e15, -1, 2.5, Number.NaN])("refuses to skip %s draws", (skip) => {
    expect(() => createCountedRandom(7, skip)).toThrow(RangeError);
  });
  it("goes on where a random that drew `skip` numbers stands", () => {
    const drawn = createCountedRandom(7);
    for (let index = 0; index < 5; index++) drawn.next();
    const skipped = createCountedRandom(7, 5);
    expect(skipped.next()).toBe(drawn.next());
    expect(skipped.draws()).toBe(6);
  });
});

describe("seedSnapshotKey", () => {
  const base = { seed: 7, contexts: ["catalog", "inventory"], code: "build-1" } as const;
  it("is the same for the same seed, contexts and code", () => {
    expect(seedSnapshotKey(base)).toBe(seedSnapshotKey({ ...base }));
  });
  it.each([
    ["another seed", { seed: 8 }],
    ["no seed", { seed: undefined }],
    ["other contexts", { contexts: ["catalog"] }],
    ["other code", { code: "build-2" }],
  ])("changes with %s", (_case, change) => {
    expect(seedSnapshotKey({ ...base, ...change })).not.toBe(seedSnapshotKey(base));
  });
  it("names this build's code when none is given", () => {
    const { code: _code, ...withoutCode } = base;
    expect(seedSnapshotKey(withoutCode)).toBe(seedSnapshotKey(withoutCode));
    expect(seedSnapshotKey(withoutCode)).not.toBe(seedSnapshotKey(base));
  });
});

describe("the code a seed snapshot's key names", () => {
  it("is the sdk's, services' and the simulator's", () => {
    const names = fingerprintedPackages().map(
      (root) => (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string }).name,
    );
    expect(names).toEqual(["@ecom/sdk", "@ecom/services", "@ecom/simulator"]);
  });

  /** Three packages' roots, each a package.json, a build record and a source module, in a new folder. */
  function packages(): string[] {
    const base = folder();
    return ["sdk", "services", "simulator"].map((name) => {
      const root = join(base, name);
      mkdirSync(join(root, "dist"), { recursive: true });
      mkdirSync(join(root, "src", "seed-data"), { recursive: true });
      writeFileSync(join(root, "package.json"), `{"name":"@ecom/${name}","version":"0.1.0"}`);
      writeFileSync(join(root, "dist", ".tsbuildinfo"), `{"root":["${name} build 1"]}`);
      writeFileSync(join(root, "src", "seed-data", "books.json"), "[]");
      return root;
    });
  }
  const keyOf = (roots: readonly string[], code: "dist" | "src") =>
    seedSnapshotKey({ seed: 7, contexts: ["catalog"], code: codeFingerprintOf(roots, code) });

  it.each([
    ["the sdk's build record", "dist", "dist/.tsbuildinfo"],
    ["the sdk's package.json", "dist", "package.json"],
    ["a file of the sdk's sources, run from source", "src", "src/seed-data/books.json"],
  ] as const)("changes with %s", (_case, code, file) => {
    const roots = packages();
    const before = keyOf(roots, code);
    expect(keyOf(roots, code)).toBe(before);
    writeFileSync(join(roots[0]!, file), `${readFileSync(join(roots[0]!, file), "utf8")} `);
    expect(keyOf(roots, code)).not.toBe(before);
  });

  it("covers a build without a record module by module", () => {
    const roots = packages();
    rmSync(join(roots[0]!, "dist", ".tsbuildinfo"));
    writeFileSync(join(roots[0]!, "dist", "index.js"), "export const schemaVersion = 1;");
    const before = keyOf(roots, "dist");
    writeFileSync(join(roots[0]!, "dist", "index.js"), "export const schemaVersion = 2;");
    expect(keyOf(roots, "dist")).not.toBe(before);
  });
});
