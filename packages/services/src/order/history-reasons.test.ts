import { describe, expect, it } from "vitest";
import { historyReasonOf, keptReason, STANDARD_REASONS } from "./history-reasons.js";

describe("an order status change's reason as its history row keeps it", () => {
  it.each(STANDARD_REASONS.map((reason, code) => [reason, code] as const))(
    "keeps the platform's %j as code %i, read back as that text",
    (reason, code) => {
      const kept = keptReason(reason);
      expect(kept).toEqual({ reason: null, reason_code: code });
      expect(historyReasonOf(kept)).toBe(reason);
    },
  );

  it("keeps any other reason, and no reason, as it is", () => {
    for (const reason of ["Shipped with UPS.", "payment captured.", "", null]) {
      expect(keptReason(reason)).toEqual({ reason, reason_code: null });
      expect(historyReasonOf(keptReason(reason))).toBe(reason);
    }
  });

  it("reads a row written before the codes (its reason's text, no code) as it was", () => {
    expect(historyReasonOf({ reason: "Payment captured.", reason_code: null })).toBe("Payment captured.");
  });
});
