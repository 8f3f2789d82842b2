import { createHash } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  cpSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allContexts, devAccounts } from "@ecom/services";
import { createPlatform, type Platform, repairDataFolder } from "@ecom/simulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCheckout } from "../../packages/cli/src/checkout-flow.js";
import { formatRepair } from "../../packages/cli/src/health-format.js";

// Issue 12, findings 1–3: a data folder whose stores were emptied, deleted, truncated, swapped or put back from an
// older copy must never start as if nothing happened (re-driving the log into the store rewrote history); two
// simulators must never share one folder.

const quiet = { info() {}, warn() {}, error() {} };
let work: string;
/** A closed folder after one paid checkout, and the same after a second (declined) one. */
let afterOne: string;
let afterTwo: string;
/** The platform store of another data folder. */
let foreignPlatform: string;
const open: Platform[] = [];

async function checkout(platform: Platform, cardNumber: string) {
  return runCheckout({
    baseUrl: "http://ecom.in-process",
    fetch: platform.fetch,
    wait: () => platform.settle(),
    email: devAccounts.customer.email,
    password: devAccounts.customer.password,
    cardNumber,
    timeoutMs: 20_000,
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "ecom-data-folder-"));
  afterOne = join(work, "after-one");
  afterTwo = join(work, "after-two");
  const platform = await createPlatform({ contexts: allContexts, dataDir: afterOne, seed: 5, log: quiet });
  expect((await checkout(platform, "4242424242424242")).paid).toBe(true);
  await platform.close();
  cpSync(afterOne, afterTwo, { recursive: true });
  const again = await createPlatform({ contexts: allContexts, dataDir: afterTwo, seed: 5, log: quiet });
  expect((await checkout(again, "4000000000000002")).paid).toBe(false);
  await again.close();
  // A platform store of another data folder, for a folder whose own was replaced by it.
  const other = await createPlatform({
    contexts: allContexts,
    dataDir: join(work, "other-folder"),
    seed: 5,
    log: quiet,
  });
  await other.close();
  foreignPlatform = join(work, "other-platform.db");
  copyFileSync(join(work, "other-folder", "platform.db"), foreignPlatform);
});
afterEach(async () => {
  for (const platform of open.splice(0)) await platform.close();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

let copies = 0;
/** A copy of a closed folder to damage. */
function copyOf(folder: string): string {
  const copy = join(work, `copy-${++copies}`);
  cpSync(folder, copy, { recursive: true });
  return copy;
}

/** Every file of a folder with its size and content, to show that a refused start wrote nothing. */
function snapshot(folder: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(folder).sort())
    files[name] = `${statSync(join(folder, name)).size} bytes, sha1 ${createHash("sha1")
      .update(readFileSync(join(folder, name)))
      .digest("hex")}`;
  return files;
}

/** Start on `folder`, expecting a refusal; returns the error after checking that nothing in the folder changed. */
async function refusedStart(folder: string): Promise<Error & { code?: string; exitCode?: number }> {
  const before = snapshot(folder);
  const error = await createPlatform({ contexts: allContexts, dataDir: folder, seed: 5, log: quiet }).then(
    (platform) => {
      open.push(platform);
      throw new Error("the platform started");
    },
    (refusal: Error) => refusal,
  );
  expect(snapshot(folder)).toEqual(before);
  return error;
}

describe("a data folder that lost state", () => {
  it.each([
    [
      "emptied (truncate -s 0)",
      (path: string) => truncateSync(path, 0),
      /order\.db is empty \(0 bytes\), but this folder's manifest says it held the order context's store/,
    ],
    [
      "deleted",
      (path: string) => rmSync(path),
      /order\.db is missing, but this folder's manifest says it held the order context's store/,
    ],
    [
      "truncated to half",
      (path: string) => truncateSync(path, Math.floor(statSync(path).size / 2 / 4096) * 4096 + 100),
      /order\.db is truncated/,
    ],
    [
      "overwritten by another file",
      (path: string) => writeFileSync(path, "not a database at all"),
      /order\.db is not an SQLite database/,
    ],
    [
      "with damaged pages inside a whole file",
      (path: string) => {
        const pages = Math.floor(statSync(path).size / 4096);
        const descriptor = openSync(path, "r+");
        try {
          for (const page of [2, 3, 5, 8, 13, 21].filter((page) => page < pages))
            writeSync(descriptor, Buffer.alloc(4096, 0xff), 0, 4096, page * 4096);
        } finally {
          closeSync(descriptor);
        }
      },
      /order\.db cannot be read: its pages are damaged \(/,
    ],
  ])(
    "a store %s stops the start naming the file and what to do, and nothing is re-driven into it",
    async (_name, damage, want) => {
      const folder = copyOf(afterTwo);
      damage(join(folder, "order.db"));
      const error = await refusedStart(folder);
      expect(error).toMatchObject({ name: "DataFolderError", code: "damaged", exitCode: 1 });
      expect(error.message).toMatch(want);
      expect(error.message).toContain(`ecom sim reset --data ${folder}`);
    },
  );

  it("a store put back from an older copy is behind the manifest, and the start stops", async () => {
    const folder = copyOf(afterTwo);
    copyFileSync(join(afterOne, "order.db"), join(folder, "order.db"));
    const error = await refusedStart(folder);
    expect(error.message).toMatch(/order\.db is behind: it has handled the event log up to #\d+, but had reached #\d+/);
  });

  it("another context's store, or one from another data folder, is foreign", async () => {
    const swapped = copyOf(afterTwo);
    copyFileSync(join(afterTwo, "catalog.db"), join(swapped, "order.db"));
    expect((await refusedStart(swapped)).message).toMatch(
      /order\.db belongs elsewhere: it was made as catalog\.db of data folder dfo_/,
    );

    const other = join(work, "other");
    open.push(await createPlatform({ contexts: allContexts, dataDir: other, seed: 5, log: quiet }));
    await open.pop()!.close();
    const mixed = copyOf(afterTwo);
    copyFileSync(join(other, "payment.db"), join(mixed, "payment.db"));
    expect((await refusedStart(mixed)).message).toMatch(
      /payment\.db belongs elsewhere: it was made as payment\.db of data folder dfo_\w+, and this folder is dfo_/,
    );
  });

  it("an emptied event log stops the start instead of wedging delivery", async () => {
    const folder = copyOf(afterTwo);
    truncateSync(join(folder, "events.db"), 0);
    expect((await refusedStart(folder)).message).toMatch(
      /events\.db is empty \(0 bytes\), but this folder's manifest says it held the event log up to #\d+/,
    );
  });

  it("without a manifest, a log behind what the stores have handled, or a store whose own events are in the log, still stops the start", async () => {
    const emptiedLog = copyOf(afterTwo);
    rmSync(join(emptiedLog, "manifest.json"));
    rmSync(join(emptiedLog, "events.db"));
    expect((await refusedStart(emptiedLog)).message).toMatch(
      /events\.db is behind what the stores have seen: it ends at event #0, but .*order \(#\d+\)/,
    );

    const emptiedStore = copyOf(afterTwo);
    rmSync(join(emptiedStore, "manifest.json"));
    truncateSync(join(emptiedStore, "order.db"), 0);
    expect((await refusedStart(emptiedStore)).message).toMatch(
      /order\.db is empty, but the event log holds events the order context published/,
    );
  });

  it("lists every problem at once", async () => {
    const folder = copyOf(afterTwo);
    truncateSync(join(folder, "order.db"), 0);
    rmSync(join(folder, "payment.db"));
    const message = (await refusedStart(folder)).message;
    expect(message).toMatch(/order\.db is empty/);
    expect(message).toMatch(/payment\.db is missing/);
  });
});

describe("a healthy data folder", () => {
  it("restarts, and its manifest names every store with its schema version and high-water marks", async () => {
    const folder = copyOf(afterTwo);
    const platform = await createPlatform({ contexts: allContexts, dataDir: folder, seed: 5, log: quiet });
    open.push(platform);
    const lastSeq = await platform.eventLog.lastSeq();
    await open.pop()!.close();
    const manifest = JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8"));
    expect(manifest).toMatchObject({ format: 1, platformVersion: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(manifest.folderId).toMatch(/^dfo_/);
    expect(Object.keys(manifest.stores).sort()).toEqual(
      ["platform", "events", ...allContexts.map((context) => context.name)].sort(),
    );
    expect(manifest.stores.events).toMatchObject({ file: "events.db", role: "event-log", lastSeq });
    expect(manifest.stores.order).toMatchObject({
      file: "order.db",
      role: "context",
      schema: { _migrations: expect.any(String), _migrations_runtime: expect.any(String) },
      cursor: expect.any(Number),
      published: expect.any(Number),
    });
    expect(manifest.stores.order.published).toBeGreaterThan(0);
    expect(manifest.stores.order.published).toBeLessThanOrEqual(lastSeq);
  });

  it("is held by one platform at a time: a second one is refused naming the holder", async () => {
    const folder = copyOf(afterOne);
    const first = await createPlatform({ contexts: allContexts, dataDir: folder, seed: 5, log: quiet });
    open.push(first);
    const url = await first.listen(0);
    const error = await refusedStart(folder);
    expect(error).toMatchObject({ code: "locked", exitCode: 2 });
    expect(error.message).toContain(`pid ${process.pid}`);
    expect(error.message).toContain(`port ${new URL(url).port}`);
    await open.pop()!.close();
    open.push(await createPlatform({ contexts: allContexts, dataDir: folder, seed: 5, log: quiet }));
  });
});

describe("ecom sim repair", () => {
  it("rebuilds a lost event log that continues the old numbering, says what is lost, and the folder starts again", async () => {
    const folder = copyOf(afterTwo);
    const before = JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8")).stores.events.lastSeq as number;
    truncateSync(join(folder, "events.db"), 0);
    const dry = await repairDataFolder({ dir: folder, contexts: allContexts, dryRun: true });
    expect(dry.applied).toBe(false);
    expect(dry.cannot).toEqual([]);
    expect(dry.rebuild).toEqual([
      expect.objectContaining({
        file: "events.db",
        action: expect.stringContaining(`a new event log numbered from #${before + 1}`),
        loss: expect.stringContaining(`the events up to #${before}`),
      }),
    ]);
    const dryText = formatRepair(dry, folder);
    expect(dryText).toContain("can rebuild (run again with --yes):");
    await refusedStart(folder);

    expect((await repairDataFolder({ dir: folder, contexts: allContexts })).applied).toBe(true);
    const platform = await createPlatform({ contexts: allContexts, dataDir: folder, seed: 5, log: quiet });
    open.push(platform);
    expect((await checkout(platform, "4242424242424242")).paid).toBe(true);
    const [first] = await platform.eventLog.read({ afterSeq: 0, limit: 1 });
    expect(first!.seq).toBe(before + 1);
  });

  it.each([
    ["deleted", (path: string) => rmSync(path)],
    ["emptied (truncate -s 0)", (path: string) => truncateSync(path, 0)],
    ["overwritten by another file", (path: string) => writeFileSync(path, "not a database at all")],
    ["replaced by another folder's", (path: string) => copyFileSync(foreignPlatform, path)],
  ])(
    "makes a platform store %s anew: the folder starts again and the clock does not go back",
    async (_name, damage) => {
      const folder = copyOf(afterTwo);
      // Time moved on after the last event: only the manifest (and the lost store) remember how far.
      const advanced = await createPlatform({ contexts: allContexts, dataDir: folder, seed: 5, log: quiet });
      await advanced.advanceClock(2 * 60 * 60 * 1000);
      const clockBefore = advanced.clock.now().getTime();
      await advanced.close();
      damage(join(folder, "platform.db"));
      expect((await refusedStart(folder)).message).toMatch(/platform\.db /);

      const plan = await repairDataFolder({ dir: folder, contexts: allContexts });
      expect(plan).toMatchObject({ applied: true, cannot: [] });
      expect(plan.rebuild).toEqual([
        expect.objectContaining({ file: "platform.db", loss: expect.stringContaining("Idempotency-Keys") }),
      ]);
      const platform = await createPlatform({ contexts: allContexts, dataDir: folder, seed: 5, log: quiet });
      open.push(platform);
      expect(platform.clock.now().getTime()).toBeGreaterThan(clockBefore);
      expect((await checkout(platform, "4242424242424242")).paid).toBe(true);
    },
  );

  it("reports a store that lost its own facts as something it cannot rebuild, and changes nothing", async () => {
    const folder = copyOf(afterTwo);
    truncateSync(join(folder, "order.db"), 0);
    const plan = await repairDataFolder({ dir: folder, contexts: allContexts });
    expect(plan).toMatchObject({ applied: false, rebuild: [] });
    expect(plan.cannot).toEqual([
      expect.objectContaining({
        file: "order.db",
        action: expect.stringMatching(/its own facts are not all in the event log and are never regenerated from it/),
      }),
    ]);
    expect(formatRepair(plan, folder)).toMatch(/cannot rebuild:\n {2}- order\.db is empty/);
    expect((await refusedStart(folder)).message).toContain(`ecom sim repair --data ${folder}`);
  });

  it("rebuilds a lost search store's read models from the log and reports its interactions lost; the start says so first", async () => {
    const folder = copyOf(afterTwo);
    const before = await createPlatform({ contexts: allContexts, dataDir: folder, seed: 5, log: quiet });
    const hits = async (platform: Platform) =>
      (
        await platform
          .fetch(new Request("http://ecom.in-process/search?q=the&limit=50"))
          .then((response) => response.json())
      ).items as { productId: string }[];
    const found = await hits(before);
    expect(found.length).toBeGreaterThan(0);
    await before.close();
    rmSync(join(folder, "search.db"));

    const refusal = (await refusedStart(folder)).message;
    expect(refusal).toMatch(
      /search\.db is missing, .*; its read models \(search_document, facet, trending, inventory_snapshot\) can be rebuilt from the event log, but the facts it kept beside them are in no event and are lost/,
    );
    const dry = await repairDataFolder({ dir: folder, contexts: allContexts, dryRun: true });
    expect(dry.cannot).toEqual([]);
    expect(dry.rebuild).toEqual([
      expect.objectContaining({
        file: "search.db",
        action:
          "make a new one, its read models (search_document, facet, trending, inventory_snapshot) rebuilt from the event log",
        loss: expect.stringContaining("which no event carries (search_interactions)"),
      }),
    ]);
    expect(formatRepair(dry, folder)).toMatch(/lost for good: the facts search kept beside its read models/);

    expect((await repairDataFolder({ dir: folder, contexts: allContexts })).applied).toBe(true);
    const after = await createPlatform({ contexts: allContexts, dataDir: folder, seed: 5, log: quiet });
    open.push(after);
    expect(await hits(after)).toEqual(found);
    expect((await checkout(after, "4242424242424242")).paid).toBe(true);
  });

  it("rebuilds a lost store of read models only (analytics) from the log, losing nothing", async () => {
    const folder = copyOf(afterTwo);
    truncateSync(join(folder, "analytics.db"), 0);
    expect((await refusedStart(folder)).message).toMatch(
      /analytics\.db is empty \(0 bytes\).*; it holds read models only, which `ecom sim repair --yes` rebuilds from the event log/,
    );
    const plan = await repairDataFolder({ dir: folder, contexts: allContexts });
    expect(plan).toMatchObject({ applied: true, cannot: [] });
    expect(plan.rebuild).toEqual([expect.objectContaining({ file: "analytics.db" })]);
    expect(plan.rebuild[0]!.loss).toBeUndefined();
    open.push(await createPlatform({ contexts: allContexts, dataDir: folder, seed: 5, log: quiet }));
  });

  it("sets a search store put back from an older copy aside and rebuilds its read models, saying the copy keeps its interactions", async () => {
    const folder = copyOf(afterTwo);
    copyFileSync(join(folder, "search.db"), join(folder, "search.db.older"));
    const later = await createPlatform({ contexts: allContexts, dataDir: folder, seed: 5, log: quiet });
    expect((await checkout(later, "4242424242424242")).paid).toBe(true);
    await later.close();
    for (const suffix of ["-wal", "-shm"]) rmSync(join(folder, `search.db${suffix}`), { force: true });
    renameSync(join(folder, "search.db.older"), join(folder, "search.db"));
    expect((await refusedStart(folder)).message).toMatch(/search\.db is behind: .*; its read models .* can be rebuilt/);
    const plan = await repairDataFolder({ dir: folder, contexts: allContexts });
    expect(plan).toMatchObject({ applied: true, cannot: [] });
    expect(plan.rebuild).toEqual([
      expect.objectContaining({
        file: "search.db",
        action: expect.stringMatching(/^set it aside and make a new one/),
        loss: expect.stringMatching(/\(search_interactions\).*; the set-aside copy keeps what it still held$/),
      }),
    ]);
    expect(readdirSync(folder).some((name) => /^search\.db\.damaged-/.test(name))).toBe(true);
    open.push(await createPlatform({ contexts: allContexts, dataDir: folder, seed: 5, log: quiet }));
  });
});
