/** A request verify sends, kept so that a failure can show it as a curl line. */
export interface VerifyRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** What came back: status, headers (lower-case names), the body as text and, when it parses, as JSON. */
export interface VerifyResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: unknown;
}

/** Thrown when the implementation cannot be reached at all (refused, reset, timed out). */
export class UnreachableError extends Error {
  override name = "UnreachableError";
}

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** The request as a curl command line a reader can paste into a shell. */
export function curlLine(request: VerifyRequest): string {
  const parts = ["curl", "-i", "-X", request.method.toUpperCase(), shellQuote(request.url)];
  for (const [name, value] of Object.entries(request.headers)) {
    // Tokens are long and secret-ish; the line stays readable and safe to paste into a PR.
    const shown = name.toLowerCase() === "authorization" ? "Bearer $ECOM_TOKEN" : value;
    parts.push("-H", shellQuote(`${name}: ${shown}`));
  }
  if (request.body !== undefined) parts.push("--data", shellQuote(JSON.stringify(request.body)));
  return parts.join(" ");
}

/** Send `request` and read the whole answer; a request that gets no answer in `timeoutMs` is unreachable. */
export async function send(request: VerifyRequest, timeoutMs = 10_000): Promise<VerifyResponse> {
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method.toUpperCase(),
      headers: {
        ...(request.body !== undefined ? { "content-type": "application/json" } : {}),
        ...request.headers,
      },
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new UnreachableError(
      `${request.method.toUpperCase()} ${request.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
    );
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}
