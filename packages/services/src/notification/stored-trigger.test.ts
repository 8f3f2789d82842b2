import { describe, expect, it } from "vitest";
import { storedTriggerType, TEMPLATE_TRIGGER, triggerTypeOf } from "./stored-trigger.js";

const CREATED = "ecommerce.order.order.created.v1";

describe("a notification's trigger type as its row keeps it", () => {
  it("is a mark when it is the one type that sends the template, and reads back as that type", () => {
    const kept = storedTriggerType("order_confirmation", CREATED);
    expect(kept).toBe(TEMPLATE_TRIGGER);
    expect(triggerTypeOf({ template_key: "order_confirmation", trigger_event_type: kept })).toBe(CREATED);
    expect(storedTriggerType("welcome", "ecommerce.customer.customer.registered.v1")).toBe(TEMPLATE_TRIGGER);
  });

  it("is the type itself for a template sent by something else (the send command, another event)", () => {
    const command = "ecommerce.notification.notification.send.v1";
    expect(storedTriggerType("order_confirmation", command)).toBe(command);
    expect(storedTriggerType("no_such_template", CREATED)).toBe(CREATED);
    expect(triggerTypeOf({ template_key: "order_confirmation", trigger_event_type: command })).toBe(command);
  });

  it("reads a row written before (the type kept whole) as it was", () => {
    expect(triggerTypeOf({ template_key: "order_confirmation", trigger_event_type: CREATED })).toBe(CREATED);
  });
});
