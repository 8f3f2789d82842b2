import { hash } from "node:crypto";
import { isUlid, isUuid, ulidBytes, ulidText, uuidBytes } from "../compact-ids.js";

/**
 * How many bytes of the SHA-256 of a scope key SQLite's rows are keyed by: 128 bits, as many as the random part of the
 * UUID the SDK sends as the key, so finding another key (another customer's) that shares a row takes 2^128 tries.
 */
const HASHED_KEY_BYTES = 16;

/**
 * What SQLite's rows are keyed by (the unique index `idempotency_by_key` of a rowid table, and the tail of the index
 * on the age):
 * the first 16 bytes of the SHA-256 of the scope key, whatever its form. A customer's key as the SDK sends it
 * (`customer:cus_<ULID>:<UUID>`, 76 characters) took 33 bytes in its compact form ({@link compactScopeKey}), and any
 * other key its text.
 */
export function hashedScopeKey(scopeKey: string): Buffer {
  return hash("sha256", scopeKey, "buffer").subarray(0, HASHED_KEY_BYTES);
}

/** How many bytes of a request's SHA-256 a row keeps: 64 bits tell two requests a client sent under one key apart. */
const KEPT_HASH_BYTES = 8;

/** The text a request's hash is made of, and the stored response packed against: method, path and query, body. */
export function requestText(method: string, path: string, body: string): string {
  return `${method}\n${path}\n${body}`;
}

/** The hash a key is bound to: the SHA-256 of the {@link requestText}, in hex. */
export function requestHash(text: string): string {
  return hash("sha256", text, "hex");
}

/** What a row keeps of a request's hash: the first bytes of a SHA-256 in hex ({@link requestHash}), else the text. */
export function keptHash(hash: string): string | Buffer {
  return /^[0-9a-f]{64}$/.test(hash) ? Buffer.from(hash.slice(0, KEPT_HASH_BYTES * 2), "hex") : hash;
}

/**
 * Whether a stored hash is the request's: the bytes a row keeps (8; 16 in rows stored before), or, in rows stored
 * before hashes were kept as bytes, the whole hash in hex.
 */
export function sameRequest(stored: string | Uint8Array, hash: string): boolean {
  if (typeof stored === "string") return stored === hash;
  if (stored.length < KEPT_HASH_BYTES || !/^[0-9a-f]{64}$/.test(hash)) return false;
  return Buffer.from(hash.slice(0, stored.length * 2), "hex").equals(stored);
}

/** A customer's key as the SDK makes it: `customer:cus_<ULID>:<UUID>`. */
const CUSTOMER_SCOPE = "customer:cus_";
const CUSTOMER_KEY_LENGTH = CUSTOMER_SCOPE.length + 26 + 1 + 36;
/** The first byte of a compact key: a customer's UUID key, or another scope's. */
const CUSTOMER_UUID_KEY = 1;
const SCOPED_UUID_KEY = 2;

/**
 * What SQLite's rows were keyed by before keys were hashed (migration 0003 to 0004): a customer's key as the SDK sends
 * it as 33 bytes (a tag, the ULID's 16, the UUID's 16); another scope's key that is a UUID as a tag, the scope's text
 * and the UUID's 16 bytes; any other as its text. {@link scopeKeyText} gives the text back.
 */
export function compactScopeKey(scopeKey: string): string | Buffer {
  const uuid = scopeKey.slice(-36);
  if (scopeKey.at(-37) !== ":" || !isUuid(uuid)) return scopeKey;
  const customerId = scopeKey.slice(CUSTOMER_SCOPE.length, CUSTOMER_SCOPE.length + 26);
  if (scopeKey.length === CUSTOMER_KEY_LENGTH && scopeKey.startsWith(CUSTOMER_SCOPE) && isUlid(customerId))
    return Buffer.concat([Buffer.of(CUSTOMER_UUID_KEY), ulidBytes(customerId), uuidBytes(uuid)]);
  return Buffer.concat([Buffer.of(SCOPED_UUID_KEY), Buffer.from(scopeKey.slice(0, -37)), uuidBytes(uuid)]);
}

/** The UUID text of 16 bytes, as `crypto.randomUUID()` writes it. */
function uuidText(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The scope key a compact one ({@link compactScopeKey}) stands for. */
export function scopeKeyText(kept: string | Uint8Array): string {
  if (typeof kept === "string") return kept;
  const uuid = uuidText(kept.subarray(kept.length - 16));
  if (kept[0] === CUSTOMER_UUID_KEY) return `${CUSTOMER_SCOPE}${ulidText(kept.subarray(1, 17))}:${uuid}`;
  if (kept[0] === SCOPED_UUID_KEY)
    return `${Buffer.from(kept.buffer, kept.byteOffset + 1, kept.length - 17).toString("utf8")}:${uuid}`;
  throw new Error(`a kept Idempotency-Key of an unknown form (first byte ${kept[0] ?? "(empty)"})`);
}
