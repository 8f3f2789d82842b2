import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "./page-cursor.js";

const isIdPosition = (value: Record<string, unknown>): value is { id: string } => typeof value.id === "string";

describe("page cursors", () => {
  it("give back the position they hold, for the same filters in any key order", () => {
    const cursor = encodeCursor({ id: "prd_2" }, { status: "ACTIVE", format: "ebook" });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, { format: "ebook", status: "ACTIVE" }, isIdPosition)).toMatchObject({ id: "prd_2" });
  });

  it.each([
    [
      "other filters",
      { given: encodeCursor({ id: "prd_2" }, { status: "ACTIVE" }), filters: { status: "DISCONTINUED" } },
    ],
    ["not base64url JSON", { given: "%%%not-a-cursor", filters: {} }],
    ["JSON of the wrong shape", { given: Buffer.from('{"id":5}').toString("base64url"), filters: {} }],
    ["a JSON array", { given: Buffer.from("[1,2]").toString("base64url"), filters: {} }],
  ])("refuse %s", (_name, { given, filters }) => {
    expect(decodeCursor(given, filters, isIdPosition)).toBeUndefined();
  });
});
