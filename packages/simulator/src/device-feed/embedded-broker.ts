import { once } from "node:events";
import { createServer } from "node:net";

/** The MQTT broker `ecom sim up --mqtt-listen` runs in the simulator's process, so the feed works on a fresh machine. */
export interface EmbeddedBroker {
  /** `mqtt://host:port`, for devices and for the simulator's own feed client. */
  readonly url: string;
  readonly port: number;
  /** Disconnect every client and stop listening. */
  close(): Promise<void>;
}

/**
 * Run an MQTT 3.1.1/5 broker (aedes, in-memory: QoS 1 messages for a persistent session wait while its client is
 * away) on `port` of `host` (0 for any free port). Rejects with the listen error (EADDRINUSE) when it cannot.
 */
export async function startEmbeddedBroker(options: { port: number; host?: string }): Promise<EmbeddedBroker> {
  const host = options.host ?? "127.0.0.1";
  // Loaded here, not with the simulator: a start without --mqtt-listen never needs aedes (part of start-up's time).
  const { Aedes } = await import("aedes");
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  try {
    server.listen(options.port, host);
    await once(server, "listening");
  } catch (error) {
    await new Promise<void>((resolveClose) => broker.close(() => resolveClose()));
    throw error;
  }
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    url: `mqtt://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    async close() {
      // The broker first: it ends its clients' connections, which the server would otherwise wait for.
      await new Promise<void>((resolveClose) => broker.close(() => resolveClose()));
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    },
  };
}
