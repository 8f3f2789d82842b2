import { describe, expect, it } from "vitest";
import { parseYamlDocument, pointerSegments, toPointer, YamlSyntaxError } from "./yaml-document.js";

const text = `openapi: 3.1.0
paths:
  /carts/{cartId}:
    get:
      operationId: getCart
      tags: [cart, read]
`;

describe("parseYamlDocument", () => {
  it("gives the line of a node addressed by a JSON Pointer with escaped slashes", () => {
    const doc = parseYamlDocument("openapi/cart.yaml", text);
    expect(doc.lineOf("/paths/~1carts~1{cartId}/get/operationId")).toBe(5);
    expect(doc.lineOf("/paths/~1carts~1{cartId}/get/tags/1")).toBe(6);
  });

  it("falls back to the nearest existing ancestor for a missing node", () => {
    const doc = parseYamlDocument("openapi/cart.yaml", text);
    expect(doc.lineOf("/paths/~1carts~1{cartId}/post/requestBody")).toBe(3);
  });

  it("reports a syntax error with the file and line", () => {
    expect(() => parseYamlDocument("asyncapi/bad.yaml", "a: 1\nb: [1, 2\nc: 3\n")).toThrowError(YamlSyntaxError);
    try {
      parseYamlDocument("asyncapi/bad.yaml", "a: 1\na: 2\n");
    } catch (error) {
      expect((error as YamlSyntaxError).file).toBe("asyncapi/bad.yaml");
      expect((error as YamlSyntaxError).line).toBe(2);
    }
  });
});

describe("JSON Pointers", () => {
  it("round-trip segments that contain ~ and /", () => {
    const segments = ["paths", "/a/{b}", "x~y"];
    expect(pointerSegments(toPointer(segments))).toEqual(segments);
  });
});
