import { createHash, randomBytes } from "node:crypto";

/** Lifetime of an access token. Short, because the gateway verifies access tokens without asking this context. */
export const ACCESS_TOKEN_SECONDS = 15 * 60;
/** Lifetime of a refresh token (each one; rotating it gives a fresh 30 days). */
export const REFRESH_TOKEN_SECONDS = 30 * 24 * 60 * 60;

/**
 * A new refresh token: `rt_` and 256 random bits, as the contract's RefreshToken pattern has it. It is opaque (not a
 * JWT): it is only ever checked here, against the stored hash, and its randomness comes from the OS, not the
 * simulator's seeded generator, because a credential must not be predictable from `--seed`.
 */
export function newRefreshToken(): string {
  return `rt_${randomBytes(32).toString("base64url")}`;
}

/** The SHA-256 (hex) a refresh token is stored and looked up under: a stolen database holds no usable token. */
export function hashRefreshToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
