import { asyncApiMessages, child, isNode } from "../lint/contract-walk.js";
import type { LintContext } from "../lint/lint-rule.js";
import { describeError, type SchemaValidators } from "../lint/schema-validators.js";
import type { ResolvedRef } from "../source/contract-set.js";
import type { VerifyRecorder } from "./verify-recorder.js";

/** A subscription to an implementation's event stream that checks every event as it arrives. */
export interface EventWatch {
  /** Wait until the stream has been quiet for a moment (or ended), then stop listening. */
  stop(): Promise<void>;
}

/**
 * Subscribe to the Server-Sent Events at `url` and validate every event against the AsyncAPI message whose
 * `name` is its `eventType`: the envelope's metadata against the message `headers`, its `payload` against the
 * message `payload` (AsyncAPI's draft-07 dialect). Resolves once the subscription is open.
 */
export async function watchEvents(options: {
  readonly url: string;
  readonly view: LintContext;
  readonly validators: SchemaValidators;
  readonly recorder: VerifyRecorder;
  /** How long the stream must stay quiet after the run before it is closed. */
  readonly quietMs?: number;
}): Promise<EventWatch> {
  const { recorder, validators } = options;
  const messages = new Map<string, ResolvedRef>();
  for (const { message } of asyncApiMessages(options.view)) {
    const name = (message.value as Record<string, unknown>).name;
    if (typeof name === "string") messages.set(name, message);
  }
  const controller = new AbortController();
  const response = await fetch(options.url, { headers: { accept: "text/event-stream" }, signal: controller.signal });
  if (!response.ok || !response.body)
    throw new Error(`GET ${options.url} answered ${response.status}, not an event stream`);
  let lastSeen = Date.now();

  const check = (data: string) => {
    recorder.stats.events++;
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      recorder.fail(
        "verify/event-invalid",
        { file: "", pointer: "" },
        `an event that is not JSON: ${data.slice(0, 120)}`,
      );
      return;
    }
    const type = isNode(event) ? event.eventType : undefined;
    const message = typeof type === "string" ? messages.get(type) : undefined;
    if (!isNode(event) || !message) {
      recorder.fail(
        "verify/event-unknown-type",
        { file: "", pointer: "", subject: String(type) },
        `event type ${String(type)} is declared by no AsyncAPI message`,
      );
      return;
    }
    const { payload, ...metadata } = event;
    for (const [part, value, schema] of [
      ["headers", metadata, child(message, "headers")],
      ["payload", payload, child(message, "payload")],
    ] as const) {
      if (schema.value === undefined) continue;
      const validator = validators.get("draft-07", schema);
      if (typeof validator !== "function" || validator(value)) continue;
      const error = (validator.errors ?? [])[0];
      const pointer = `${part === "payload" ? "/payload" : ""}${error?.instancePath ?? ""}`;
      recorder.fail(
        "verify/event-invalid",
        { file: message.file, pointer: message.pointer, subject: `${type} ${part}` },
        `${type} (event ${String(event.eventId)}): its ${part} does not match the AsyncAPI message: ${error ? describeError(error) : "invalid"} at ${pointer || "/"}`,
      );
    }
  };

  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        lastSeen = Date.now();
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split("\n")
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).replace(/^ /, ""))
            .join("\n");
          if (data !== "") check(data);
          end = buffer.indexOf("\n\n");
        }
      }
    } catch {
      // Aborted by stop(), or the stream broke: what arrived was checked.
    }
  })();

  return {
    async stop() {
      const quiet = options.quietMs ?? 300;
      let ended = false;
      void reading.then(() => {
        ended = true;
      });
      // Events of the last requests may still be on their way through the implementation's outbox.
      for (let waited = 0; !ended && Date.now() - lastSeen < quiet && waited < 10 * quiet; waited += 50)
        await new Promise((resolve) => setTimeout(resolve, 50));
      controller.abort();
      await reading;
    },
  };
}
