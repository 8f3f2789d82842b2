import { once } from "node:events";
import { connect as connectTcp } from "node:net";
import pg from "pg";

// For the store's tests against the machine's PostgreSQL (ECOM_STORE_URL, default the local trust-auth server):
// whether it answers, and a database of the test file's own, dropped afterwards with the roles named for it.

/** The server the tests use, connected as a superuser (trust auth on this machine and CI). */
export const ADMIN_URL = process.env.ECOM_STORE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
/** Whether a missing PostgreSQL fails the tests instead of skipping them (CI: `.ci/run` sets it). */
const required = process.env.ECOM_BACKENDS_REQUIRED === "1";

/** Whether something accepts TCP connections at the URL's host and port (a probe, not a test of timing). */
async function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const socket = connectTcp({ host: hostname.replace(/^\[|\]$/g, ""), port: Number(port || 5432) });
  socket.setTimeout(2_000, () => socket.destroy(new Error("timed out")));
  try {
    await once(socket, "connect");
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

/**
 * Whether the PostgreSQL tests run: true when the server answers. When it does not, a test file skips with one line
 * saying why, unless `ECOM_BACKENDS_REQUIRED=1`, where the tests run (and fail on the missing server).
 */
export async function postgresAvailable(what: string): Promise<boolean> {
  if (await reachable(ADMIN_URL)) return true;
  if (required) return true;
  const { host } = new URL(ADMIN_URL);
  process.stderr.write(
    `PostgreSQL tests skipped (${what}): nothing answers at ${host} (start PostgreSQL, or set ECOM_STORE_URL)\n`,
  );
  return false;
}

/** A database of one test file's own, and the namespace its roles carry. */
export interface ScratchDatabase {
  /** The database's URL, connected as the admin user. */
  readonly url: string;
  readonly name: string;
  /** Drop the database (`WITH (FORCE)`: open pools are cut) and every role whose name starts with `<name>_`. */
  drop(): Promise<void>;
}

/** Run `work` on one admin connection to `url`. */
export async function asAdmin<TResult>(url: string, work: (client: pg.Client) => Promise<TResult>): Promise<TResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Create `ecomt_<random>` with SQLite's text order (collation `C`), so the namespace and every role a test makes in
 * it are the test file's own: roles are cluster-wide, and parallel test files must not share one.
 */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const name = `ecomt_${Math.random().toString(36).slice(2, 10)}`;
  await asAdmin(ADMIN_URL, (client) =>
    client.query(`create database ${name} lc_collate 'C' lc_ctype 'C' template template0`),
  );
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      await asAdmin(ADMIN_URL, async (client) => {
        await client.query(`drop database if exists ${name} with (force)`);
        const { rows } = await client.query<{ rolname: string }>(
          "select rolname from pg_roles where starts_with(rolname, $1)",
          [`${name}_`],
        );
        for (const { rolname } of rows) await client.query(`drop role if exists "${rolname}"`);
      });
    },
  };
}
