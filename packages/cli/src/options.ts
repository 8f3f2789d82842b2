import { UsageError } from "./exit-codes.js";

/** A TCP port from an option: 0–65535. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535)
    throw new UsageError(`--port must be a number from 0 to 65535, got ${value}`);
  return port;
}

/** A seed from an option: a non-negative integer below 2^32. */
export function parseSeed(value: string): number {
  const seed = Number(value);
  if (!/^\d+$/.test(value) || seed >= 2 ** 32)
    throw new UsageError(`--seed must be a whole number from 0 to 4294967295, got ${value}`);
  return seed;
}

/** A simulator's base URL from an option (`http://host:port`), without a trailing slash. */
export function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--url must be a URL like http://127.0.0.1:4000, got ${value}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError(`--url must be an http:// or https:// URL, got ${value}`);
  return url.origin;
}

/** An MQTT broker's URL from `--mqtt`: `mqtt://host:port` or `mqtts://host:port`. */
export function parseMqttUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--mqtt must be a broker URL like mqtt://127.0.0.1:1883, got ${value}`);
  }
  if (url.protocol !== "mqtt:" && url.protocol !== "mqtts:")
    throw new UsageError(`--mqtt must be an mqtt:// or mqtts:// URL, got ${value}`);
  return value;
}

/**
 * A URL as a message or banner may print it: a user and password in it (`postgres://app:secret@…`, a NATS token in
 * `nats://token@…`) are not shown, even when the rest does not parse. A URL that does not parse loses everything up
 * to its last `@`: a password with an unencoded `#`, `/` or `?` (often why it does not parse) must not end the cut
 * early, and a message showing less of a broken URL is better than one showing its password.
 */
export function withoutCredentials(endpoint: string): string {
  if (!URL.canParse(endpoint)) return endpoint.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/).*@/, "$1");
  const parsed = new URL(endpoint);
  if (!parsed.username && !parsed.password) return endpoint;
  parsed.username = "";
  parsed.password = "";
  return parsed.href;
}
