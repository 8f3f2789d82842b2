import { createStreamSlots } from "../stream-pump.js";

/**
 * Take a slot (and one of `origin`'s, for a stream to a process) until `done` closes; false when none is free.
 * Without an origin (the gateway's own stream) only the gateway-wide slot is taken.
 */
export type AdmitStream = (done: { once(event: "close", listener: () => void): unknown }, origin?: string) => boolean;

/** Stream admission: at most `maxStreams` open through the gateway, and `streamSockets` to any one process. */
export function createStreamAdmission(maxStreams: number, streamSockets: number): AdmitStream {
  const slots = createStreamSlots(maxStreams);
  /** Streams open to each process, by its origin (the agent's own key is its host and port). */
  const streamsTo = new Map<string, number>();
  return (done, origin) => {
    const toProcess = origin === undefined ? 0 : (streamsTo.get(origin) ?? 0);
    if (toProcess >= streamSockets || !slots.acquire()) return false;
    if (origin !== undefined) streamsTo.set(origin, toProcess + 1);
    done.once("close", () => {
      slots.release();
      if (origin === undefined) return;
      const left = (streamsTo.get(origin) ?? 1) - 1;
      if (left > 0) streamsTo.set(origin, left);
      else streamsTo.delete(origin);
    });
    return true;
  };
}
