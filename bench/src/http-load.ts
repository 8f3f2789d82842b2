import { Agent, request } from "node:http";

/** The outcome of a load run: how many requests were answered, in how long. */
export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/** One HTTP/1.1 request on `agent`; resolves to the status and body. */
export function send(
  agent: Agent,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { agent, method: options.method ?? "GET", headers: options.headers ?? {} },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers))
            if (typeof value === "string") headers[name] = value;
          resolve({ status: response.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString("utf8") });
        });
        response.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end(options.body);
  });
}

/**
 * Send `requests` GETs of `url` over `connections` keep-alive connections, each connection one request at a time
 * (as many in flight as connections); every answer must have `expectStatus`. Bounded in count, so it always stops.
 */
export async function runLoad(options: {
  readonly url: string;
  readonly connections: number;
  readonly requests: number;
  readonly headers?: Record<string, string>;
  readonly expectStatus?: number;
}): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  let remaining = options.requests;
  const worker = async () => {
    while (remaining > 0) {
      remaining--;
      const answer = await send(agent, options.url, { ...(options.headers ? { headers: options.headers } : {}) });
      if (answer.status !== (options.expectStatus ?? 200))
        throw new Error(`GET ${options.url} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { requests: options.requests, seconds, perSecond: options.requests / seconds };
}
