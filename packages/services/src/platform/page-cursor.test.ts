import { describe, expect, it } from "vitest";
import { decodeCursor, decodeQueryCursor, encodeCursor, pageOf } from "./page-cursor.js";
import { isServiceError } from "./service-error.js";

const isIdPosition = (value: Record<string, unknown>): value is { id: string } => typeof value.id === "string";
const asBase64url = (text: string) => Buffer.from(text).toString("base64url");

describe("page cursors", () => {
  it.each([
    [
      "the same filters in any key order",
      {
        given: encodeCursor({ id: "prd_2" }, { status: "ACTIVE", format: "ebook" }),
        filters: { format: "ebook", status: "ACTIVE" },
      },
    ],
    ["no filters", { given: encodeCursor({ id: "prd_2" }, {}), filters: {} }],
    [
      "a filter left undefined as one left out",
      { given: encodeCursor({ id: "prd_2" }, { status: undefined, format: "ebook" }), filters: { format: "ebook" } },
    ],
    [
      "array filters",
      {
        given: encodeCursor({ id: "prd_2" }, { statuses: ["PAID", "SHIPPED"] }),
        filters: { statuses: ["PAID", "SHIPPED"] },
      },
    ],
  ])("give back the position they hold, for %s", (_name, { given, filters }) => {
    expect(given).toMatch(/^[A-Za-z0-9_-]+$/);
    // Exactly the position: the filters' digest stays inside the cursor.
    expect(decodeCursor(given, filters, isIdPosition)).toEqual({ id: "prd_2" });
  });

  it.each([
    [
      "other filters",
      { given: encodeCursor({ id: "prd_2" }, { status: "ACTIVE" }), filters: { status: "DISCONTINUED" } },
    ],
    ["a filter added", { given: encodeCursor({ id: "prd_2" }, {}), filters: { status: "ACTIVE" } }],
    ["a filter dropped", { given: encodeCursor({ id: "prd_2" }, { status: "ACTIVE" }), filters: {} }],
    [
      "array filters in another order",
      {
        given: encodeCursor({ id: "prd_2" }, { statuses: ["PAID", "SHIPPED"] }),
        filters: { statuses: ["SHIPPED", "PAID"] },
      },
    ],
    ["not base64url JSON", { given: "%%%not-a-cursor", filters: {} }],
    ["JSON of the wrong shape", { given: asBase64url('{"id":5}'), filters: {} }],
    ["a JSON array", { given: asBase64url("[1,2]"), filters: {} }],
    ["JSON null", { given: asBase64url("null"), filters: {} }],
    ["a position without the filters' digest", { given: asBase64url('{"id":"prd_2"}'), filters: {} }],
  ])("refuse %s", (_name, { given, filters }) => {
    expect(decodeCursor(given, filters, isIdPosition)).toBeUndefined();
  });
});

describe("the cursor query parameter", () => {
  it("is no position on the first page, and the cursor's position after it", () => {
    expect(decodeQueryCursor(undefined, { status: "ACTIVE" }, isIdPosition)).toBeUndefined();
    const cursor = encodeCursor({ id: "ord_9" }, { status: "ACTIVE" });
    expect(decodeQueryCursor(cursor, { status: "ACTIVE" }, isIdPosition)).toEqual({ id: "ord_9" });
  });

  it.each([
    ["one made for other filters", { given: encodeCursor({ id: "ord_9" }, { status: "PAID" }) }],
    ["one this list never gave out", { given: "bm90LWEtY3Vyc29y" }],
    ["an empty one", { given: "" }],
  ])("refuses %s as a 400 validation error on /query/cursor", (_name, { given }) => {
    let thrown: unknown;
    try {
      decodeQueryCursor(given, { status: "ACTIVE" }, isIdPosition);
    } catch (error) {
      thrown = error;
    }
    expect(isServiceError(thrown)).toBe(true);
    expect(thrown).toMatchObject({
      code: "validation",
      details: { errors: [{ pointer: "/query/cursor", message: expect.stringContaining("start again without one") }] },
    });
  });
});

describe("pages of rows read with LIMIT limit + 1", () => {
  const rows = [{ id: "a" }, { id: "b" }, { id: "c" }];
  const options = { limit: 2, filters: { status: "ACTIVE" }, positionOf: (row: { id: string }) => ({ id: row.id }) };

  it.each([
    ["more rows than the limit", { given: rows, want: { items: ["a", "b"], after: "b" } }],
    ["exactly the limit", { given: rows.slice(0, 2), want: { items: ["a", "b"], after: undefined } }],
    ["fewer rows than the limit", { given: rows.slice(0, 1), want: { items: ["a"], after: undefined } }],
    ["no rows", { given: [], want: { items: [], after: undefined } }],
  ])("keep the first rows and point after the last of them only when more follow: %s", (_name, { given, want }) => {
    const { items, page } = pageOf(given, options);
    expect(items.map((row) => row.id)).toEqual(want.items);
    expect(page.limit).toBe(2);
    if (want.after === undefined) {
      expect(page).not.toHaveProperty("nextCursor");
    } else {
      expect(decodeCursor(page.nextCursor ?? "", options.filters, isIdPosition)).toEqual({ id: want.after });
    }
  });
});
