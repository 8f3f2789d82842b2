import { createHmac, timingSafeEqual } from "node:crypto";
import { type Result, SdkError, SdkErrorCode } from "./errors.js";

/** Header names of the Standard Webhooks spec. */
export const WEBHOOK_HEADERS = {
  id: "webhook-id",
  timestamp: "webhook-timestamp",
  signature: "webhook-signature",
} as const;

/** How far a webhook's timestamp may be from now before it is refused as a replay (the spec's suggestion). */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/** Request headers as fetch gives them, or as node:http gives them. */
export type HeadersLike = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: HeadersLike, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | readonly string[] | undefined>;
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(" ") : (value as string | undefined);
}

/** The HMAC key of a `whsec_…` secret (base64 after the prefix), or of a raw secret's bytes. */
function keyOf(secret: string): Buffer {
  return secret.startsWith("whsec_")
    ? Buffer.from(secret.slice("whsec_".length), "base64")
    : Buffer.from(secret, "utf8");
}

function sign(secret: string, id: string, timestamp: number, body: string): string {
  return createHmac("sha256", keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest("base64");
}

/**
 * Sign a webhook per the Standard Webhooks spec: HMAC-SHA256 over `id.timestamp.body`, base64, as `v1,<signature>`.
 * Returns the three headers to send with the body.
 */
export function signWebhook(
  secret: string,
  message: { id: string; timestamp: number; body: string },
): Record<string, string> {
  return {
    [WEBHOOK_HEADERS.id]: message.id,
    [WEBHOOK_HEADERS.timestamp]: String(message.timestamp),
    [WEBHOOK_HEADERS.signature]: `v1,${sign(secret, message.id, message.timestamp, message.body)}`,
  };
}

/** A verified webhook: its id (use it to drop duplicates), timestamp and parsed JSON body. */
export interface VerifiedWebhook {
  readonly id: string;
  readonly timestamp: number;
  readonly payload: unknown;
}

/**
 * Verify a webhook per the Standard Webhooks spec: one of the `v1,` signatures in `webhook-signature` must be the
 * HMAC-SHA256 of `webhook-id.webhook-timestamp.body` under the secret, and the timestamp must be within
 * `toleranceSeconds` of now, so a captured request cannot be replayed later. Pass the body exactly as received.
 */
export function verifyWebhook(
  secret: string,
  headers: HeadersLike,
  body: string,
  options: { now?: number | Date; toleranceSeconds?: number } = {},
): Result<VerifiedWebhook> {
  const id = header(headers, WEBHOOK_HEADERS.id);
  const timestampText = header(headers, WEBHOOK_HEADERS.timestamp);
  const signatures = header(headers, WEBHOOK_HEADERS.signature);
  if (!id || !timestampText || !signatures) {
    return {
      error: new SdkError(
        SdkErrorCode.missingSignature,
        "Missing webhook-id, webhook-timestamp or webhook-signature header; is this a signed ecom webhook?",
      ),
    };
  }
  const timestamp = Number(timestampText);
  if (!/^[0-9]+$/.test(timestampText) || !Number.isSafeInteger(timestamp)) {
    return {
      error: new SdkError(
        SdkErrorCode.missingSignature,
        `webhook-timestamp must be Unix seconds, got ${timestampText}`,
      ),
    };
  }
  const nowSeconds = Math.floor(Number(options.now ?? Date.now()) / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(nowSeconds - timestamp) > tolerance) {
    return {
      error: new SdkError(
        SdkErrorCode.staleTimestamp,
        `webhook-timestamp is ${nowSeconds - timestamp}s from now, beyond the ${tolerance}s tolerance; refusing a possible replay`,
      ),
    };
  }
  const expected = Buffer.from(sign(secret, id, timestamp, body), "base64");
  const matches = signatures.split(" ").some((entry) => {
    const [version, value] = entry.split(",", 2);
    if (version !== "v1" || value === undefined) return false;
    const given = Buffer.from(value, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) {
    return {
      error: new SdkError(
        SdkErrorCode.badSignature,
        "No webhook-signature matches the body; check the secret and that the body is passed unmodified",
      ),
    };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    payload = body;
  }
  return { data: { id, timestamp, payload } };
}
