import { constants, deflateRawSync, inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { createReusedRawStream } from "./reused-zlib.js";

const dictionary = Buffer.from('{"eventId":"evt_","eventType":"ecommerce.order.order.created.v1","payload":{}}');

describe("reused raw zlib stream", () => {
  it("is available on the Node the project runs on (packed text falls back to a stream per value without it)", () => {
    expect(createReusedRawStream("deflate", dictionary)).toBeDefined();
    expect(createReusedRawStream("inflate", dictionary)).toBeDefined();
  });

  it("deflates each value after a reset as a fresh stream with the dictionary does, however large", () => {
    const deflate = createReusedRawStream("deflate", dictionary)!;
    for (const text of ['{"eventId":"evt_1","payload":{}}', "", "z".repeat(200_000), '{"eventId":"evt_2"}']) {
      deflate.reset();
      const end = deflate.write(Buffer.from(text), constants.Z_FINISH, 0);
      const value = Buffer.from(deflate.output.subarray(0, end));
      expect(value).toEqual(deflateRawSync(text, { dictionary }));
      expect(inflateRawSync(value, { dictionary }).toString()).toBe(text);
    }
  });

  it("inflates after a reset what a fresh stream deflated, and goes on after a value it cannot read", () => {
    const inflate = createReusedRawStream("inflate", dictionary)!;
    const read = (value: Buffer) => {
      inflate.reset();
      const end = inflate.write(value, constants.Z_FINISH, 0);
      // Read after the write: a write may move the output to a larger buffer.
      return inflate.output.toString("utf8", 0, end);
    };
    const large = `${"0123456789".repeat(10_000)}{"eventId":"evt_3"}`;
    expect(read(deflateRawSync(large, { dictionary }))).toBe(large);
    expect(() => read(Buffer.from([0xff, 0xff, 0xff]))).toThrow();
    expect(() => read(deflateRawSync(large, { dictionary }).subarray(0, 20))).toThrow(/end/);
    expect(read(deflateRawSync('{"eventId":"evt_4"}', { dictionary }))).toBe('{"eventId":"evt_4"}');
  });
});
