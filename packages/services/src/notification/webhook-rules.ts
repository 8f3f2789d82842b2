import { randomBytes } from "node:crypto";
import { type MessageType, messageRegistry } from "@ecom/sdk";
import { ServiceError } from "../platform/index.js";

/**
 * Waits before each retry of a failed webhook delivery, in platform (virtual) time: 30 s, 2 min, 5 min, 15 min and
 * 30 min. A delivery whose last retry fails too is dead-lettered (FAILED).
 */
export const WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [30_000, 120_000, 300_000, 900_000, 1_800_000];

/** How long a partner has to answer an attempt (contracts/openapi/notification.yaml), in real time. */
export const WEBHOOK_TIMEOUT_MS = 15_000;

/**
 * When the next attempt is due after attempt `attemptInSchedule` (1 for the first of a schedule) failed at `at`, or
 * undefined when that was the last and the delivery is dead-lettered.
 */
export function nextAttemptAfter(attemptInSchedule: number, at: Date): Date | undefined {
  const delay = WEBHOOK_RETRY_DELAYS_MS[attemptInSchedule - 1];
  return delay === undefined ? undefined : new Date(at.getTime() + delay);
}

/** Hosts an http:// endpoint may name: the simulator runs on a developer's machine, beside the partner's code. */
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Refuse an endpoint that is not https, except http on a loopback host (`localhost`, `127.0.0.1`, `::1`): events
 * carry customer data and a signing secret protects only their integrity, not their privacy.
 */
export function checkWebhookUrl(url: string, pointer = "/url"): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ServiceError(
      "validation",
      `${pointer} must be an absolute URL such as https://partner.example.org/hooks`,
      {
        errors: [{ pointer, message: "not an absolute URL" }],
      },
    );
  }
  const insecure = (why: string) =>
    new ServiceError(
      "unprocessable",
      `${url} ${why}; use an https:// endpoint (http only on localhost, 127.0.0.1 or ::1).`,
      {
        problem: "insecure_webhook_url",
        errors: [{ pointer, message: why }],
      },
    );
  if (parsed.username || parsed.password) throw insecure("carries credentials in the URL");
  if (parsed.protocol === "https:") return;
  if (parsed.protocol === "http:" && LOOPBACK_HOSTS.has(parsed.hostname)) return;
  throw insecure(parsed.protocol === "http:" ? "is plain http on a host that is not loopback" : `is not http(s)`);
}

const EVENT_TYPES = (Object.keys(messageRegistry) as MessageType[]).filter(
  (type) => messageRegistry[type].kind === "event",
);

/** Whether the platform publishes `type` (an event of contracts/contexts.yaml, not a command). */
export function isPublishedEventType(type: string): boolean {
  return (EVENT_TYPES as readonly string[]).includes(type);
}

/** Event types with the same action and version (`order.order.refunded.v1` → `payment.payment.refunded.v1`). */
function lookalikes(type: string): string[] {
  const [, , , action, version] = type.split(".");
  return EVENT_TYPES.filter((candidate) => {
    const [, , , otherAction, otherVersion] = candidate.split(".");
    return action !== undefined && otherAction === action && otherVersion === version;
  });
}

/** Refuse event types the platform does not publish, naming each and suggesting what was probably meant. */
export function checkEventTypes(types: readonly string[], pointer = "/eventTypes"): void {
  const unknown = types.flatMap((type, index) => (isPublishedEventType(type) ? [] : [{ type, index }]));
  if (unknown.length === 0) return;
  const first = unknown[0]!;
  const isCommand = first.type in messageRegistry;
  const guesses = lookalikes(first.type);
  const detail = isCommand
    ? `${first.type} is a command, not an event; partners can subscribe to events only.`
    : `No context publishes ${first.type}${guesses.length > 0 ? `; did you mean ${guesses.join(" or ")}?` : "; GET /asyncapi.json lists the platform's events."}`;
  throw new ServiceError("unprocessable", detail, {
    problem: "unknown_event_type",
    errors: unknown.map(({ index }) => ({ pointer: `${pointer}/${index}`, message: "unknown event type" })),
  });
}

/** A new signing secret: `whsec_` and the base64 of 32 random bytes, as Standard Webhooks libraries expect. */
export function newWebhookSecret(): string {
  // From the operating system's generator even under --seed: a reproducible run must not make guessable secrets.
  return `whsec_${randomBytes(32).toString("base64")}`;
}
