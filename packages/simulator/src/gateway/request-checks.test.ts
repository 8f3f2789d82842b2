import { describe, expect, it } from "vitest";
import { isJsonMediaType, mediaTypeProblem, nonFiniteNumberAt, pathProblem } from "./request-checks.js";

describe("request checks", () => {
  it.each([
    ["/carts/x/../../_sim/log", "validation"],
    ["/carts/%2e%2e/_sim/log", "validation"],
    ["/carts/%2E%2e", "validation"],
    ["/carts/./x", "validation"],
    ["/carts/a%2Fb", "validation"],
    ["/carts/a%5cb", "validation"],
    ["/carts/a\\b", "validation"],
    ["/carts/crt_1?next=../x", undefined],
    ["/carts/crt_1", undefined],
    ["/products/a.b..c", undefined],
  ])("rejects dot segments and encoded slashes: %s → %s", (url, code) => {
    expect(pathProblem(url)?.code).toBe(code);
  });

  it.each([
    ["application/json", true],
    ["application/json; charset=utf-8", true],
    ["Application/JSON", true],
    ["application/merge-patch+json", true],
    ["text/plain", false],
    ["application/x-www-form-urlencoded", false],
    [undefined, false],
  ])("tells JSON media types: %s → %s", (type, json) => {
    expect(isJsonMediaType(type)).toBe(json);
  });

  it("answers 415 to a body without a JSON Content-Type, and lets an empty body through", () => {
    expect(mediaTypeProblem("text/plain", "{}")?.code).toBe("unsupported_media_type");
    expect(mediaTypeProblem(undefined, "{}")?.code).toBe("unsupported_media_type");
    expect(mediaTypeProblem(undefined, "")).toBeUndefined();
  });

  it("finds numbers that JSON.parse turned into Infinity", () => {
    expect(nonFiniteNumberAt(JSON.parse('{"usageLimit": 1e400}'))).toBe("/usageLimit");
    expect(nonFiniteNumberAt(JSON.parse('{"a": [1, -1e999]}'))).toBe("/a/1");
    expect(nonFiniteNumberAt(JSON.parse('{"a": 1.5e300}'))).toBeUndefined();
  });
});
