import type { RequestLogEntry } from "@ecom/simulator";
import { describe, expect, it } from "vitest";
import { createSimLog, formatRequest, parseLogFormat, parseLogLevel } from "./request-log.js";

const entry = (status: number): RequestLogEntry => ({
  method: "GET",
  url: "/openapi.json",
  status,
  durationMs: 3.2,
  correlationId: "cor_01",
  httpVersion: "1.1",
  userAgent: "curl/8",
  remoteAddress: "127.0.0.1",
});
const time = new Date("2026-01-01T00:00:00.000Z");

describe("the request log", () => {
  it("writes one plain line per request: method, path, status, duration, correlation id", () => {
    expect(formatRequest(entry(200), "text", "info", time)).toBe("GET /openapi.json 200 3ms cor_01");
  });

  it("writes JSON objects with --log-format json", () => {
    expect(JSON.parse(formatRequest(entry(404), "json", "info", time))).toEqual({
      time: "2026-01-01T00:00:00.000Z",
      level: "warn",
      msg: "request",
      method: "GET",
      path: "/openapi.json",
      status: 404,
      durationMs: 3.2,
      correlationId: "cor_01",
    });
  });

  it("adds the protocol, client address and user agent at debug", () => {
    expect(formatRequest(entry(200), "text", "debug", time)).toBe(
      'GET /openapi.json 200 3ms cor_01  HTTP/1.1 127.0.0.1 "curl/8"',
    );
  });

  it("buffers lines and writes them together after the current turn, not during the request", async () => {
    const written: string[] = [];
    const log = createSimLog({ level: "info", format: "text", write: (text) => written.push(text), now: () => time });
    log.onRequest(entry(200));
    log.onRequest(entry(201));
    expect(written).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toEqual(["GET /openapi.json 200 3ms cor_01\nGET /openapi.json 201 3ms cor_01\n"]);
  });

  it("keeps only failed requests at warn, only server errors at error, nothing at silent", () => {
    const count = (level: "warn" | "error" | "silent") => {
      const written: string[] = [];
      const log = createSimLog({ level, format: "text", write: (text) => written.push(text), writeError: () => {} });
      for (const status of [200, 404, 500]) log.onRequest(entry(status));
      log.flush();
      return written.join("").split("\n").filter(Boolean).length;
    };
    expect([count("warn"), count("error"), count("silent")]).toEqual([2, 1, 0]);
  });

  it("refuses an unknown level or format with a message naming the choices", () => {
    expect(() => parseLogLevel("loud")).toThrow(
      "--log-level must be one of silent, error, warn, info, debug, got loud",
    );
    expect(() => parseLogFormat("xml")).toThrow("--log-format must be one of text, json, got xml");
  });
});
