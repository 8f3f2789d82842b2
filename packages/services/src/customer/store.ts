import type { Generated } from "kysely";

/**
 * The customer context's own store. Profiles and credentials are apart so a query that reads a profile never
 * loads a password hash. Booleans are 0/1 integers and timestamps ISO text, which read the same on SQLite and
 * PostgreSQL through Kysely.
 */
export interface CustomerDatabase {
  customers: CustomerTable;
  credentials: CredentialTable;
  sessions: SessionTable;
  refresh_tokens: RefreshTokenTable;
  access_tokens: AccessTokenTable;
  addresses: AddressTable;
}

/** A customer's profile. `email` is stored lower-cased and unique. */
export interface CustomerTable {
  customer_id: string;
  email: string;
  first_name: string;
  last_name: string;
  phone: string | null;
  role: "customer" | "admin";
  membership_level: "STANDARD" | "SILVER" | "GOLD" | "PLATINUM";
  language: string;
  currency: string;
  marketing_email: number;
  marketing_sms: number;
  created_at: string;
  updated_at: string;
}

/** The scrypt hash of a customer's password, and the login throttle's state. */
export interface CredentialTable {
  customer_id: string;
  password_hash: string;
  failed_attempts: Generated<number>;
  failure_window_started_at: string | null;
  locked_until: string | null;
  updated_at: string;
}

/** A signed-in session: one login, carried on by rotating refresh tokens until it is revoked or lapses. */
export interface SessionTable {
  session_id: string;
  customer_id: string;
  created_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
}

/**
 * Every refresh token a session was given, by the SHA-256 of the token (the token itself is never stored). A used
 * token stays, marked `used_at`, so presenting it again is recognised as reuse (a leak) and ends the session.
 */
export interface RefreshTokenTable {
  token_hash: string;
  session_id: string;
  issued_at: string;
  expires_at: string;
  used_at: string | null;
}

/** The access tokens (by JWT `jti`) a session was given, so logout can find the session of the token it gets. */
export interface AccessTokenTable {
  token_id: string;
  session_id: string;
  expires_at: string;
}

/** A saved postal address; `address` is the contract's Address as JSON text. */
export interface AddressTable {
  address_id: string;
  customer_id: string;
  label: "HOME" | "WORK" | "OTHER";
  is_default: number;
  address: string;
  created_at: string;
  updated_at: string;
}
