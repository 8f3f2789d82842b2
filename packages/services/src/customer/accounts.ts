import type { customerApi } from "@ecom/sdk";
import type { Transaction } from "kysely";
import { type ContextRuntime, ServiceError } from "../platform/index.js";
import { afterFailedLogin, CLEAR_THROTTLE, lockedForSeconds, type ThrottleState } from "./login-throttle.js";
import { hashPassword, verifyAgainstDecoy, verifyPassword } from "./password-hash.js";
import { DEFAULT_PREFERENCES, mergePreferences, type Preferences } from "./profile-patch.js";
import type { AuthTokens, Sessions } from "./sessions.js";
import type { CustomerDatabase } from "./store.js";

export type { AuthTokens } from "./sessions.js";

type Schemas = customerApi.components["schemas"];

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

/**
 * Insert a customer and its credential and publish customer.registered, in the caller's transaction. The
 * password must already be hashed (scrypt is slow; it never runs while a transaction holds the store).
 */
export async function insertCustomer(
  { clock, ids, outbox }: ContextRuntime<CustomerDatabase>,
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

/**
 * Count a login attempt against the account's throttle, in `trx`: a match clears it, a failure counts (and may lock
 * the account). The throttle is read again here, inside the transaction, so concurrent failures each count.
 */
async function recordLoginAttempt(
  trx: Transaction<CustomerDatabase>,
  customerId: string,
  matches: boolean,
  now: Date,
): Promise<void> {
  const current = await trx
    .selectFrom("credentials")
    .select(["failed_attempts", "failure_window_started_at", "locked_until"])
    .where("customer_id", "=", customerId)
    .executeTakeFirstOrThrow();
  const state = throttleOf(current);
  const next = matches ? CLEAR_THROTTLE : afterFailedLogin(state, now);
  if (next.failedAttempts === state.failedAttempts && next.lockedUntil === state.lockedUntil) return;
  await trx
    .updateTable("credentials")
    .set({
      failed_attempts: next.failedAttempts,
      failure_window_started_at: next.failureWindowStartedAt,
      locked_until: next.lockedUntil,
    })
    .where("customer_id", "=", customerId)
    .execute();
}

/** A credential row's throttle columns as login-throttle.ts reads them. */
const throttleOf = (row: {
  readonly failed_attempts: number;
  readonly failure_window_started_at: string | null;
  readonly locked_until: string | null;
}): ThrottleState => ({
  failedAttempts: row.failed_attempts,
  failureWindowStartedAt: row.failure_window_started_at,
  lockedUntil: row.locked_until,
});

/** Accounts and credentials: registration and login; the sessions they open are `sessions`' (sessions.ts). */
export function createAccounts(runtime: ContextRuntime<CustomerDatabase>, sessions: Sessions) {
  const { db, clock } = runtime;
  return {
    /** Create a customer account and sign it in. */
    async register(account: NewAccount, cause: Cause): Promise<{ customerId: string; tokens: AuthTokens }> {
      const passwordHash = await hashPassword(account.password);
      return db.transaction().execute(async (trx) => {
        const customerId = await insertCustomer(runtime, trx, { ...account, passwordHash }, cause);
        return { customerId, tokens: await sessions.open(trx, { customerId, role: account.role }) };
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
      const lockedFor = lockedForSeconds(throttleOf(account), clock.now());
      if (lockedFor > 0) {
        throw new ServiceError(
          "rate_limited",
          `Too many failed logins: this account is locked for ${lockedFor} more seconds.`,
          { retryAfterSeconds: lockedFor },
        );
      }
      const matches = await verifyPassword(password, account.password_hash);
      const issued = await db.transaction().execute(async (trx) => {
        await recordLoginAttempt(trx, account.customer_id, matches, clock.now());
        return matches ? sessions.open(trx, { customerId: account.customer_id, role: account.role }) : null;
      });
      // Thrown after the commit, so the failure is counted.
      if (!issued) throw invalidCredentials();
      return issued;
    },
  };
}

/** The account operations of the customer context. */
export type Accounts = ReturnType<typeof createAccounts>;
