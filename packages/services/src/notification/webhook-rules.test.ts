import { describe, expect, it } from "vitest";
import { isServiceError, type ServiceError } from "../platform/index.js";
import { checkEventTypes, checkWebhookUrl, newWebhookSecret, nextAttemptAfter } from "./webhook-rules.js";

const thrown = (action: () => void): ServiceError | undefined => {
  try {
    action();
  } catch (error) {
    if (isServiceError(error)) return error;
    throw error;
  }
  return undefined;
};

describe("checkWebhookUrl", () => {
  it.each([
    ["https anywhere", { given: "https://partner.example.org/hooks", want: undefined }],
    ["http on localhost", { given: "http://localhost:8080/hooks", want: undefined }],
    ["http on 127.0.0.1", { given: "http://127.0.0.1:8080/hooks", want: undefined }],
    ["http on ::1", { given: "http://[::1]:8080/hooks", want: undefined }],
    ["http on another host", { given: "http://partner.example.org/hooks", want: "insecure_webhook_url" }],
    [
      "http on a look-alike of localhost",
      { given: "http://localhost.example.org/hooks", want: "insecure_webhook_url" },
    ],
    ["http on another loopback address", { given: "http://127.0.0.2/hooks", want: "insecure_webhook_url" }],
    ["another scheme", { given: "ftp://partner.example.org/hooks", want: "insecure_webhook_url" }],
    ["credentials in the URL", { given: "https://user:pass@partner.example.org/", want: "insecure_webhook_url" }],
  ])("%s", (_name, { given, want }) => {
    expect(thrown(() => checkWebhookUrl(given))?.details.problem).toBe(want);
  });

  it("answers a URL that is not absolute as a validation error on /url", () => {
    const error = thrown(() => checkWebhookUrl("/hooks"));
    expect(error?.code).toBe("validation");
    expect(error?.details.errors?.[0]?.pointer).toBe("/url");
  });
});

describe("checkEventTypes", () => {
  it("accepts events the platform publishes", () => {
    expect(thrown(() => checkEventTypes(["ecommerce.order.order.paid.v1", "ecommerce.order.order.shipped.v1"]))).toBe(
      undefined,
    );
  });

  it("names every unknown type by its pointer and suggests the event with the same action", () => {
    const error = thrown(() =>
      checkEventTypes(["ecommerce.order.order.paid.v1", "ecommerce.order.order.refunded.v1", "ecommerce.x.y.z.v1"]),
    );
    expect(error).toMatchObject({ code: "unprocessable", details: { problem: "unknown_event_type" } });
    expect(error?.details.errors?.map((entry) => entry.pointer)).toEqual(["/eventTypes/1", "/eventTypes/2"]);
    expect(error?.message).toContain("did you mean ecommerce.payment.payment.refunded.v1");
  });

  it("refuses a command: partners receive events only", () => {
    expect(thrown(() => checkEventTypes(["ecommerce.notification.notification.send.v1"]))?.message).toContain(
      "is a command",
    );
  });
});

describe("nextAttemptAfter", () => {
  const at = new Date("2026-01-18T12:00:00Z");
  it.each([
    [1, "2026-01-18T12:00:30.000Z"],
    [2, "2026-01-18T12:02:00.000Z"],
    [3, "2026-01-18T12:05:00.000Z"],
    [4, "2026-01-18T12:15:00.000Z"],
    [5, "2026-01-18T12:30:00.000Z"],
  ])("retries after attempt %i at %s", (attempt, want) => {
    expect(nextAttemptAfter(attempt, at)?.toISOString()).toBe(want);
  });

  it("dead-letters after the sixth attempt", () => {
    expect(nextAttemptAfter(6, at)).toBeUndefined();
  });
});

describe("newWebhookSecret", () => {
  it("makes whsec_ secrets of 32 random bytes, different each time", () => {
    const [a, b] = [newWebhookSecret(), newWebhookSecret()];
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(6), "base64")).toHaveLength(32);
    expect(a).not.toBe(b);
  });
});
