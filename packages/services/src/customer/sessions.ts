import type { customerApi } from "@ecom/sdk";
import type { Transaction } from "kysely";
import { type ContextRuntime, type Principal, ServiceError } from "../platform/index.js";
import { ACCESS_TOKEN_SECONDS, hashRefreshToken, newRefreshToken, REFRESH_TOKEN_SECONDS } from "./session-tokens.js";
import type { CustomerDatabase } from "./store.js";

/** The contract's token pair. */
export type AuthTokens = customerApi.components["schemas"]["AuthTokens"];

const invalidRefreshToken = () =>
  new ServiceError(
    "unauthenticated",
    "The refresh token is unknown, expired, already used or its session has ended. Sign in again with POST /auth/login.",
    { problem: "invalid_refresh_token" },
  );

/** Issue an access token and a refresh token for a session, recording both so they can be found again. */
async function issueTokens(
  { clock, tokens }: ContextRuntime<CustomerDatabase>,
  trx: Transaction<CustomerDatabase>,
  sessionId: string,
  principal: Principal,
): Promise<AuthTokens> {
  const now = clock.now();
  const accessToken = tokens.issue(principal, { expiresInSeconds: ACCESS_TOKEN_SECONDS, type: "access" });
  const { tokenId, expiresAt } = tokens.verify(accessToken, { type: "access" });
  await trx
    .insertInto("access_tokens")
    .values({ token_id: tokenId, session_id: sessionId, expires_at: expiresAt.toISOString() })
    .execute();
  const refreshToken = newRefreshToken();
  await trx
    .insertInto("refresh_tokens")
    .values({
      token_hash: hashRefreshToken(refreshToken),
      session_id: sessionId,
      issued_at: now.toISOString(),
      expires_at: new Date(now.getTime() + REFRESH_TOKEN_SECONDS * 1000).toISOString(),
      used_at: null,
    })
    .execute();
  return {
    accessToken,
    refreshToken,
    tokenType: "Bearer",
    expiresIn: ACCESS_TOKEN_SECONDS,
    refreshExpiresIn: REFRESH_TOKEN_SECONDS,
    customerId: principal.customerId,
    role: principal.role,
  };
}

/**
 * Use the refresh token stored under `tokenHash` once, in `trx`: a new pair in its session, or null when it cannot be
 * used. A token used before leaked, so its whole session is revoked (still null: the caller answers 401 after the
 * commit, which keeps the revocation).
 */
async function rotateRefreshToken(
  runtime: ContextRuntime<CustomerDatabase>,
  trx: Transaction<CustomerDatabase>,
  tokenHash: string,
): Promise<AuthTokens | null> {
  const found = await trx
    .selectFrom("refresh_tokens")
    .innerJoin("sessions", "sessions.session_id", "refresh_tokens.session_id")
    .innerJoin("customers", "customers.customer_id", "sessions.customer_id")
    .select([
      "refresh_tokens.expires_at",
      "refresh_tokens.used_at",
      "sessions.session_id",
      "sessions.revoked_at",
      "customers.customer_id",
      "customers.role",
    ])
    .where("refresh_tokens.token_hash", "=", tokenHash)
    .executeTakeFirst();
  if (!found || found.revoked_at !== null) return null;
  const now = runtime.clock.now();
  if (found.used_at !== null) {
    await trx
      .updateTable("sessions")
      .set({ revoked_at: now.toISOString(), revoked_reason: "refresh_token_reused" })
      .where("session_id", "=", found.session_id)
      .execute();
    return null;
  }
  if (Date.parse(found.expires_at) <= now.getTime()) return null;
  const used = await trx
    .updateTable("refresh_tokens")
    .set({ used_at: now.toISOString() })
    .where("token_hash", "=", tokenHash)
    .where("used_at", "is", null)
    .executeTakeFirst();
  if (used.numUpdatedRows !== 1n) return null;
  return issueTokens(runtime, trx, found.session_id, { customerId: found.customer_id, role: found.role });
}

/**
 * Sessions and their tokens: opening one at sign-in, refresh-token rotation, logout and forgetting expired tokens.
 *
 * Access tokens are stateless JWTs that the gateway verifies with the platform secret; it never asks this context.
 * So revoking a session (logout, or a reused refresh token) stops its refresh tokens at once, but an access token
 * already issued for it stays accepted by the gateway until it expires, at most {@link ACCESS_TOKEN_SECONDS} (15
 * minutes) later. That bounded window is the price of not making every request of every context call this one.
 */
export function createSessions(runtime: ContextRuntime<CustomerDatabase>) {
  const { db, clock, ids, tokens } = runtime;
  return {
    /** Open a session for a customer, in the caller's transaction, and issue its first token pair. */
    async open(trx: Transaction<CustomerDatabase>, principal: Principal): Promise<AuthTokens> {
      const sessionId = ids.next("ses");
      await trx
        .insertInto("sessions")
        .values({
          session_id: sessionId,
          customer_id: principal.customerId,
          created_at: clock.now().toISOString(),
          revoked_at: null,
          revoked_reason: null,
        })
        .execute();
      return issueTokens(runtime, trx, sessionId, principal);
    },

    /**
     * Trade a refresh token for a new pair in the same session. Each refresh token is good once; presenting one
     * that was already used means it leaked, so the whole session is revoked (committed before answering 401).
     * The new access token carries the role stored now, so a role change takes effect at the next refresh.
     */
    async refresh(refreshToken: string): Promise<AuthTokens> {
      const tokenHash = hashRefreshToken(refreshToken);
      const issued = await db.transaction().execute((trx) => rotateRefreshToken(runtime, trx, tokenHash));
      if (!issued) throw invalidRefreshToken();
      return issued;
    },

    /**
     * End the session an access token belongs to (or every session of its customer). Its refresh tokens stop
     * working at once; see the note on {@link createSessions} about the access token itself. Idempotent.
     */
    async logout(accessToken: string, principal: Principal, allSessions: boolean): Promise<void> {
      const { tokenId } = tokens.verify(accessToken, { type: "access" });
      const now = clock.now().toISOString();
      await db.transaction().execute(async (trx) => {
        let revoke = trx
          .updateTable("sessions")
          .set({ revoked_at: now, revoked_reason: allSessions ? "logout_all" : "logout" })
          .where("customer_id", "=", principal.customerId)
          .where("revoked_at", "is", null);
        if (!allSessions) {
          const token = await trx
            .selectFrom("access_tokens")
            .select("session_id")
            .where("token_id", "=", tokenId)
            .executeTakeFirst();
          if (!token) return;
          revoke = revoke.where("session_id", "=", token.session_id);
        }
        await revoke.execute();
      });
    },

    /** Forget tokens that have expired: an expired token is refused by its own expiry, so its row has no use left. */
    async pruneExpiredTokens(now: Date): Promise<void> {
      const cutoff = now.toISOString();
      await db.deleteFrom("access_tokens").where("expires_at", "<=", cutoff).execute();
      await db.deleteFrom("refresh_tokens").where("expires_at", "<=", cutoff).execute();
    },
  };
}

/** The session operations of the customer context. */
export type Sessions = ReturnType<typeof createSessions>;
