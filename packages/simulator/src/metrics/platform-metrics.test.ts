import { afterEach, describe, expect, it, vi } from "vitest";
import type { EventLogReader, LoggedEvent } from "../bus/event-bus.js";
import { createPlatformMetrics } from "./platform-metrics.js";

afterEach(() => {
  vi.useRealTimers();
});

/** Metrics over a log that only tells of what `append` is given. */
function metricsOverLog() {
  let listener: ((events: readonly LoggedEvent[]) => void) | undefined;
  const eventLog = {
    watch(onEvents: (events: readonly LoggedEvent[]) => void) {
      listener = onEvents;
      return () => {
        listener = undefined;
      };
    },
  } as unknown as EventLogReader;
  const metrics = createPlatformMetrics({
    eventLog,
    operationOf: (method, url) => `${method} ${url}`,
    contexts: async () => [],
  });
  return { metrics, append: (events: readonly Partial<LoggedEvent>[]) => listener?.(events as LoggedEvent[]) };
}

const request = { method: "GET", url: "/products", durationMs: 3, correlationId: undefined, httpVersion: "1.1" };

describe("the platform's metrics", () => {
  it("keep what was counted before prom-client loaded and show it at the first scrape", async () => {
    const { metrics, append } = metricsOverLog();
    append([{ producer: "order", eventType: "ecommerce.order.order.created.v1", correlationId: "cor_1" }]);
    metrics.observeRequest({ ...request, status: 200, userAgent: undefined, remoteAddress: undefined });
    metrics.observeRequest({ ...request, status: 200, userAgent: undefined, remoteAddress: undefined });
    const { body } = await metrics.render();
    expect(body).toMatch(/^orders_created_total 1$/m);
    expect(body).toMatch(/^ecom_http_requests_total\{operation="GET \/products",status="200"\} 2$/m);
    metrics.close();
  });

  it("schedule prom-client's load a moment after the first thing counted, once, and drop it when closed", () => {
    vi.useFakeTimers();
    const { metrics, append } = metricsOverLog();
    expect(vi.getTimerCount()).toBe(0);
    append([{ producer: "order", eventType: "ecommerce.order.order.created.v1", correlationId: "cor_1" }]);
    metrics.observeRequest({ ...request, status: 200, userAgent: undefined, remoteAddress: undefined });
    expect(vi.getTimerCount()).toBe(1);
    metrics.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
