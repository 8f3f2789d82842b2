import { deflateRawSync, inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DICTIONARY_1, packText, unpackText } from "./packed-text.js";
import { DICTIONARY_2 } from "./packed-text-dictionary-2.js";
import { DICTIONARY_3 } from "./packed-text-dictionary-3.js";

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

  it("packs what a fresh deflate stream with the whole dictionary reads, and reads what one wrote (one stream reused)", () => {
    const texts = [envelope, envelope.replace("9198", "1"), "", "😀 café", "a".repeat(100_000), envelope];
    for (const [index, text] of texts.entries()) {
      const context = `{"eventId":"evt_01M96T65S2SZJ8Z54TG40HPH${String(index).padStart(2, "0")}","producer":"order"`;
      const packed = packText(text, context);
      // Each value stands alone: read by a stream of its own, with the dictionary format 2 names.
      expect(inflateRawSync(packed.subarray(1), { dictionary: dictionaryOf(context) }).toString("utf8")).toBe(text);
      // And a value a fresh stream wrote (as every earlier version did) reads the same.
      const written = Buffer.concat([Buffer.from([2]), deflateRawSync(text, { dictionary: dictionaryOf(context) })]);
      expect(unpackText(written, context)).toBe(text);
      expect(unpackText(packed, context)).toBe(text);
      expect(unpackText(packText(text), undefined)).toBe(text);
    }
  });

  it("reads the next value after one that is not deflate at all", () => {
    const packed = packText(envelope, "{}");
    const broken = Buffer.from(packed);
    broken.fill(0xff, 1);
    expect(() => unpackText(broken, "{}")).toThrow();
    const truncated = packed.subarray(0, packed.length - 5);
    expect(() => unpackText(truncated, "{}")).toThrow();
    expect(unpackText(packed, "{}")).toBe(envelope);
  });

  it("reads a value packed against a context longer than one stored block", () => {
    const context = "x".repeat(70_000);
    expect(unpackText(packText(envelope, context), context)).toBe(envelope);
  });
});

describe("packed text, format 3 (envelopes as the platform writes them)", () => {
  const context = `{"eventId":"evt_01M97FDBYZSAF5JPQ9PP43VVHX","producer":"inventory","correlationId":"chk_01M97FDBW3K6JH8JJ5S7GK7WJJ"`;
  // A stock.reserved.v1 as the inventory context wrote it in a run of the checkout bench.
  const written =
    '{"eventId":"evt_01M97FDBYZSAF5JPQ9PP43VVHX","eventType":"ecommerce.inventory.stock.reserved.v1","occurredAt":"2026-12-07T05:25:19.455Z","producer":"inventory","traceId":"8701fae547273b4138e04a6fc73f214f","correlationId":"chk_01M97FDBW3K6JH8JJ5S7GK7WJJ","schemaVersion":"1.0","partitionKey":"rsv_01M97FDBYZSAF5JPQ9PP43VVHW","payload":{"reservationId":"rsv_01M97FDBYZSAF5JPQ9PP43VVHW","checkoutId":"chk_01M97FDBW3K6JH8JJ5S7GK7WJJ","items":[{"productId":"prd_01M97FCTHJT4QQ68B5E6V7NXF1","quantity":1}],"reservedAt":"2026-12-07T05:25:19.455Z","expiresAt":"2026-12-07T05:40:19.455Z"}}';

  it("packs such an envelope smaller than format 2 does, and reads it back only with its context", () => {
    const packed = packText(written, context, 2);
    expect(packed[0]).toBe(3);
    // 108 bytes where format 2 takes 127.
    expect(packed.length).toBeLessThan(packText(written, context).length - 10);
    expect(unpackText(packed, context)).toBe(written);
    expect(() => unpackText(packed)).toThrow(/format 3.*without one/);
    expect(() => packText(written, undefined, 2)).toThrow(/context/);
    // Formats 1 and 2 read as before beside it.
    expect(unpackText(packText(written, context), context)).toBe(written);
    expect(unpackText(packText(written))).toBe(written);
  });

  it("packs what a fresh deflate stream with its dictionary reads, and reads what one wrote", () => {
    for (const text of [written, envelope, "", "😀 café", "a".repeat(100_000)]) {
      const packed = packText(text, context, 2);
      const dictionary = Buffer.concat([DICTIONARY_2, Buffer.from(context)]);
      expect(inflateRawSync(packed.subarray(1), { dictionary }).toString("utf8")).toBe(text);
      const fresh = Buffer.concat([Buffer.from([3]), deflateRawSync(text, { dictionary })]);
      expect(unpackText(fresh, context)).toBe(text);
    }
  });

  it("reads format 3 as it was first written (its dictionary is frozen: a new one is a new format)", () => {
    const first = `{"eventId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z31","producer":"order","correlationId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S"`;
    const bytes = Buffer.from("AyPJOio1Co0NrAwMcJSqBFpPWPwQiC0/WxpaWmDLz3n5Jang+ci0wysVHs2YCgxwAA==", "base64");
    expect(unpackText(bytes, first)).toBe(envelope);
    expect(DICTIONARY_2.length).toBe(8192);
  });
});

describe("packed text, format 4 (envelopes stripped of what only they hold)", () => {
  // The stock.reserved.v1 of format 3's tests, with the trace id the outbox gives it now (its id's bits).
  const traceId = "01a24ef6afdfca9e595ae9b5883dee3d";
  const context = `{"eventId":"evt_01M97FDBYZSAF5JPQ9PP43VVHX","producer":"inventory","traceId":"${traceId}","correlationId":"chk_01M97FDBW3K6JH8JJ5S7GK7WJJ"`;
  const written = `{"eventId":"evt_01M97FDBYZSAF5JPQ9PP43VVHX","eventType":"ecommerce.inventory.stock.reserved.v1","occurredAt":"2026-12-07T05:25:19.455Z","producer":"inventory","traceId":"${traceId}","correlationId":"chk_01M97FDBW3K6JH8JJ5S7GK7WJJ","schemaVersion":"1.0","partitionKey":"rsv_01M97FDBYZSAF5JPQ9PP43VVHW","payload":{"reservationId":"rsv_01M97FDBYZSAF5JPQ9PP43VVHW","checkoutId":"chk_01M97FDBW3K6JH8JJ5S7GK7WJJ","items":[{"productId":"prd_01M97FCTHJT4QQ68B5E6V7NXF1","quantity":1}],"reservedAt":"2026-12-07T05:25:19.455Z","expiresAt":"2026-12-07T05:40:19.455Z"}}`;

  it("packs such an envelope to a sixth of its size, and reads it back only with its context", () => {
    const packed = packText(written, context, 3);
    expect(packed[0]).toBe(4);
    // 91 bytes of 579. (Format 3 packs this one smaller, 74: its dictionary was made from this very run's envelopes,
    // ids and times included; on envelopes of other runs format 4 packs about 2 % smaller.)
    expect(packed.length).toBeLessThan(written.length / 6);
    expect(unpackText(packed, context)).toBe(written);
    expect(() => unpackText(packed)).toThrow(/format 4.*without one/);
    expect(() => packText(written, undefined, 3)).toThrow(/context/);
  });

  it("packs what a fresh deflate stream with its dictionary reads, and reads what one wrote", () => {
    for (const text of [written, envelope, "", "😀 café", "a".repeat(100_000)]) {
      const packed = packText(text, context, 3);
      const dictionary = Buffer.concat([DICTIONARY_3, Buffer.from(context)]);
      expect(inflateRawSync(packed.subarray(1), { dictionary }).toString("utf8")).toBe(text);
      const fresh = Buffer.concat([Buffer.from([4]), deflateRawSync(text, { dictionary })]);
      expect(unpackText(fresh, context)).toBe(text);
    }
  });

  it("reads format 4 as it was first written (its dictionary is frozen: a new one is a new format)", () => {
    const first = `{"eventId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z31","producer":"order","traceId":"0194d1f1b8e9d4f9e9c1d77d2607bc41","correlationId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S"`;
    const bytes = Buffer.from(
      "BCPJbRRU30ZmugaGuoYWIYZGVsYGVgYGUdj9iqcyxuGHQGyli6WhpQW20iUvHzwknZyYdnilwqMZU5VqawE=",
      "base64",
    );
    expect(unpackText(bytes, first)).toBe(envelope);
    expect(DICTIONARY_3.length).toBe(5712);
  });
});

/** Format 2's dictionary for `context`: format 1's, then the context. */
function dictionaryOf(context: string): Buffer {
  return Buffer.concat([DICTIONARY_1, Buffer.from(context)]);
}
