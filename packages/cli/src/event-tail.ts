/** One event as `/_sim/events` sends it: the envelope, and its position in the log. */
export interface TailedEvent {
  readonly seq: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly occurredAt: string;
  readonly producer: string;
  readonly correlationId: string;
  readonly partitionKey?: string;
  readonly payload: unknown;
}

/** What to follow. */
export interface TailOptions {
  readonly url: string;
  /** Full types (`ecommerce.order.order.created.v1`) or parts of one (`order.created`). */
  readonly types?: readonly string[];
  readonly correlationId?: string;
  /** Start after this sequence number (0: the whole log); default: from now. */
  readonly since?: number;
  readonly signal: AbortSignal;
  /** Told when the stream drops and is resumed. */
  readonly onReconnect?: (error: unknown) => void;
}

/** Read Server-Sent Events blocks from a stream of text: `id:`, `event:` and `data:` lines ended by a blank line. */
export async function* readServerSentEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ id: string | undefined; data: string }> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n/g, "\n");
    for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("id:")) id = line.slice(3).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length > 0) yield { id, data: data.join("\n") };
    }
  }
}

/** Whether `type` is asked for: a full type matches itself, anything else matches as a part of the type. */
export function typeMatches(type: string, wanted: readonly string[] | undefined): boolean {
  return !wanted || wanted.length === 0 || wanted.some((part) => type === part || type.includes(part));
}

/**
 * Follow the simulator's event stream, yielding each event; when the connection drops, resume after the last
 * event seen (the stream is resumable by sequence number), so nothing is missed or repeated.
 */
export async function* tailEvents(options: TailOptions): AsyncGenerator<TailedEvent> {
  const full = options.types?.every((type) => /^ecommerce\.[a-z_]+\.[a-z_.]+\.v\d+$/.test(type));
  let since = options.since;
  let connected = false;
  for (;;) {
    const query = new URLSearchParams();
    if (since !== undefined) query.set("since", String(since));
    if (options.correlationId) query.set("correlationId", options.correlationId);
    if (full && options.types) query.set("types", options.types.join(","));
    try {
      const response = await fetch(new URL(`/_sim/events?${query}`, options.url), { signal: options.signal });
      if (!response.ok || !response.body) throw new Error(`${response.status} from ${options.url}/_sim/events`);
      connected = true;
      for await (const block of readServerSentEvents(response.body)) {
        const event = { seq: Number(block.id), ...(JSON.parse(block.data) as Omit<TailedEvent, "seq">) };
        since = event.seq;
        if (typeMatches(event.eventType, options.types)) yield event;
      }
    } catch (error) {
      if (options.signal.aborted) return;
      // A first connection that fails is the caller's to report; a dropped one is resumed.
      if (!connected) throw error;
      options.onReconnect?.(error);
    }
    if (options.signal.aborted) return;
    await new Promise((resolve) => setTimeout(resolve, 1000).unref());
  }
}

/** One event as a line: `#42 12:00:01.123 ecommerce.order.order.created.v1 order cor_… ord_…`. */
export function formatTailLine(event: TailedEvent): string {
  return [
    `#${event.seq}`,
    event.occurredAt.slice(11, 23),
    event.eventType,
    event.producer,
    event.correlationId,
    event.partitionKey ?? "",
  ]
    .join("  ")
    .trimEnd();
}
