import { createHmac, timingSafeEqual } from "node:crypto";
import { ServiceError } from "@ecom/services/platform";

/** How long a service token lives, in seconds of wall-clock time (scale-out.md section 9). */
export const SERVICE_TOKEN_LIFETIME_SECONDS = 5 * 60;
/** A caller mints a new token this long before the one it holds expires, so a call never leaves with a stale one. */
export const SERVICE_TOKEN_REMINT_SECONDS = 60;
/** The shortest service-token key accepted: HS256 wants a key at least as long as its hash. */
export const SERVICE_TOKEN_MIN_KEY_BYTES = 32;

const base64url = (input: Buffer | string) => Buffer.from(input).toString("base64url");
const HEADER = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));

/** Who called, from a service token that verified. */
export interface ServiceTokenCaller {
  /** The calling context (`sub`). */
  readonly context: string;
  readonly expiresAt: Date;
}

/**
 * Service tokens: what one context presents when it calls another in a different process. An HS256 JWT with
 * `typ: "service"`, `sub` the calling context, `aud` the called one and `exp` five minutes of wall-clock time —
 * never the virtual clock, which may jump a day and would expire (or keep alive) every token at once. Signed with the
 * platform's service-token key, which is not the customer tokens' key; the customer token service refuses
 * `typ: "service"` as well, so neither kind passes for the other even if the keys were the same.
 */
export interface ServiceTokens {
  /** The token `caller` sends to `target`: the one held while it has more than a minute left, else a new one. */
  tokenFor(caller: string, target: string): string;
  /**
   * The caller of `token` if it is a service token signed with this key, for `audience`, and not expired; else a
   * ServiceError `unauthenticated` saying which check failed.
   */
  verify(token: string, audience: string): ServiceTokenCaller;
}

/**
 * Service tokens signed and checked with `key` (at least 32 bytes). `now` is the wall clock in milliseconds
 * (`Date.now`); tests pass another to reach expiry without waiting.
 */
export function createServiceTokens(options: { readonly key: Uint8Array; readonly now?: () => number }): ServiceTokens {
  if (options.key.byteLength < SERVICE_TOKEN_MIN_KEY_BYTES)
    throw new Error(
      `The service-token key has ${options.key.byteLength} bytes; it needs at least ${SERVICE_TOKEN_MIN_KEY_BYTES}.`,
    );
  const key = Buffer.from(options.key);
  const now = options.now ?? Date.now;
  const sign = (data: string) => createHmac("sha256", key).update(data).digest();
  const held = new Map<string, { token: string; exp: number }>();

  const mint = (caller: string, target: string) => {
    const iat = Math.floor(now() / 1000);
    const exp = iat + SERVICE_TOKEN_LIFETIME_SECONDS;
    const body = `${HEADER}.${base64url(JSON.stringify({ typ: "service", sub: caller, aud: target, iat, exp }))}`;
    return { token: `${body}.${base64url(sign(body))}`, exp };
  };

  return {
    tokenFor(caller, target) {
      const pair = `${caller}\u0000${target}`;
      const current = held.get(pair);
      if (current && current.exp - SERVICE_TOKEN_REMINT_SECONDS > now() / 1000) return current.token;
      const fresh = mint(caller, target);
      held.set(pair, fresh);
      return fresh.token;
    },
    verify(token, audience) {
      const parts = token.split(".");
      if (parts.length !== 3) throw invalid("not a JWT");
      const [head, payload, signature] = parts as [string, string, string];
      const expected = sign(`${head}.${payload}`);
      const given = Buffer.from(signature, "base64url");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid("bad signature");
      const header = readJson(head) as { alg?: unknown } | undefined;
      if (header?.alg !== "HS256") throw invalid("not HS256");
      const claims = readJson(payload) as { typ?: unknown; sub?: unknown; aud?: unknown; exp?: unknown } | undefined;
      if (!claims) throw invalid("unreadable claims");
      if (claims.typ !== "service") throw invalid("not a service token");
      if (typeof claims.sub !== "string" || typeof claims.aud !== "string" || typeof claims.exp !== "number")
        throw invalid("missing claims");
      if (claims.aud !== audience) throw invalid(`meant for ${claims.aud}, not ${audience}`);
      if (claims.exp * 1000 <= now()) throw invalid("expired");
      return { context: claims.sub, expiresAt: new Date(claims.exp * 1000) };
    },
  };
}

/**
 * Whether `token` says it is a service token (`typ: "service"`), read without checking anything: only to choose
 * which verifier checks it. Both verifiers check the signature, so a wrong claim here gains nothing.
 */
export function claimsServiceType(token: string): boolean {
  const payload = token.split(".")[1];
  if (payload === undefined) return false;
  return (readJson(payload) as { typ?: unknown } | undefined)?.typ === "service";
}

/** The context a proto service belongs to: `ecom.<context>.v1.<Service>` → `<context>`; undefined otherwise. */
export function contextOfService(typeName: string): string | undefined {
  return /^ecom\.([a-z][a-z0-9_]*)\.v\d+\.[A-Za-z0-9]+$/.exec(typeName)?.[1];
}

function readJson(part: string): unknown {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString());
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

function invalid(why: string): ServiceError {
  return new ServiceError(
    "unauthenticated",
    `Invalid service token: ${why}. Only the platform's own processes, sharing its service-token key, can call this way.`,
  );
}
