import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { SdkErrorCode } from "./errors.js";
import { signWebhook, verifyWebhook } from "./webhooks.js";

const secret = `whsec_${Buffer.from("a shared secret of 32 bytes long").toString("base64")}`;
const body = JSON.stringify({ eventType: "ecommerce.order.order.paid.v1", payload: { orderId: "ord_1" } });
const now = new Date("2026-01-18T12:00:00Z");
const timestamp = Math.floor(now.getTime() / 1000);

describe("verifyWebhook", () => {
  it("accepts a webhook signed by the standardwebhooks reference library", () => {
    const reference = new Webhook(secret);
    const signature = reference.sign("msg_1", now, body);
    const headers = { "webhook-id": "msg_1", "webhook-timestamp": String(timestamp), "webhook-signature": signature };
    const { data, error } = verifyWebhook(secret, headers, body, { now });
    expect(error).toBeUndefined();
    expect(data).toEqual({ id: "msg_1", timestamp, payload: JSON.parse(body) });
  });

  it("signs webhooks that the reference library verifies", () => {
    const headers = signWebhook(secret, { id: "msg_2", timestamp: Math.floor(Date.now() / 1000), body });
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("reads headers from a fetch Headers object too", () => {
    const headers = new Headers(signWebhook(secret, { id: "msg_3", timestamp, body }));
    expect(verifyWebhook(secret, headers, body, { now }).error).toBeUndefined();
  });

  it.each([
    ["a tampered body", { body: body.replace("ord_1", "ord_2"), at: now, secret }, SdkErrorCode.badSignature],
    [
      "another secret",
      { body, at: now, secret: `whsec_${Buffer.from("another secret entirely, 32 byte").toString("base64")}` },
      SdkErrorCode.badSignature,
    ],
    [
      "a replay ten minutes later",
      { body, at: new Date(now.getTime() + 10 * 60_000), secret },
      SdkErrorCode.staleTimestamp,
    ],
    [
      "a timestamp ten minutes ahead",
      { body, at: new Date(now.getTime() - 10 * 60_000), secret },
      SdkErrorCode.staleTimestamp,
    ],
  ])("rejects %s", (_name, { body: received, at, secret: key }, code) => {
    const headers = signWebhook(secret, { id: "msg_4", timestamp, body });
    const { data, error } = verifyWebhook(key, headers, received, { now: at });
    expect(data).toBeUndefined();
    expect(error?.code).toBe(code);
  });

  it("rejects a request without the signature headers", () => {
    expect(verifyWebhook(secret, { "content-type": "application/json" }, body).error?.code).toBe(
      SdkErrorCode.missingSignature,
    );
  });

  it("accepts any one of several space-separated signatures (secret rotation)", () => {
    const good = signWebhook(secret, { id: "msg_5", timestamp, body });
    const headers = { ...good, "webhook-signature": `v1,bm90IGl0 ${good["webhook-signature"]}` };
    expect(verifyWebhook(secret, headers, body, { now }).error).toBeUndefined();
  });
});
