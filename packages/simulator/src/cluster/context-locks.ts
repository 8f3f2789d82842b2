import pg from "pg";
import { RegistryError } from "./registry.js";

/** How long a lock held by a session of the same process id may take to go (a killed predecessor's, `--instance`). */
const HANDOVER_MS = 5_000;
const HANDOVER_POLL_MS = 100;

/** Options of {@link lockContexts}. */
export interface ContextLocksOptions {
  /** The platform's PostgreSQL (`--store`), as the URL's user: advisory locks need no rights on any table. */
  readonly url: string;
  readonly namespace: string;
  readonly contexts: readonly string[];
  /** The process's id in the registry: the session is named after it, so a refusal can name the holder. */
  readonly processId: string;
  /** Told once when the session holding the locks ends (PostgreSQL restarted, the connection cut): they are gone. */
  readonly onLost: (error: RegistryError) => void;
  /** How long to wait for a lock that a session of the same process id holds to be let go; default 5 s. */
  readonly handoverMs?: number;
}

/** The contexts' locks, held by one session until released. */
export interface ContextLocks {
  /**
   * Ask the session whether it is still there (`select 1`): a half-open connection ends no session on this side until
   * TCP gives up, hours later, while PostgreSQL may have ended it and given the locks to another. Lost (onLost) when the
   * answer fails or has not come within `timeoutMs`. The registry's refresh calls it (join-cluster.ts).
   */
  check(timeoutMs: number): Promise<void>;
  /** End the session, which releases every lock. */
  release(): Promise<void>;
}

interface Holder {
  readonly pid: number;
  readonly application_name: string;
  readonly client_addr: string | null;
  readonly backend_start: Date;
}

/**
 * Take a PostgreSQL session advisory lock for each context this process serves, in one session held for as long as
 * it serves them: a guard beside the registry's claims in NATS KV, so that a process whose claim lapsed there
 * (stalled past the TTL, cut off from NATS, or pointed at another NATS) still cannot serve a context another process
 * serves on the same database. Refused with a RegistryError `context_claimed` naming the session that holds a lock;
 * nothing stays locked then. A lock of a session of the same process id (the predecessor `--instance` takes over,
 * killed a moment ago) is waited for a few seconds, the time PostgreSQL takes to end a dead client's session.
 */
export async function lockContexts(options: ContextLocksOptions): Promise<ContextLocks> {
  const applicationName = `ecom serve ${options.processId}`.slice(0, 63);
  const client = new pg.Client({ connectionString: options.url, application_name: applicationName, keepAlive: true });
  await client.connect();
  let released = false;
  const lost = (reason: string) => {
    if (released) return;
    released = true;
    options.onLost(
      new RegistryError(
        "claim_lost",
        `This process no longer holds the PostgreSQL locks of ${options.contexts.join(", ")}: ${reason}`,
      ),
    );
  };
  client.on("error", (error) => lost(`its session failed (${error.message})`));
  client.on("end", () => lost("its session ended"));
  try {
    for (const context of options.contexts) {
      const key = contextLockKey(options.namespace, context);
      const deadline = Date.now() + (options.handoverMs ?? HANDOVER_MS);
      for (;;) {
        const taken = await client.query<{ locked: boolean }>(
          "select pg_try_advisory_lock(hashtextextended($1, 0)) as locked",
          [key],
        );
        if (taken.rows[0]?.locked) break;
        const holder = await holderOf(client, key);
        if (holder?.application_name === applicationName && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, HANDOVER_POLL_MS));
          continue;
        }
        throw new RegistryError("context_claimed", refusal(context, holder, applicationName));
      }
    }
  } catch (error) {
    released = true;
    await client.end().catch(() => undefined);
    throw error;
  }
  let checking: Promise<void> | undefined;
  return {
    check(timeoutMs) {
      // One at a time: a check that hangs is lost by its own timeout, not by the next one's.
      if (checking) return checking;
      const check = answersWithin(client, timeoutMs)
        .then(
          (late) => {
            if (late !== undefined) lost(late);
          },
          (error: Error) => lost(`its session does not answer (${error.message})`),
        )
        .finally(() => {
          checking = undefined;
        });
      checking = check;
      return check;
    },
    async release() {
      if (released) return;
      released = true;
      await client.end().catch(() => undefined);
    },
  };
}

/**
 * What a context's lock is keyed by in the database (hashed by `hashtextextended(key, 0)`): the namespace too, as two
 * platforms may share a database. `ecom replay` takes the same locks (replay/serving-guard.ts).
 */
export function contextLockKey(namespace: string, context: string): string {
  return `ecom serve ${namespace} ${context}`;
}

/** Undefined when `select 1` on `client` answers within `timeoutMs`, else what happened. */
async function answersWithin(client: pg.Client, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`its session did not answer within ${timeoutMs / 1000}s`), timeoutMs);
  });
  try {
    return await Promise.race([client.query("select 1").then(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The session holding the lock of `key` (a bigint lock is shown in pg_locks as its two halves). */
async function holderOf(client: pg.Client, key: string): Promise<Holder | undefined> {
  const found = await client.query<Holder>(
    `with lock as (select hashtextextended($1, 0) as k)
     select a.pid, a.application_name, host(a.client_addr) as client_addr, a.backend_start
       from lock, pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.objsubid = 1
        and l.database = (select oid from pg_database where datname = current_database())
        and l.classid = ((lock.k >> 32) & 4294967295)::oid and l.objid = (lock.k & 4294967295)::oid`,
    [key],
  );
  return found.rows[0];
}

function refusal(context: string, holder: Holder | undefined, ours: string): string {
  const who = holder
    ? `session ${holder.pid} (${holder.application_name || "unnamed"}${holder.client_addr ? ` from ${holder.client_addr}` : ""}, since ${holder.backend_start.toISOString()})`
    : "another session";
  const hint =
    holder?.application_name === ours
      ? `another process runs with the same --instance; stop it first`
      : "another process serves it (one whose registry claim lapsed, or one using another NATS); stop it first";
  return `${context} is locked in PostgreSQL by ${who}: ${hint}.`;
}
