import { describe, expect, it } from "vitest";
import { UPDATED_WITH_STATUS, updatedAtOf } from "./store.js";

const TIMES = {
  created_at: "2026-12-01T10:00:00.000Z",
  paid_at: null,
  fulfilled_at: null,
  shipped_at: null,
  delivered_at: null,
  canceled_at: null,
};

describe("when an order last changed", () => {
  it("is the time its row keeps, for an order written before or changed by a write with a time of its own", () => {
    expect(updatedAtOf({ ...TIMES, paid_at: "2026-12-01T10:00:01.000Z", updated_at: "2026-12-01T11:00:00.000Z" })).toBe(
      "2026-12-01T11:00:00.000Z",
    );
  });

  it("is its latest status time when the row marks it so", () => {
    expect(updatedAtOf({ ...TIMES, updated_at: UPDATED_WITH_STATUS })).toBe(TIMES.created_at);
    expect(updatedAtOf({ ...TIMES, paid_at: "2026-12-01T10:00:01.000Z", updated_at: UPDATED_WITH_STATUS })).toBe(
      "2026-12-01T10:00:01.000Z",
    );
    expect(
      updatedAtOf({
        ...TIMES,
        paid_at: "2026-12-01T10:00:01.000Z",
        canceled_at: "2026-12-02T09:00:00.000Z",
        updated_at: UPDATED_WITH_STATUS,
      }),
    ).toBe("2026-12-02T09:00:00.000Z");
  });
});
