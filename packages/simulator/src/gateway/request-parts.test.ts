import { describe, expect, it } from "vitest";
import { parseQuery } from "./request-parts.js";

describe("query parameters for the contract validators", () => {
  it.each<[string, { given: string; want: Record<string, string | string[]> }]>([
    ["none", { given: "", want: {} }],
    ["one value as a string, an empty one too", { given: "?limit=20&cursor=", want: { limit: "20", cursor: "" } }],
    [
      "a repeated name as its values in order, names in the order they first appear",
      { given: "?tag=a&limit=5&tag=b&tag=c", want: { tag: ["a", "b", "c"], limit: "5" } },
    ],
    ["percent-escapes and plus signs decoded", { given: "?q=caf%C3%A9+au+lait", want: { q: "café au lait" } }],
    [
      "names an object has by inheritance as parameters like any other",
      { given: "?constructor=x&toString=y&toString=z", want: { constructor: "x", toString: ["y", "z"] } },
    ],
  ])("%s", (_name, { given, want }) => {
    const query = parseQuery(new URLSearchParams(given));
    expect(query).toEqual(want);
    expect(Object.keys(query)).toEqual(Object.keys(want));
  });

  it("leaves the object's prototype alone for a parameter named __proto__", () => {
    const query = parseQuery(new URLSearchParams("?__proto__=x&__proto__=y"));
    expect(Object.getPrototypeOf(query)).toBe(Object.prototype);
  });
});
