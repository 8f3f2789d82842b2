import { createHash, randomUUID } from "node:crypto";
import type { FeedHandler, Logger } from "@ecom/services/platform";
import { UsageError } from "../exit-codes.js";
import { ensurePortFree } from "../port-probe.js";

/** The MQTT feed the simulator runs for `--mqtt` or `--mqtt-listen`, and the embedded broker of the latter. */
export interface DeviceFeed {
  readonly url: string;
  readonly topics: string;
  readonly embedded: boolean;
  close(): Promise<void>;
}

/** A port from `--mqtt-listen`: 0–65535. */
export function parseMqttPort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535)
    throw new UsageError(`--mqtt-listen must be a port from 0 to 65535, got ${value}`);
  return port;
}

export async function ensureMqttPortFree(port: number, host: string): Promise<void> {
  try {
    await ensurePortFree(port, host);
  } catch {
    throw new UsageError(`--mqtt-listen: port ${port} of ${host} is taken; pass another (or 0 for any free port)`);
  }
}

/**
 * Start the MQTT feed when asked: connect to `--mqtt`'s broker, or run one on `--mqtt-listen`'s port first. The
 * client id is stable per data folder, so the broker keeps what devices sent while the simulator was stopped.
 */
export async function startDeviceFeed(
  platform: { readonly dataDir: string | undefined; readonly feeds: Readonly<Record<string, FeedHandler>> },
  options: { url: string | undefined; listenPort: number | undefined; host: string; log: Logger },
): Promise<DeviceFeed | undefined> {
  if (options.url === undefined && options.listenPort === undefined) return undefined;
  const { startEmbeddedBroker, startMqttFeed } = await import("@ecom/simulator");
  const broker =
    options.listenPort === undefined
      ? undefined
      : await startEmbeddedBroker({ port: options.listenPort, host: options.host });
  const url = broker?.url ?? options.url!;
  const clientId = `ecom-sim-${createHash("sha256")
    .update(platform.dataDir ?? randomUUID())
    .digest("hex")
    .slice(0, 16)}`;
  try {
    const feed = await startMqttFeed({ url, feeds: platform.feeds, log: options.log, clientId });
    return {
      url,
      topics: feed.filters.join(", "),
      embedded: broker !== undefined,
      async close() {
        await feed.close();
        await broker?.close();
      },
    };
  } catch (error) {
    await broker?.close();
    throw error;
  }
}
