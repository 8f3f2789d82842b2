import { createHash, createHmac } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allContexts } from "@ecom/services";
import { type AnyContextModule, defineContext, type Ids, type TokenService } from "@ecom/services/platform";
import { createPlatform, type Platform, type PlatformOptions } from "@ecom/simulator";
import Database from "better-sqlite3";

// What the adversarial suite shares: a whole platform on a data folder of its own (so its stores can be hashed),
// the platform's token service to act as anyone, and the forged tokens an attacker would try.

const quiet = { info() {}, warn() {}, error() {} };

/** A running platform for an attack, with the tools to act as anyone and to see whether anything changed. */
export interface SecurityKit {
  readonly platform: Platform;
  readonly url: string;
  readonly dataDir: string;
  readonly tokens: TokenService;
  readonly ids: Ids;
  /** A valid access token of `customerId` with `role`. */
  token(customerId: string, role?: "customer" | "admin"): string;
  /** A hash of every row of every store and the event log (the clock's saved time aside). */
  stateHash(): Promise<string>;
  close(): Promise<void>;
}

/** Start every context (seeded) on a fresh data folder and listen on a free loopback port. */
export async function startKit(options: Partial<PlatformOptions> = {}): Promise<SecurityKit> {
  let tokens: TokenService | undefined;
  let ids: Ids | undefined;
  const testKit: AnyContextModule = defineContext<unknown>({
    name: "testkit",
    migrations: {},
    create(runtime) {
      tokens = runtime.tokens;
      ids = runtime.ids;
      return {};
    },
  });
  const dataDir = mkdtempSync(join(tmpdir(), "ecom-security-"));
  const platform = await createPlatform({
    contexts: [...allContexts, testKit],
    dataDir,
    seed: 11,
    log: quiet,
    ...options,
  });
  const url = await platform.listen(0);
  return {
    platform,
    url,
    dataDir,
    tokens: tokens!,
    ids: ids!,
    token: (customerId, role = "customer") => tokens!.issue({ customerId, role }, { expiresInSeconds: 3600 }),
    async stateHash() {
      await platform.settle();
      return hashDataFolder(dataDir);
    },
    async close() {
      await platform.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every table of every store in `dataDir`, read through SQLite (so the WAL's committed rows count), hashed. */
export function hashDataFolder(dataDir: string): string {
  const hash = createHash("sha256");
  for (const file of readdirSync(dataDir)
    .filter((name) => name.endsWith(".db"))
    .sort()) {
    const db = new Database(join(dataDir, file), { readonly: true, fileMustExist: true });
    try {
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .all() as { name: string }[];
      for (const { name } of tables) {
        hash.update(`\u0000${file}/${name}\u0000`);
        for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]) {
          // The saved clock moves with every advance and restart, not with anything a request does.
          if (file === "platform.db" && name === "meta" && row.key === "clock") continue;
          hash.update(JSON.stringify(row, (_key, value) => (typeof value === "bigint" ? String(value) : value)));
        }
      }
    } finally {
      db.close();
    }
  }
  return hash.digest("hex");
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

/**
 * Tokens an attacker can make without the platform's secret, from a valid one (`genuine`, a customer's): each
 * must be refused as `unauthenticated` wherever a token is read.
 */
export function forgedTokens(genuine: string): Record<string, string> {
  const [head, payload] = genuine.split(".") as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
  const admin = base64url(JSON.stringify({ ...claims, role: "admin" }));
  const none = base64url(JSON.stringify({ alg: "none", typ: "JWT" }));
  const wrongKey = createHmac("sha256", "not the platform's secret").update(`${head}.${admin}`).digest();
  return {
    "alg none": `${none}.${admin}.`,
    "wrong key": `${head}.${admin}.${base64url(wrongKey)}`,
    "tampered claims": `${head}.${admin}.${genuine.split(".")[2]}`,
    "not a JWT": "not-a-token",
  };
}
