import { describe, expect, it } from "vitest";
import { packText, unpackText } from "./packed-text.js";

const envelope = JSON.stringify({
  eventId: "evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z31",
  eventType: "ecommerce.order.order.paid.v1",
  occurredAt: "2026-01-18T12:30:00Z",
  producer: "order",
  payload: { orderId: "ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2Q", total: { amount: 9198, currency: "USD" }, note: "café ☕" },
});

describe("packed text", () => {
  it("gives back the very text it packed, whatever its characters", () => {
    for (const text of [envelope, "", "x", "😀 \u0000 \n", "a".repeat(100_000)])
      expect(unpackText(packText(text))).toBe(text);
  });

  it("packs an envelope to a fraction of its size", () => {
    expect(packText(envelope).length).toBeLessThan(envelope.length / 3);
  });

  it("reads format 1 as it was first written (its dictionary is frozen: a new one is a new format)", () => {
    // Packed by the first version that kept envelopes packed; data folders hold such bytes and must stay readable.
    const written = Buffer.from("AaPCrCrJXSRjA8zhfljVTnp/IhBbpYKrWZuXX5IKnr5NO7xS4dGMqcAQAAA=", "base64");
    expect(unpackText(written)).toBe(envelope);
  });

  it("takes a string column value (a row written before packing) as it is", () => {
    expect(unpackText(envelope)).toBe(envelope);
  });

  it("refuses a format it does not know, saying so", () => {
    expect(() => unpackText(Buffer.from([9, 1, 2]))).toThrow(/format 9.*newer/);
  });

  it("packs against a context the reader has beside the value (format 2), and reads it back only with it", () => {
    const eventId = "evt_01M96T65S2SZJ8Z54TG40HPHAY";
    const context = `{"eventId":"${eventId}","producer":"order"`;
    const text = envelope.replace("evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z31", eventId);
    const packed = packText(text, context);
    expect(packed[0]).toBe(2);
    expect(packed.length).toBeLessThan(packText(text).length - 10);
    expect(unpackText(packed, context)).toBe(text);
    expect(() => unpackText(packed)).toThrow(/without one/);
    // A long context, then a short one again: each packs and reads against its own.
    const long = `${context}${"x".repeat(1000)}`;
    expect(unpackText(packText(text, long), long)).toBe(text);
    expect(unpackText(packed, context)).toBe(text);
    // Format 1 reads the same with or without a context.
    expect(unpackText(packText(envelope), context)).toBe(envelope);
  });
});
