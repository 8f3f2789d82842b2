import { describe, expect, it } from "vitest";
import { CategoryTree } from "./category-tree.js";

// books ─┬─ computing ─┬─ languages
//        │             └─ databases
//        └─ fiction ──── science-fiction
const tree = new CategoryTree([
  { categoryId: "books", parentId: null },
  { categoryId: "computing", parentId: "books" },
  { categoryId: "languages", parentId: "computing" },
  { categoryId: "databases", parentId: "computing" },
  { categoryId: "fiction", parentId: "books" },
  { categoryId: "science-fiction", parentId: "fiction" },
]);

describe("the category tree", () => {
  it.each([
    ["a top-level category", { given: "books", want: [] }],
    ["a child", { given: "computing", want: ["books"] }],
    ["a grandchild, root first", { given: "languages", want: ["books", "computing"] }],
    ["an unknown category", { given: "nowhere", want: [] }],
  ])("gives the ancestors of %s", (_name, { given, want }) => {
    expect(tree.ancestorsOf(given)).toEqual(want);
  });

  it("gives the ancestors of several categories once each, leaving out the categories themselves", () => {
    expect(tree.ancestorsOfAll(["languages", "databases", "computing", "science-fiction"])).toEqual([
      "books",
      "fiction",
    ]);
  });

  it.each([
    ["a leaf", { given: "databases", want: ["databases"] }],
    ["an inner node", { given: "computing", want: ["computing", "databases", "languages"] }],
    [
      "the root",
      { given: "books", want: ["books", "computing", "databases", "fiction", "languages", "science-fiction"] },
    ],
  ])("gives the subtree of %s", (_name, { given, want }) => {
    expect(tree.subtreeOf(given).sort()).toEqual(want);
  });

  it("stops at a cycle instead of looping", () => {
    const broken = new CategoryTree([
      { categoryId: "a", parentId: "b" },
      { categoryId: "b", parentId: "a" },
    ]);
    expect(broken.ancestorsOf("a")).toEqual(["b"]);
    expect(broken.subtreeOf("a").sort()).toEqual(["a", "b"]);
  });
});
