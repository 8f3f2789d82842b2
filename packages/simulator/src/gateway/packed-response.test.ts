import { describe, expect, it } from "vitest";
import { packText } from "../packed-text.js";
import type { StoredResponse } from "./idempotency-store.js";
import {
  isPackedResponse,
  PACKED_AGAINST_REQUEST_FORMAT,
  PACKED_RESPONSE_FORMAT,
  packResponse,
  unpackResponse,
} from "./packed-response.js";

const context = "2026-12-07T02:20:17.273Zcustomer:cus_01M974TGSP4BQFT1B1AAHD7H22:a867ca11-361c-47bd-85a7-f2ef04a52594";
const createdCart: StoredResponse = {
  status: 201,
  headers: {
    "content-type": "application/json",
    location: "/carts/crt_01M974THZRGT91G96PP80ZYNMY",
    "correlation-id": "cor_01M974THZPCX0RXGDMP9B8ST0B",
  },
  body: '{"cartId":"crt_01M974THZRGT91G96PP80ZYNMY","customerId":"cus_01M974TGSP4BQFT1B1AAHD7H22","status":"OPEN","currency":"USD","items":[],"subtotal":{"amount":0,"currency":"USD"},"createdAt":"2026-12-07T02:20:17.272Z","updatedAt":"2026-12-07T02:20:17.272Z","expiresAt":"2026-12-14T02:20:17.272Z"}',
};

describe("packed responses", () => {
  it.each<[string, StoredResponse]>([
    ["a created cart with its Location and the platform's Correlation-Id", createdCart],
    [
      "a problem with Retry-After",
      {
        status: 503,
        headers: {
          "content-type": "application/problem+json",
          "correlation-id": "cor_01M974TJ079QT72GZ4C5PPKG32",
          "retry-after": "2",
        },
        body: '{"type":"https://ecom.dev/problems/unavailable","title":"Service Unavailable","status":503}',
      },
    ],
    [
      "a client's own Correlation-Id and another content type",
      {
        status: 200,
        headers: { "content-type": "text/plain; charset=utf-8", "correlation-id": "my-trace-1", etag: '"v1"' },
        body: "caf\u00e9 ☕\nsecond line\n",
      },
    ],
    ["no headers and no body", { status: 204, headers: {}, body: "" }],
    [
      "a Correlation-Id that only looks like the platform's (lower case)",
      { status: 200, headers: { "correlation-id": "cor_01m974thzpcx0rxgdmp9b8st0b" }, body: "{}" },
    ],
  ])("gives back %s exactly, headers in the same order", (_name, response) => {
    const packed = packResponse(response, context);
    expect(isPackedResponse(packed)).toBe(true);
    const unpacked = unpackResponse(response.status, packed, context);
    expect(unpacked).toEqual(response);
    expect(Object.keys(unpacked.headers)).toEqual(Object.keys(response.headers));
  });

  it("keeps a checkout's response in well under half of what packed-text's format 1 took for it", () => {
    const before = packText(`${JSON.stringify(createdCart.headers)}\n${createdCart.body}`);
    expect(packResponse(createdCart, context).length).toBeLessThan(before.length / 2);
  });

  it("reads a response packed by the first version of the format (its dictionary is frozen)", () => {
    const packed = Buffer.from(
      "EAUBok5NR/ZnQY7BtLJWjOgLw90ghOoIcg+xNHS3NAsIsDCIivTzjcTW2MGpFmvBjcs7dGsQYoS4EdZoxa4Mo7o3NNI1NEFTVgsA",
      "base64",
    );
    expect(packed[0]).toBe(PACKED_RESPONSE_FORMAT);
    expect(unpackResponse(201, packed, context)).toEqual(createdCart);
  });

  it("packs a response against the request it answered, whose ids then cost a few bits, and reads it back only with it", async () => {
    const request =
      'POST\n/carts/crt_01M974THZRGT91G96PP80ZYNMY/items\n{"productId":"prd_01M974THZRGT91G96PP80ZYNMA","quantity":1}';
    const added: StoredResponse = {
      ...createdCart,
      body: createdCart.body.replace(
        '"items":[]',
        '"items":[{"productId":"prd_01M974THZRGT91G96PP80ZYNMA","quantity":1}]',
      ),
    };
    const packed = packResponse(added, context, request);
    expect(packed[0]).toBe(PACKED_AGAINST_REQUEST_FORMAT);
    expect(unpackResponse(added.status, packed, context, request)).toEqual(added);
    expect(packed.length).toBeLessThan(packResponse(added, context).length - 15);
    expect(() => unpackResponse(added.status, packed, context)).toThrow(/without the request/);
  });

  it("tells a packed response from a value of packed-text, which rows stored before hold", () => {
    expect(isPackedResponse(packText('{"content-type":"application/json"}\n{}'))).toBe(false);
    expect(() => unpackResponse(200, packText("{}\n{}"), context)).toThrow(/not a packed response/);
  });
});
