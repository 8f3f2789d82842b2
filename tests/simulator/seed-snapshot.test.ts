import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allContexts, paymentContext } from "@ecom/services";
import type { AnyContextModule, Logger } from "@ecom/services/platform";
import { createPlatform, openSeedSnapshots, type Platform, seedSnapshotKey } from "@ecom/simulator";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { createPaymentContext } from "../../packages/services/src/payment/index.js";
import { quiet, shopAt } from "./shop.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function snapshotFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "ecom-seed-snapshots-"));
  dirs.push(dir);
  return dir;
}

async function withPlatform<T>(
  options: {
    readonly seed: number;
    readonly seedSnapshots?: string;
    readonly log?: Logger;
    readonly contexts?: readonly AnyContextModule[];
  },
  use: (platform: Platform) => Promise<T>,
): Promise<T> {
  const platform = await createPlatform({ contexts: allContexts, memory: true, log: quiet, ...options });
  try {
    return await use(platform);
  } finally {
    await platform.close();
  }
}

const get = async (platform: Platform, url: string) => {
  const response = await platform.handle({ method: "GET", url, headers: {}, body: "" });
  expect(response.status, url).toBe(200);
  return JSON.parse(response.body) as unknown;
};

/**
 * What a start shows: the whole event log, each context's cursor, lag and dead letters, read models over REST; then
 * what a checkout makes on top (ids, times and events follow from the generators' state).
 */
async function observe(platform: Platform) {
  const seeded = await platform.eventLog.read({ afterSeq: 0, limit: 10_000 });
  const { contexts, clock, eventLogSeq } = await platform.health();
  const readModels = {
    search: await get(platform, "/search?q=history"),
    products: await get(platform, "/products?limit=100"),
    categories: await get(platform, "/categories"),
  };
  const shop = shopAt(platform);
  const order = await shop.paidOrder(await shop.register());
  const after = await platform.eventLog.read({ afterSeq: eventLogSeq, limit: 10_000 });
  return { seeded, contexts, clock, eventLogSeq, readModels, order, after: after.map((event) => event.envelope) };
}

describe("a seed snapshot", () => {
  it("starts the platform with a fresh seed's state, and ids, times and events go on as after that seed", async () => {
    const dir = snapshotFolder();
    // The first checkout in a process loads modules lazily (the SOAP client among them), which lets other work in
    // meanwhile and so draws ids in another order than a start whose modules are already loaded. The three starts
    // compared all come after one that loaded them, so they differ only in how they start.
    await withPlatform({ seed: 8 }, observe);
    const fresh = await withPlatform({ seed: 7 }, observe);
    const seeding = await withPlatform({ seed: 7, seedSnapshots: dir }, observe);
    expect(readdirSync(dir)).toHaveLength(1);
    const fromSnapshot = await withPlatform({ seed: 7, seedSnapshots: dir }, observe);

    expect(fresh.seeded.length).toBeGreaterThan(200);
    expect(seeding).toEqual(fresh);
    expect(fromSnapshot).toEqual(fresh);
  });

  /** Start once to keep a snapshot in `dir`, then retitle its first product in the snapshot; the product's id. */
  async function retitledInSnapshot(dir: string): Promise<string> {
    const { productId } = await withPlatform({ seed: 7, seedSnapshots: dir }, async (platform) => {
      const { items } = (await get(platform, "/products?limit=1")) as { items: { productId: string }[] };
      return items[0]!;
    });
    const snapshots = openSeedSnapshots(dir);
    const key = seedSnapshotKey({ seed: 7, contexts: allContexts.map((context) => context.name) });
    const kept = snapshots.read(key, new Date())!;
    const catalog = new Database(kept.stores.get("catalog")!);
    catalog.prepare("update products set title = ? where product_id = ?").run("Changed in the snapshot", productId);
    snapshots.write(key, { ...kept, stores: new Map([...kept.stores, ["catalog", catalog.serialize()]]) });
    catalog.close();
    return productId;
  }

  it("is what the start begins with: a change made to it shows", async () => {
    const dir = snapshotFolder();
    const productId = await retitledInSnapshot(dir);
    const served = await withPlatform({ seed: 7, seedSnapshots: dir }, (platform) =>
      get(platform, `/products/${productId}`),
    );
    expect((served as { title: string }).title).toBe("Changed in the snapshot");
  });

  it.runIf(process.getuid !== undefined)(
    "that its group may write is not used: the start seeds, and warns once saying why",
    async () => {
      const dir = snapshotFolder();
      const productId = await retitledInSnapshot(dir);
      const [file] = readdirSync(dir);
      chmodSync(join(dir, file!), 0o660);
      const warnings: string[] = [];
      const served = await withPlatform(
        { seed: 7, seedSnapshots: dir, log: { ...quiet, warn: (message: string) => warnings.push(message) } },
        (platform) => get(platform, `/products/${productId}`),
      );
      expect((served as { title: string }).title).not.toBe("Changed in the snapshot");
      expect(warnings).toEqual([
        `the seed snapshot is not used, the start seeds instead: ${join(dir, file!)} is writable by its group or others (mode 660)`,
      ]);
    },
  );

  it("is neither used nor kept for a context built otherwise than allContexts' of the same name", async () => {
    const dir = snapshotFolder();
    const productId = await retitledInSnapshot(dir);
    const [kept] = readdirSync(dir);
    const ownPayment = allContexts.map((module) =>
      module === paymentContext ? createPaymentContext({ soap: false }) : module,
    );
    const served = await withPlatform({ seed: 7, seedSnapshots: dir, contexts: ownPayment }, (platform) =>
      get(platform, `/products/${productId}`),
    );
    expect((served as { title: string }).title).not.toBe("Changed in the snapshot");
    expect(readdirSync(dir)).toEqual([kept]);
  });

  it("of another seed is not used: the start seeds and keeps its own", async () => {
    const dir = snapshotFolder();
    const seven = await withPlatform({ seed: 7, seedSnapshots: dir }, (platform) =>
      platform.eventLog.read({ afterSeq: 0, limit: 5 }),
    );
    const eight = await withPlatform({ seed: 8, seedSnapshots: dir }, (platform) =>
      platform.eventLog.read({ afterSeq: 0, limit: 5 }),
    );
    expect(eight.map((event) => event.eventId)).not.toEqual(seven.map((event) => event.eventId));
    expect(readdirSync(dir)).toHaveLength(2);
  });

  it("that is damaged is not used: the start seeds, and keeps a good one in its place", async () => {
    const dir = snapshotFolder();
    const fresh = await withPlatform({ seed: 7 }, (platform) => platform.eventLog.read({ afterSeq: 0, limit: 10_000 }));
    await withPlatform({ seed: 7, seedSnapshots: dir }, async () => {});
    const [file] = readdirSync(dir);
    const path = join(dir, file!);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length / 2));

    const seeded = await withPlatform({ seed: 7, seedSnapshots: dir }, (platform) =>
      platform.eventLog.read({ afterSeq: 0, limit: 10_000 }),
    );
    expect(seeded).toEqual(fresh);
    expect(readFileSync(path).length).toBe(bytes.length);
  });
});
