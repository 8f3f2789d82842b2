/**
 * The console's only way out: requests to the simulator that served it (same origin), signed with the dev
 * tokens the simulator hands out on loopback.
 */

/** What `/_console/session` answers. */
export interface Session {
  readonly loopback: boolean;
  readonly contexts: readonly string[];
  readonly tokens?: { readonly admin: string; readonly customer: string };
}

let session: Promise<Session> | undefined;

/** The session; `fresh` asks again (tokens expire with platform time, so after the clock moves). */
export function getSession(fresh = false): Promise<Session> {
  if (!session || fresh) {
    session = fetch("/_console/session").then((response) => response.json() as Promise<Session>);
  }
  return session;
}

/** A failed request, with the problem+json detail when the server sent one. */
export class RequestError extends Error {
  override name = "RequestError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Call the platform as `role` (admin by default) and read the JSON answer; a 401 retries once with fresh tokens. */
export async function callJson<TResult>(
  method: string,
  path: string,
  options: { body?: unknown; role?: "admin" | "customer" | "none" } = {},
): Promise<TResult> {
  for (let attempt = 0; ; attempt++) {
    const current = await getSession(attempt > 0);
    const role = options.role ?? "admin";
    const token = role === "none" ? undefined : current.tokens?.[role];
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (method === "POST" && !path.startsWith("/_sim/")) headers["idempotency-key"] = crypto.randomUUID();
    const response = await fetch(path, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    if (response.status === 401 && attempt === 0 && token) continue;
    const text = await response.text();
    const body = text === "" ? undefined : (JSON.parse(text) as unknown);
    if (!response.ok) {
      const detail = (body as { detail?: string; title?: string } | undefined)?.detail ?? response.statusText;
      throw new RequestError(response.status, `${method} ${path}: ${response.status} ${detail}`);
    }
    return body as TResult;
  }
}

/** One event of the platform's log, as `/_sim/log` and `/_sim/events` give it. */
export interface LoggedEvent {
  readonly seq: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly occurredAt: string;
  readonly producer: string;
  readonly correlationId: string;
  readonly causationId?: string;
  readonly partitionKey?: string;
  readonly payload: Record<string, unknown>;
}

/** Events of the log after `since`. */
export async function readLog(query: {
  since?: number;
  correlationId?: string;
  limit?: number;
}): Promise<LoggedEvent[]> {
  const params = new URLSearchParams();
  if (query.since !== undefined) params.set("since", String(query.since));
  if (query.correlationId) params.set("correlationId", query.correlationId);
  params.set("limit", String(query.limit ?? 1000));
  const answer = await callJson<{ events: LoggedEvent[] }>("GET", `/_sim/log?${params}`, { role: "none" });
  return answer.events;
}

/**
 * Follow `/_sim/events` from `since` (Server-Sent Events read with fetch: every event is named after its type,
 * which EventSource would only hand to a listener per type). Resumes after the last event seen when the stream
 * drops. Returns a function that stops following.
 */
export function followEvents(
  query: { since?: number; correlationId?: string },
  onEvent: (event: LoggedEvent) => void,
): () => void {
  const controller = new AbortController();
  let since = query.since;
  const follow = async () => {
    while (!controller.signal.aborted) {
      const params = new URLSearchParams();
      if (since !== undefined) params.set("since", String(since));
      if (query.correlationId) params.set("correlationId", query.correlationId);
      try {
        const response = await fetch(`/_sim/events?${params}`, { signal: controller.signal });
        if (!response.body) return;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end = buffer.indexOf("\n\n");
          while (end !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf("\n\n");
            let id: number | undefined;
            let data = "";
            for (const line of block.split("\n")) {
              if (line.startsWith("id: ")) id = Number(line.slice(4));
              else if (line.startsWith("data: ")) data += line.slice(6);
            }
            if (id === undefined || data === "") continue;
            since = id;
            onEvent({ seq: id, ...(JSON.parse(data) as Omit<LoggedEvent, "seq">) });
          }
        }
      } catch {
        if (controller.signal.aborted) return;
      }
      // The simulator went away or restarted: try again shortly, from the last event seen.
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
  void follow();
  return () => controller.abort();
}
