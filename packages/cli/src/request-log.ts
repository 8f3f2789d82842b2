import type { Logger } from "@ecom/services/platform";
import type { RequestLogEntry } from "@ecom/simulator";
import { UsageError } from "./exit-codes.js";

/** How much `ecom sim up` logs: `info` is one line per request; `warn`/`error` only failed ones; `debug` adds detail. */
export const logLevels = ["silent", "error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof logLevels)[number];
export const logFormats = ["text", "json"] as const;
export type LogFormat = (typeof logFormats)[number];

/** Check `--log-level`. */
export function parseLogLevel(value: string): LogLevel {
  if (!(logLevels as readonly string[]).includes(value))
    throw new UsageError(`--log-level must be one of ${logLevels.join(", ")}, got ${value}`);
  return value as LogLevel;
}

/** Check `--log-format`. */
export function parseLogFormat(value: string): LogFormat {
  if (!(logFormats as readonly string[]).includes(value))
    throw new UsageError(`--log-format must be one of ${logFormats.join(", ")}, got ${value}`);
  return value as LogFormat;
}

const rank: Readonly<Record<LogLevel, number>> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

/** The level a request is logged at: server errors (and dropped connections) are errors, client errors warnings. */
function levelOf(entry: RequestLogEntry): Exclude<LogLevel, "silent" | "debug"> {
  if (entry.status === 0 || entry.status >= 500) return "error";
  return entry.status >= 400 ? "warn" : "info";
}

/** One request as a line: `GET /openapi.json 200 3ms cor_…` (text) or one JSON object (json). */
export function formatRequest(entry: RequestLogEntry, format: LogFormat, level: LogLevel, time: Date): string {
  const durationMs = Math.round(entry.durationMs * 10) / 10;
  if (format === "json") {
    return JSON.stringify({
      time: time.toISOString(),
      level: levelOf(entry),
      msg: "request",
      method: entry.method,
      path: entry.url,
      status: entry.status,
      durationMs,
      correlationId: entry.correlationId ?? null,
      ...(level === "debug"
        ? {
            httpVersion: entry.httpVersion,
            userAgent: entry.userAgent ?? null,
            remoteAddress: entry.remoteAddress ?? null,
          }
        : {}),
    });
  }
  const line = `${entry.method} ${entry.url} ${entry.status || "-"} ${Math.round(entry.durationMs)}ms ${entry.correlationId ?? "-"}`;
  return level === "debug"
    ? `${line}  HTTP/${entry.httpVersion} ${entry.remoteAddress ?? "-"} ${JSON.stringify(entry.userAgent ?? "")}`
    : line;
}

/** What `sim up` logs with: the request log for the port, and the platform's own messages. */
export interface SimLog {
  readonly onRequest: (entry: RequestLogEntry) => void;
  readonly logger: Logger;
  /** Write out what is buffered now (before the banner, on shutdown). */
  flush(): void;
}

/**
 * The request log of `ecom sim up`. Lines are buffered and written together after the current turn of the event
 * loop, so a burst of requests costs one write and no response waits for the terminal.
 */
export function createSimLog(options: {
  level: LogLevel;
  format: LogFormat;
  write?: (text: string) => void;
  writeError?: (text: string) => void;
  now?: () => Date;
}): SimLog {
  const write = options.write ?? ((text) => process.stdout.write(text));
  const writeError = options.writeError ?? ((text) => process.stderr.write(text));
  const now = options.now ?? (() => new Date());
  let buffer: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (buffer.length === 0) return;
    const text = `${buffer.join("\n")}\n`;
    buffer = [];
    write(text);
  };
  const push = (line: string) => {
    buffer.push(line);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  const enabled = (level: Exclude<LogLevel, "silent">) => rank[options.level] >= rank[level];
  const message =
    (level: "info" | "warn" | "error") =>
    (text: string, fields?: Record<string, unknown>): void => {
      if (!enabled(level)) return;
      if (options.format === "json") {
        writeError(`${JSON.stringify({ time: now().toISOString(), level, msg: text, ...fields })}\n`);
      } else
        writeError(`${level === "info" ? "" : `${level}: `}${text}${fields ? ` ${JSON.stringify(fields)}` : ""}\n`);
    };
  return {
    onRequest(entry) {
      if (enabled(levelOf(entry))) push(formatRequest(entry, options.format, options.level, now()));
    },
    logger: { info: message("info"), warn: message("warn"), error: message("error") },
    flush,
  };
}
