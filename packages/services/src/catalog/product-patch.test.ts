import { describe, expect, it } from "vitest";
import { applyProductPatch, type DescriptiveFields } from "./product-patch.js";

const kAndR: DescriptiveFields = {
  title: "The C Programming Language",
  subtitle: "Second Edition",
  description: "The authoritative reference to ANSI C.",
  authorIds: ["aut_kernighan", "aut_ritchie"],
  publisherId: "pub_prentice",
  publicationDate: "1988-03-22",
  language: "en",
  pages: 272,
  categoryIds: ["cat_c", "cat_classics"],
  coverImageUrl: null,
};

describe("a product merge-patch", () => {
  it.each([
    ["a new title", { head: { title: "The C Book" }, want: ["title"] }],
    ["the same title", { head: { title: "The C Programming Language" }, want: [] }],
    ["a first cover image", { head: { coverImageUrl: "https://covers.ecom.dev/c.jpg" }, want: ["coverImageUrl"] }],
    ["authors reordered", { head: { authorIds: ["aut_ritchie", "aut_kernighan"] }, want: ["authors"] }],
    ["the same authors", { head: { authorIds: ["aut_kernighan", "aut_ritchie"] }, want: [] }],
    ["categories reordered", { head: { categoryIds: ["cat_classics", "cat_c"] }, want: [] }],
    ["a category added", { head: { categoryIds: ["cat_c", "cat_classics", "cat_unix"] }, want: ["categoryIds"] }],
    [
      "another publisher and page count",
      { head: { publisherId: "pub_other", pages: 274 }, want: ["pages", "publisher"] },
    ],
  ])("names what changed: %s", (_name, { head, want }) => {
    expect(applyProductPatch(kAndR, head).changedFields).toEqual(want);
  });

  it("keeps the fields a patch leaves out", () => {
    expect(applyProductPatch(kAndR, { pages: 300 }).next).toEqual({ ...kAndR, pages: 300 });
  });
});
