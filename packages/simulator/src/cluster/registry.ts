import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { type KV, type KvEntry, Kvm, KvWatchInclude } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";

/** How long a claim outlives its last refresh when the bucket is made with no other TTL (scale-out.md section 8). */
export const DEFAULT_REGISTRY_TTL_MS = 15_000;

/** What `contexts.<context>` holds: who serves the context, and where. */
export interface ContextClaim {
  readonly context: string;
  /**
   * Where the serving process answers Connect calls (`http://host:port`); absent while it starts (`ecom serve` claims
   * its contexts before it makes their stores and consumers, and listens only after that).
   */
  readonly url?: string;
  readonly processId: string;
  /** ISO time the claim was first made. */
  readonly startedAt: string;
  /** A hash of the contracts the process was built from, when it says (to spot a process of another version). */
  readonly contractsHash?: string;
}

/** What `processes.<id>` holds, for `/healthz`. */
export interface ProcessEntry {
  readonly id: string;
  readonly url: string;
  readonly contexts: readonly string[];
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

/** What a process says about itself when it registers. */
export interface ProcessAnnouncement {
  /** Its id (`--instance`): a restart with the same id takes over the claims its killed predecessor left. */
  readonly id?: string;
  /** Where it answers; absent while it starts, and given with {@link Registration.announce} once it listens. */
  readonly url?: string;
  readonly contexts: readonly string[];
  readonly contractsHash?: string;
}

/** The registry's failures: a context another live process serves, a claim lost while held, a bad name. */
export class RegistryError extends Error {
  override readonly name = "RegistryError";
  constructor(
    readonly code: "context_claimed" | "claim_lost" | "bad_name",
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Whether `error` is a RegistryError (by name, so it holds across two copies of this package). */
export function isRegistryError(error: unknown): error is RegistryError {
  return error instanceof Error && error.name === "RegistryError";
}

/** A process's claims, kept alive until it stops. */
export interface Registration {
  readonly processId: string;
  /** The contexts this process holds (fewer than it claimed once one is lost to another process). */
  readonly contexts: readonly string[];
  /** Say where this process answers, once it listens: its claims carry the URL from now on and it is listed. */
  announce(url: string): Promise<void>;
  /** Stop refreshing and delete this process's keys (a clean stop: others may claim its contexts at once). */
  stop(): Promise<void>;
}

/** Which process serves each context, kept current by a watcher of the registry. */
export interface RegistryView {
  /** The URL of the process serving `context`, or undefined when none holds a live claim. */
  urlOf(context: string): string | undefined;
  /** The live claim of `context`, if any. */
  claimOf(context: string): ContextClaim | undefined;
  /** Every live claim. */
  claims(): ContextClaim[];
  /**
   * Resolves once `check` holds, asked again at each change the watcher hears of and when a claim's TTL runs out
   * (which removes it without a word to watchers); rejects if the view closes first. For code that waits for a
   * process to come or go, instead of polling.
   */
  until(check: () => boolean): Promise<void>;
  close(): Promise<void>;
}

/** The platform's registry of processes and the contexts they serve, in the NATS KV bucket `ecom_<ns>_registry`. */
export interface Registry {
  readonly bucket: string;
  /** The bucket's TTL: how long a claim outlives its last refresh (the bucket's own, if it existed already). */
  readonly ttlMs: number;
  /**
   * Claim `announcement.contexts` for a process serving them at `announcement.url`, each with `create()` (an
   * exclusive claim), and keep them alive with `update(key, value, revision)` every `refreshMs`. Refused with a
   * RegistryError `context_claimed` naming the holder when another live process holds one of them; nothing stays
   * claimed then. `onLost` hears of a claim lost while held: taken over by another process, or not refreshed for
   * longer than the TTL (NATS out of reach), after which another process may have taken it. A process told so must
   * stop serving the context at once: two processes must never consume one context.
   */
  register(
    announcement: ProcessAnnouncement,
    onLost?: (context: string, error: RegistryError) => void,
  ): Promise<Registration>;
  /** A view of who serves what, loaded before it resolves and kept current by a watcher. */
  watch(): Promise<RegistryView>;
  /** The registered processes whose entries are live (for `/healthz`). */
  processes(): Promise<ProcessEntry[]>;
}

/** Options of {@link openRegistry}. */
export interface RegistryOptions {
  readonly connection: NatsConnection;
  /** The platform's namespace (`[a-z0-9_]`, scale-out.md section 9): two platforms on one NATS never share a bucket. */
  readonly namespace: string;
  /** The bucket's TTL when this call creates the bucket; default 15 s. An existing bucket keeps its own. */
  readonly ttlMs?: number;
  /** How often a registration refreshes its keys; default a third of the bucket's TTL. */
  readonly refreshMs?: number;
  /** Told when a refresh fails for a reason other than a lost claim (NATS unreachable for a moment, say). */
  readonly onError?: (error: unknown) => void;
  /**
   * Called at every refresh of a registration, whatever the claims' state: what else must hold while the claims do is
   * checked here (join-cluster.ts asks the PostgreSQL locks' session whether it is still there).
   */
  readonly onRefresh?: () => void;
  /** The wall clock in milliseconds (`Date.now`). */
  readonly now?: () => number;
}

const CONTEXT_KEYS = "contexts.>";
const PROCESS_KEYS = "processes.>";
const contextKey = (context: string) => `contexts.${context}`;
const processKey = (id: string) => `processes.${id}`;
const NAME = /^[a-z0-9_]+$/;
const PROCESS_ID = /^[A-Za-z0-9_-]+$/;

/** The registry bucket of `namespace`: `ecom_<ns>_registry`. */
export function registryBucket(namespace: string): string {
  if (!NAME.test(namespace))
    throw new RegistryError("bad_name", `The namespace "${namespace}" may hold only a-z, 0-9 and _.`);
  return `ecom_${namespace}_registry`;
}

/** Open (and create, the first time) the registry of `options.namespace`. */
export async function openRegistry(options: RegistryOptions): Promise<Registry> {
  const bucket = registryBucket(options.namespace);
  const kv = await new Kvm(options.connection).create(bucket, {
    history: 1,
    ttl: options.ttlMs ?? DEFAULT_REGISTRY_TTL_MS,
  });
  const ttlMs = (await kv.status()).ttl || (options.ttlMs ?? DEFAULT_REGISTRY_TTL_MS);
  const now = options.now ?? Date.now;
  const refreshMs = options.refreshMs ?? Math.max(100, Math.floor(ttlMs / 3));
  const onError = options.onError ?? (() => undefined);
  // A key the bucket's TTL removed is gone without a word to watchers (and a `get` may still race it): an entry is
  // live only while its last write is younger than the TTL. The write time is the server's; the processes of one
  // platform must keep their clocks within a few seconds of it (the TTL is three refreshes long).
  const expiresAt = (entry: KvEntry) => entry.created.getTime() + ttlMs;
  const live = (entry: KvEntry) => entry.operation === "PUT" && expiresAt(entry) > now();

  return {
    bucket,
    ttlMs,
    register: (announcement, onLost) =>
      register(kv, announcement, {
        ttlMs,
        refreshMs,
        now,
        onError,
        live,
        onLost: onLost ?? (() => undefined),
        onRefresh: options.onRefresh ?? (() => undefined),
      }),
    watch: () => watch(kv, live, expiresAt, now),
    async processes() {
      const found: ProcessEntry[] = [];
      for await (const key of await kv.keys(PROCESS_KEYS)) {
        const entry = await kv.get(key);
        if (entry && live(entry)) found.push(entry.json<ProcessEntry>());
      }
      return found.sort((a, b) => a.id.localeCompare(b.id));
    },
  };
}

/** What a registration is told by, and tells, the registry it was made in. */
interface RegisterOptions {
  readonly ttlMs: number;
  readonly refreshMs: number;
  readonly now: () => number;
  readonly onError: (error: unknown) => void;
  readonly onLost: (context: string, error: RegistryError) => void;
  readonly onRefresh: () => void;
  readonly live: (entry: KvEntry) => boolean;
}

async function register(kv: KV, announcement: ProcessAnnouncement, options: RegisterOptions): Promise<Registration> {
  const processId =
    announcement.id ?? `${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`.replace(/[^A-Za-z0-9_-]/g, "_");
  if (!PROCESS_ID.test(processId))
    throw new RegistryError("bad_name", `The process id "${processId}" may hold only A-Z, a-z, 0-9, _ and -.`);
  for (const context of announcement.contexts)
    if (!NAME.test(context))
      throw new RegistryError("bad_name", `The context name "${context}" may hold only a-z, 0-9 and _.`);
  const claims = new HeldClaims(kv, announcement, processId, options);
  await claims.claimAll();
  claims.start();
  return {
    processId,
    get contexts() {
      return claims.contexts;
    },
    announce: (listening) => claims.announce(listening),
    stop: () => claims.stop(),
  };
}

/**
 * A process's claims on its contexts, and its entry: made, refreshed every `refreshMs` (a claim another process took
 * meanwhile is lost, as are all of them once no refresh kept them for longer than the TTL), and released.
 */
class HeldClaims {
  /** Each held context's key revision. */
  readonly #held = new Map<string, number>();
  readonly #startedAt = new Date().toISOString();
  #url: string | undefined;
  #stopped = false;
  #refreshing: Promise<void> | undefined;
  /** When the last refresh that kept every claim began: a claim is safe only while this is younger than the TTL. */
  #confirmedAt: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly kv: KV,
    private readonly announcement: ProcessAnnouncement,
    private readonly processId: string,
    private readonly options: RegisterOptions,
  ) {
    this.#url = announcement.url;
    this.#confirmedAt = options.now();
  }

  get contexts(): string[] {
    return [...this.#held.keys()];
  }

  /** Claim every context of the announcement and list the process (if it listens); on a failure hold nothing. */
  async claimAll(): Promise<void> {
    try {
      for (const context of this.announcement.contexts) this.#held.set(context, await this.claim(context));
      if (this.#url !== undefined) await this.putProcess(this.#url);
    } catch (error) {
      await release(this.kv, this.#held);
      throw error;
    }
  }

  /** Refresh every `refreshMs` from now on. */
  start(): void {
    this.#timer = setInterval(() => this.tick(), this.options.refreshMs);
    this.#timer.unref();
  }

  async announce(listening: string): Promise<void> {
    this.#url = listening;
    // A refresh writes the claims with the URL, and lists the process; in the timer's place, so none overlaps it.
    while (this.#refreshing) await this.#refreshing;
    this.#refreshing = this.refresh().finally(() => {
      this.#refreshing = undefined;
    });
    await this.#refreshing;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#refreshing;
    await release(this.kv, this.#held);
    await this.kv.delete(processKey(this.processId));
  }

  private claimOf(context: string): ContextClaim {
    const { announcement } = this;
    return {
      context,
      ...(this.#url === undefined ? {} : { url: this.#url }),
      processId: this.processId,
      startedAt: this.#startedAt,
      ...(announcement.contractsHash === undefined ? {} : { contractsHash: announcement.contractsHash }),
    };
  }

  private async putProcess(listening: string): Promise<void> {
    const entry: ProcessEntry = {
      id: this.processId,
      url: listening,
      contexts: [...this.announcement.contexts],
      pid: process.pid,
      host: hostname(),
      startedAt: this.#startedAt,
    };
    await this.kv.put(processKey(this.processId), JSON.stringify(entry));
  }

  /** Claim `context`: create the key, or take over a claim this process id left; the revision held. */
  private async claim(context: string): Promise<number> {
    const { kv } = this;
    const value = JSON.stringify(this.claimOf(context));
    try {
      return await kv.create(contextKey(context), value);
    } catch (error) {
      const holder = await kv.get(contextKey(context));
      if (holder && this.options.live(holder)) {
        const held = holder.json<ContextClaim>();
        if (held.processId === this.processId) return kv.update(contextKey(context), value, holder.revision);
        const where = held.url === undefined ? "(starting, not listening yet)" : `at ${held.url}`;
        throw new RegistryError(
          "context_claimed",
          `${context} is already served by process ${held.processId} ${where} (since ${held.startedAt}). ` +
            "Stop that process first, or wait for its claim to expire if it was killed.",
          { cause: error },
        );
      }
      // The holder's claim expired between the two calls (or was deleted): claim it over the remains.
      return holder ? kv.update(contextKey(context), value, holder.revision) : kv.create(contextKey(context), value);
    }
  }

  private lose(context: string, message: string, cause?: unknown): void {
    this.#held.delete(context);
    this.options.onLost(
      context,
      new RegistryError("claim_lost", `This process no longer serves ${context}: ${message}`, { cause }),
    );
  }

  private async refresh(): Promise<void> {
    const began = this.options.now();
    let kept = true;
    for (const [context, revision] of this.#held) {
      if (this.#stopped) return;
      try {
        this.#held.set(
          context,
          await this.kv.update(contextKey(context), JSON.stringify(this.claimOf(context)), revision),
        );
      } catch (error) {
        // The revision moved: the claim expired (this process stalled past the TTL) and maybe another took it.
        try {
          this.#held.set(context, await this.claim(context));
        } catch (claimError) {
          kept = false;
          if (isRegistryError(claimError)) this.lose(context, claimError.message, claimError);
          else this.options.onError(error);
        }
      }
    }
    if (this.#stopped) return;
    if (kept) this.#confirmedAt = began;
    if (this.#url !== undefined) await this.putProcess(this.#url);
  }

  private tick(): void {
    const { options } = this;
    options.onRefresh();
    // Refreshes failing (or hanging) for longer than the TTL: the claims have lapsed for everyone else, who may
    // have taken them meanwhile.
    const unconfirmed = options.now() - this.#confirmedAt;
    if (unconfirmed > options.ttlMs) {
      for (const context of [...this.#held.keys()])
        this.lose(
          context,
          `its claim could not be refreshed for ${Math.round(unconfirmed / 1000)}s, longer than the registry's TTL ` +
            `(${Math.round(options.ttlMs / 1000)}s), so another process may serve it now`,
        );
      this.#confirmedAt = options.now();
    }
    if (this.#refreshing || this.#held.size === 0) return;
    this.#refreshing = this.refresh()
      .catch(options.onError)
      .finally(() => {
        this.#refreshing = undefined;
      });
  }
}

/** Delete the claims in `held`, each only if still at the revision held (never another process's claim). */
async function release(kv: KV, held: Map<string, number>): Promise<void> {
  for (const [context, revision] of held) {
    try {
      await kv.delete(contextKey(context), { previousSeq: revision });
    } catch {
      // Already expired and taken by another process: not ours to delete.
    }
  }
  held.clear();
}

async function watch(
  kv: KV,
  live: (entry: KvEntry) => boolean,
  expiresAt: (entry: KvEntry) => number,
  now: () => number,
): Promise<RegistryView> {
  const entries = new Map<string, KvEntry>();
  const waiters = new Set<{ check: () => boolean; resolve: () => void; reject: (error: Error) => void }>();
  let closed = false;
  let expiry: NodeJS.Timeout | undefined;
  /** Settle the waiters whose check holds now; then be woken when the next live claim lapses, if any wait. */
  const settle = () => {
    for (const waiter of waiters)
      if (waiter.check()) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    clearTimeout(expiry);
    expiry = undefined;
    if (waiters.size === 0 || closed) return;
    const next = Math.min(...[...entries.values()].filter(live).map(expiresAt));
    if (Number.isFinite(next)) expiry = setTimeout(settle, Math.max(0, next - now()) + 1);
  };
  // Keep the newer of what the watcher and the first read saw of a key (a delete is kept too, as a tombstone).
  const keep = (key: string, entry: KvEntry) => {
    const known = entries.get(key);
    if (!known || known.revision < entry.revision) entries.set(key, entry);
  };
  // The watcher first (updates only), then the keys as they are now: nothing written in between is missed.
  const watcher = await kv.watch({ key: CONTEXT_KEYS, include: KvWatchInclude.UpdatesOnly });
  const watching = (async () => {
    for await (const entry of watcher) {
      keep(entry.key, entry);
      settle();
    }
  })();
  for await (const key of await kv.keys(CONTEXT_KEYS)) {
    const entry = await kv.get(key);
    if (entry) keep(key, entry);
  }
  const claimOf = (context: string) => {
    const entry = entries.get(contextKey(context));
    return entry && live(entry) ? entry.json<ContextClaim>() : undefined;
  };
  return {
    urlOf: (context) => claimOf(context)?.url,
    claimOf,
    claims: () =>
      [...entries.values()]
        .filter(live)
        .map((entry) => entry.json<ContextClaim>())
        .sort((a, b) => a.context.localeCompare(b.context)),
    until(check) {
      if (check()) return Promise.resolve();
      if (closed) return Promise.reject(new Error("the registry view is closed"));
      return new Promise<void>((resolve, reject) => {
        waiters.add({ check, resolve, reject });
        settle();
      });
    },
    async close() {
      closed = true;
      clearTimeout(expiry);
      for (const waiter of waiters) waiter.reject(new Error("the registry view closed before the wait was over"));
      waiters.clear();
      watcher.stop();
      await watching.catch(() => undefined);
    },
  };
}
