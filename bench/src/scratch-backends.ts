import { once } from "node:events";
import { connect as connectTcp } from "node:net";
import pg from "pg";

/** The PostgreSQL server and NATS the backend rows run on, as the tests find them (tests/backends/probe.ts). */
export const STORE_URL = process.env.ECOM_STORE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
export const BUS_URL = process.env.ECOM_BUS_URL || "nats://127.0.0.1:4222";

/** A database and NATS namespace of one bench run's own, dropped after it (tests/backends/test-database.ts's way). */
export interface ScratchBackends {
  /** `ecomb_<pid>_<n>`: the database's name, and so the namespace its platform takes. */
  readonly namespace: string;
  readonly storeUrl: string;
  readonly busUrl: string;
  /** Drop the database, the roles a bootstrap made for it (`<name>_…`) and the namespace's streams and buckets. */
  drop(): Promise<void>;
}

/** Why PostgreSQL or NATS cannot be used here, or undefined when both accept connections. */
export async function whyBackendsAreMissing(): Promise<string | undefined> {
  const missing: string[] = [];
  for (const [what, url, port, hint] of [
    ["PostgreSQL", STORE_URL, 5432, "ECOM_STORE_URL"],
    ["NATS", BUS_URL, 4222, "ECOM_BUS_URL"],
  ] as const) {
    const { hostname, port: given } = new URL(url);
    const host = hostname.replace(/^\[|\]$/g, "");
    if (!(await accepts(host, Number(given || port))))
      missing.push(`${what} does not answer at ${host}:${given || port} (set ${hint})`);
  }
  return missing.length === 0 ? undefined : missing.join("; ");
}

async function accepts(host: string, port: number): Promise<boolean> {
  const socket = connectTcp({ host, port });
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

let made = 0;
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** `STORE_URL` with `database` in place of its own. */
export function databaseUrl(database: string, url: string = STORE_URL): string {
  const target = new URL(url);
  target.pathname = `/${encodeURIComponent(database)}`;
  return target.toString();
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: STORE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Whether a process with this id runs on this machine. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Drop what a bench stopped before its clean-up (Ctrl-C) left: databases `ecomb_<pid>_<n>` whose pid no longer runs,
 * with their roles and streams. A bench still running (another terminal) keeps its own.
 */
export async function dropAbandonedScratch(): Promise<string[]> {
  const names = await withAdmin(async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      "select datname from pg_database where starts_with(datname, 'ecomb_')",
    );
    return rows.map((row) => row.datname);
  });
  const abandoned = names.filter((name) => {
    const pid = /^ecomb_(\d+)_\d+$/.exec(name)?.[1];
    return pid !== undefined && !isRunning(Number(pid));
  });
  for (const namespace of abandoned) await dropScratch(namespace);
  return abandoned;
}

/** A fresh database (C collation, as the tests make theirs) and namespace for this run. */
export async function createScratchBackends(): Promise<ScratchBackends> {
  made += 1;
  const namespace = `ecomb_${process.pid}_${made}`;
  await withAdmin((client) =>
    client.query(`create database ${quote(namespace)} lc_collate 'C' lc_ctype 'C' encoding 'UTF8' template template0`),
  );
  return {
    namespace,
    storeUrl: databaseUrl(namespace),
    busUrl: BUS_URL,
    drop: () => dropScratch(namespace),
  };
}

async function dropScratch(namespace: string): Promise<void> {
  await withAdmin(async (client) => {
    await client.query(`drop database if exists ${quote(namespace)} with (force)`);
    const { rows } = await client.query<{ rolname: string }>(
      "select rolname from pg_roles where starts_with(rolname, $1)",
      [`${namespace}_`],
    );
    for (const { rolname } of rows) await client.query(`drop role if exists ${quote(rolname)}`);
  });
  await dropStreams(namespace);
}

/** Delete the namespace's streams (the event stream, and the KV buckets' streams: their names hold `ecom_<ns>_`). */
async function dropStreams(namespace: string): Promise<void> {
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const connection = await connect({ servers: BUS_URL, name: `ecom-bench-cleanup-${process.pid}` });
  try {
    const manager = await jetstreamManager(connection);
    const doomed: string[] = [];
    for await (const stream of manager.streams.names())
      if (stream.toLowerCase().includes(`ecom_${namespace}_`)) doomed.push(stream);
    for (const stream of doomed) await manager.streams.delete(stream);
  } finally {
    await connection.close();
  }
}
