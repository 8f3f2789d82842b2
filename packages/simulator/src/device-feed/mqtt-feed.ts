import { EventEmitter } from "node:events";
import type { FeedHandler, FeedMessage, FeedOutcome, Logger } from "@ecom/services/platform";
import type { IPublishPacket, MqttClient } from "mqtt";
import { type TopicPattern, topicPattern } from "./topic-pattern.js";

/** How to run the platform's MQTT feed. */
export interface MqttFeedOptions {
  /** The broker: `mqtt://host:port` (or `mqtts://`). */
  readonly url: string;
  /** The contexts' feed handlers by channel address (`Platform.feeds`). */
  readonly feeds: Readonly<Record<string, FeedHandler>>;
  readonly log: Logger;
  /**
   * The MQTT client id. The broker keeps the session under it (subscriptions, and the QoS 1 messages that arrive
   * while the simulator is away), so a stable one per data folder lets a restart receive what it missed.
   */
  readonly clientId: string;
  /** Start without a persistent session (tests against a shared broker, which would otherwise keep it forever). */
  readonly cleanSession?: boolean;
  /** The most messages recorded in one transaction; default 100. */
  readonly batchSize?: number;
}

/** One batch handed to a context: its messages and what became of each. */
export interface FeedBatch {
  readonly channel: string;
  readonly messages: readonly FeedMessage[];
  readonly outcomes: readonly FeedOutcome[];
}

/** The running feed. */
export interface MqttFeed extends EventEmitter<{ batch: [FeedBatch]; reconnected: [] }> {
  readonly url: string;
  /** The subscription filters, one per channel (`iot/inventory/+/delta`). */
  readonly filters: readonly string[];
  /** Resolves once every message received so far is recorded (accepted or dead-lettered). */
  idle(): Promise<void>;
  /** Disconnect (the broker keeps a persistent session), then record what is still buffered. */
  close(): Promise<void>;
}

const DEFAULT_BATCH = 100;

/**
 * Subscribe to every feed channel on the broker at `url` with QoS 1 and hand what arrives to the contexts in batches.
 * Messages are buffered as they arrive and recorded together, one transaction per batch of up to `batchSize`: after a
 * reconnect the broker replays the session's backlog at once, and it is recorded in a few transactions rather than
 * one per report. Rejects with a one-line reason when the broker cannot be reached or refuses the subscription.
 */
export async function startMqttFeed(options: MqttFeedOptions): Promise<MqttFeed> {
  const patterns = Object.keys(options.feeds).map(topicPattern);
  // Loaded here, not with the simulator: a start without --mqtt never needs mqtt.js (part of start-up's time).
  const { connect } = await import("mqtt");
  // The feed takes over message handling before the connection is up: a persistent session's backlog arrives right
  // after the broker accepts the connection, and must not reach mqtt.js's default handler (which drops it).
  const client = connect(options.url, {
    clientId: options.clientId,
    clean: options.cleanSession ?? false,
    reconnectPeriod: 1_000,
    connectTimeout: 10_000,
    protocolVersion: 4,
  });
  const feed = new RunningFeed(client, options, patterns);
  try {
    await new Promise<void>((resolveConnect, rejectConnect) => {
      client.once("connect", () => resolveConnect());
      client.once("error", rejectConnect);
      // Refused connections end in close without an error: no retries for the first one, a wrong URL fails at once.
      client.once("close", () => rejectConnect(new Error("the connection was refused or closed")));
    });
  } catch (error) {
    await client.endAsync(true);
    throw new Error(
      `cannot connect to the MQTT broker at ${options.url}: ${(error as Error).message || String(error)}`,
    );
  }
  try {
    const granted = await client.subscribeAsync(
      Object.fromEntries(patterns.map((pattern) => [pattern.filter, { qos: 1 as const }])),
    );
    const refused = granted.filter((grant) => grant.qos !== 1 && grant.qos !== 2);
    if (refused.length > 0)
      throw new Error(`the broker refused QoS 1 on ${refused.map((grant) => grant.topic).join(", ")}`);
  } catch (error) {
    await client.endAsync(true);
    throw new Error(`cannot subscribe at ${options.url}: ${(error as Error).message}`);
  }
  feed.listen();
  return feed;
}

class RunningFeed extends EventEmitter<{ batch: [FeedBatch]; reconnected: [] }> implements MqttFeed {
  readonly url: string;
  readonly filters: readonly string[];
  readonly #buffer: { readonly channel: string; readonly message: FeedMessage }[] = [];
  readonly #batchSize: number;
  #flushing: Promise<void> | undefined;

  constructor(
    private readonly client: MqttClient,
    private readonly options: MqttFeedOptions,
    private readonly patterns: readonly TopicPattern[],
  ) {
    super();
    this.url = options.url;
    this.filters = patterns.map((pattern) => pattern.filter);
    this.#batchSize = options.batchSize ?? DEFAULT_BATCH;
    // mqtt.js hands messages over one at a time and sends the PUBACK when this callback is called; waiting for the
    // batch's commit would make every batch one message long. So a message is acknowledged once buffered, and the
    // buffer is recorded right after this turn of the event loop (close() records what is left): a burst (a
    // reconnect's backlog) becomes one batch, and only a process killed within that turn loses what it buffered.
    client.handleMessage = (packet, callback) => {
      this.#receive(packet);
      callback();
    };
  }

  /** Once connected: report drops and reconnects (mqtt.js reconnects every second and resubscribes). */
  listen(): void {
    this.client.on("reconnect", () => this.options.log.warn(`MQTT feed: reconnecting to ${this.options.url}`));
    this.client.on("connect", () => this.emit("reconnected"));
    this.client.on("error", (error) => this.options.log.warn(`MQTT feed: ${error.message}`));
  }

  #receive(packet: IPublishPacket): void {
    const payload = typeof packet.payload === "string" ? packet.payload : Buffer.from(packet.payload).toString("utf8");
    for (const pattern of this.patterns) {
      const parameters = pattern.match(packet.topic);
      if (!parameters) continue;
      this.#buffer.push({ channel: pattern.address, message: { topic: packet.topic, parameters, payload } });
      // After the current turn of the event loop, so the messages that came in one read make one batch.
      this.#flushing ??= new Promise<void>((resolveTurn) => setImmediate(resolveTurn)).then(() => this.#flush());
      return;
    }
    this.options.log.warn(`MQTT feed: ignored a message on ${packet.topic}, which no feed channel matches`);
  }

  async #flush(): Promise<void> {
    try {
      while (this.#buffer.length > 0) {
        const channel = this.#buffer[0]!.channel;
        let count = 0;
        while (count < this.#batchSize && this.#buffer[count]?.channel === channel) count++;
        const taken = this.#buffer.splice(0, count).map((entry) => entry.message);
        const handler = this.options.feeds[channel]!;
        try {
          const outcomes = await handler(taken);
          this.emit("batch", { channel, messages: taken, outcomes });
        } catch (error) {
          this.options.log.error(`MQTT feed: ${taken.length} message(s) of ${channel} could not be recorded`, {
            error: String(error),
          });
        }
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  async idle(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async close(): Promise<void> {
    await this.client.endAsync();
    await this.idle();
  }
}
