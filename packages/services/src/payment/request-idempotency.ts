import { createHash } from "node:crypto";
import type { IdempotencyKeyRow } from "./payment-model.js";
import type { PaymentRuntime } from "./payment-runtime.js";

/** How long an idempotency key is kept (DESIGN.md). */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** A request's hash as a new key stores it, and as keys stored by the previous version hold it. */
export interface RequestHash {
  readonly stored: string;
  readonly hex: string;
}

/**
 * A request's SHA-256 as a key keeps it: base64url (43 characters), and hex (64) as keys stored before kept it, so
 * a repeat within the window of a key stored by the previous version still matches.
 */
export function requestHashOf(value: unknown): RequestHash {
  const digest = createHash("sha256").update(JSON.stringify(value)).digest();
  return { stored: digest.toString("base64url"), hex: digest.toString("hex") };
}

/** Whether a claimed key was claimed by this same request. */
export function sameRequest(key: IdempotencyKeyRow, hash: RequestHash): boolean {
  return key.request_hash === hash.stored || key.request_hash === hash.hex;
}

/**
 * A key still within its window, or undefined (an expired one is forgotten, so the key may be used again). `read` is
 * the key's row when the caller read it already (Authorize reads it with the card).
 */
export async function claimedKey(
  { db, clock, statements }: PaymentRuntime,
  scopeKey: string,
  read: Promise<IdempotencyKeyRow | undefined> = statements.idempotencyKey.executeTakeFirst(db, { scopeKey }),
): Promise<IdempotencyKeyRow | undefined> {
  const row = await read;
  if (!row) return undefined;
  if (clock.now().getTime() - Date.parse(row.created_at) < IDEMPOTENCY_WINDOW_MS) return row;
  await db.deleteFrom("idempotency_keys").where("scope_key", "=", scopeKey).execute();
  return undefined;
}
