import type { customerApi } from "@ecom/sdk";
import type { Transaction } from "kysely";
import { type ContextRuntime, type Principal, ServiceError } from "../platform/index.js";
import { afterFailedLogin, CLEAR_THROTTLE, lockedForSeconds } from "./login-throttle.js";
import { hashPassword, verifyAgainstDecoy, verifyPassword } from "./password-hash.js";
import { DEFAULT_PREFERENCES, mergePreferences, type Preferences } from "./profile-patch.js";
import { ACCESS_TOKEN_SECONDS, hashRefreshToken, newRefreshToken, REFRESH_TOKEN_SECONDS } from "./session-tokens.js";
import type { CustomerDatabase } from "./store.js";

type Schemas = customerApi.components["schemas"];
/** The contract's token pair. */
export type AuthTokens = Schemas["AuthTokens"];

/** What a new account is made of. */
export interface NewAccount {
  readonly email: string;
  readonly password: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly phone?: string | undefined;
  readonly role: "customer" | "admin";
  readonly preferences?: Schemas["PreferencesPatch"] | undefined;
}

/** Where a state change came from, for the events it publishes. */
export interface Cause {
  readonly correlationId: string;
}

const invalidCredentials = () =>
  new ServiceError(
    "unauthenticated",
    "Email or password is wrong. Check both; 5 failures in 15 minutes lock the account for 15 minutes.",
    { problem: "invalid_credentials" },
  );
const invalidRefreshToken = () =>
  new ServiceError(
    "unauthenticated",
    "The refresh token is unknown, expired, already used or its session has ended. Sign in again with POST /auth/login.",
    { problem: "invalid_refresh_token" },
  );

/**
 * Accounts, credentials and sessions: registration, login, refresh-token rotation and logout.
 *
 * Access tokens are stateless JWTs that the gateway verifies with the platform secret; it never asks this context.
 * So revoking a session (logout, or a reused refresh token) stops its refresh tokens at once, but an access token
 * already issued for it stays accepted by the gateway until it expires, at most {@link ACCESS_TOKEN_SECONDS} (15
 * minutes) later. That bounded window is the price of not making every request of every context call this one.
 */
export function createAccounts(runtime: ContextRuntime<CustomerDatabase>) {
  const { db, clock, ids, tokens, outbox } = runtime;

  /** Issue an access token and a refresh token for a session, recording both so they can be found again. */
  async function issueTokens(
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

  /** Open a session for a customer and issue its first token pair. */
  async function openSession(trx: Transaction<CustomerDatabase>, principal: Principal): Promise<AuthTokens> {
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
    return issueTokens(trx, sessionId, principal);
  }

  /**
   * Insert a customer and its credential and publish customer.registered, in the caller's transaction. The
   * password must already be hashed (scrypt is slow; it never runs while a transaction holds the store).
   */
  async function insertCustomer(
    trx: Transaction<CustomerDatabase>,
    account: Omit<NewAccount, "password"> & { readonly passwordHash: string },
    cause: Cause,
  ): Promise<string> {
    const email = account.email.toLowerCase();
    const taken = await trx.selectFrom("customers").select("customer_id").where("email", "=", email).executeTakeFirst();
    if (taken)
      throw new ServiceError(
        "conflict",
        `${email} is already registered. Sign in with POST /auth/login, or use another email.`,
        {
          problem: "email_taken",
        },
      );
    const customerId = ids.next("cus");
    const now = clock.now().toISOString();
    const preferences: Preferences = mergePreferences(DEFAULT_PREFERENCES, account.preferences);
    await trx
      .insertInto("customers")
      .values({
        customer_id: customerId,
        email,
        first_name: account.firstName,
        last_name: account.lastName,
        phone: account.phone ?? null,
        role: account.role,
        membership_level: "STANDARD",
        language: preferences.language,
        currency: preferences.currency,
        marketing_email: preferences.marketing.email ? 1 : 0,
        marketing_sms: preferences.marketing.sms ? 1 : 0,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await trx
      .insertInto("credentials")
      .values({ customer_id: customerId, password_hash: account.passwordHash, updated_at: now })
      .execute();
    await outbox.publish(
      trx,
      "ecommerce.customer.customer.registered.v1",
      {
        customerId,
        email,
        firstName: account.firstName,
        lastName: account.lastName,
        membershipLevel: "STANDARD",
        preferences,
        registeredAt: now,
      },
      { partitionKey: customerId, correlationId: cause.correlationId },
    );
    return customerId;
  }

  return {
    insertCustomer,

    /** Create a customer account and sign it in. */
    async register(account: NewAccount, cause: Cause): Promise<{ customerId: string; tokens: AuthTokens }> {
      const passwordHash = await hashPassword(account.password);
      return db.transaction().execute(async (trx) => {
        const customerId = await insertCustomer(trx, { ...account, passwordHash }, cause);
        return { customerId, tokens: await openSession(trx, { customerId, role: account.role }) };
      });
    },

    /** Check an email and password and open a session; the same 401 for an unknown email and a wrong password. */
    async login(email: string, password: string): Promise<AuthTokens> {
      const account = await db
        .selectFrom("customers")
        .innerJoin("credentials", "credentials.customer_id", "customers.customer_id")
        .select([
          "customers.customer_id",
          "customers.role",
          "credentials.password_hash",
          "credentials.failed_attempts",
          "credentials.failure_window_started_at",
          "credentials.locked_until",
        ])
        .where("customers.email", "=", email.toLowerCase())
        .executeTakeFirst();
      if (!account) {
        await verifyAgainstDecoy(password);
        throw invalidCredentials();
      }
      const throttle = {
        failedAttempts: account.failed_attempts,
        failureWindowStartedAt: account.failure_window_started_at,
        lockedUntil: account.locked_until,
      };
      const lockedFor = lockedForSeconds(throttle, clock.now());
      if (lockedFor > 0) {
        throw new ServiceError(
          "rate_limited",
          `Too many failed logins: this account is locked for ${lockedFor} more seconds.`,
          { retryAfterSeconds: lockedFor },
        );
      }
      const matches = await verifyPassword(password, account.password_hash);
      const issued = await db.transaction().execute(async (trx) => {
        // The throttle is read again inside the transaction, so concurrent failures each count.
        const current = await trx
          .selectFrom("credentials")
          .select(["failed_attempts", "failure_window_started_at", "locked_until"])
          .where("customer_id", "=", account.customer_id)
          .executeTakeFirstOrThrow();
        const state = {
          failedAttempts: current.failed_attempts,
          failureWindowStartedAt: current.failure_window_started_at,
          lockedUntil: current.locked_until,
        };
        const next = matches ? CLEAR_THROTTLE : afterFailedLogin(state, clock.now());
        if (next.failedAttempts !== state.failedAttempts || next.lockedUntil !== state.lockedUntil) {
          await trx
            .updateTable("credentials")
            .set({
              failed_attempts: next.failedAttempts,
              failure_window_started_at: next.failureWindowStartedAt,
              locked_until: next.lockedUntil,
            })
            .where("customer_id", "=", account.customer_id)
            .execute();
        }
        if (!matches) return null;
        return openSession(trx, { customerId: account.customer_id, role: account.role });
      });
      // Thrown after the commit, so the failure is counted.
      if (!issued) throw invalidCredentials();
      return issued;
    },

    /**
     * Trade a refresh token for a new pair in the same session. Each refresh token is good once; presenting one
     * that was already used means it leaked, so the whole session is revoked (committed before answering 401).
     * The new access token carries the role stored now, so a role change takes effect at the next refresh.
     */
    async refresh(refreshToken: string): Promise<AuthTokens> {
      const tokenHash = hashRefreshToken(refreshToken);
      const issued = await db.transaction().execute(async (trx) => {
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
        const now = clock.now();
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
        return issueTokens(trx, found.session_id, { customerId: found.customer_id, role: found.role });
      });
      if (!issued) throw invalidRefreshToken();
      return issued;
    },

    /**
     * End the session an access token belongs to (or every session of its customer). Its refresh tokens stop
     * working at once; see the note on {@link createAccounts} about the access token itself. Idempotent.
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

/** The account operations of the customer context. */
export type Accounts = ReturnType<typeof createAccounts>;
