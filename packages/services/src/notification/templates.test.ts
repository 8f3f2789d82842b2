import { type EcomMessage, type MessageType, messageRegistry } from "@ecom/sdk";
import { describe, expect, it } from "vitest";
import { formatMoney, maskEmail, notificationFor, renderTemplate, TEMPLATES, templateOf } from "./templates.js";

/** The contract's example of an event, as the envelope a subscriber receives. */
const exampleOf = (type: string): EcomMessage => {
  const example = messageRegistry[type as MessageType].example as { headers: object; payload: object };
  return { ...example.headers, payload: example.payload } as EcomMessage;
};

describe("templates", () => {
  it("are triggered by events the platform publishes, each of which builds that template", () => {
    for (const template of TEMPLATES)
      for (const type of template.triggeredBy) {
        expect(messageRegistry[type as MessageType]?.kind, type).toBe("event");
        expect(notificationFor(exampleOf(type))?.templateKey).toBe(template.templateKey);
      }
  });

  it("render from the trigger's variables and every required one is supplied by its trigger", () => {
    for (const template of TEMPLATES)
      for (const type of template.triggeredBy) {
        const built = notificationFor(exampleOf(type))!;
        const rendered = renderTemplate(template, { firstName: "Ada", ...built.variables });
        expect(rendered.subject).not.toContain("{{");
        expect(rendered.body).toContain("Ada");
      }
  });

  it("refuse to render without a required variable and leave an optional one empty", () => {
    const shipped = templateOf("order_shipped")!;
    expect(() => renderTemplate(shipped, { firstName: "Ada", orderId: "ord_1", carrier: "ups" })).toThrow(
      /trackingNumber/,
    );
    expect(
      renderTemplate(shipped, { firstName: "Ada", orderId: "ord_1", carrier: "ups", trackingNumber: "1Z9" }).body,
    ).toBe("Hi Ada, order ord_1 is with ups, tracking number 1Z9.");
  });

  it("tell a customer whose order a failed checkout canceled what became of their money, from the cancellation's note", () => {
    const example = exampleOf("ecommerce.order.order.canceled.v1");
    const note = "The payment could not be processed; the payment taken was refunded. Try again or use another card.";
    const canceled = { ...example, payload: { ...example.payload, reason: "payment_failed", note } } as EcomMessage;
    const built = notificationFor(canceled)!;
    expect(renderTemplate(templateOf("order_canceled")!, { firstName: "Ada", ...built.variables }).body).toBe(
      `Hi Ada, order ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R was canceled (payment failed). ${note}`,
    );
    const { note: _none, ...withoutNote } = example.payload as { note?: string };
    const plain = notificationFor({ ...example, payload: withoutNote } as EcomMessage)!;
    expect(renderTemplate(templateOf("order_canceled")!, { firstName: "Ada", ...plain.variables }).body).toBe(
      "Hi Ada, order ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R was canceled (customer request).",
    );
  });

  it("says nothing for events that tell a customer nothing", () => {
    expect(notificationFor(exampleOf("ecommerce.catalog.product.created.v1"))).toBeUndefined();
  });
});

describe("formatMoney and maskEmail", () => {
  it.each([
    [{ amount: 4599, currency: "USD" }, "45.99 USD"],
    [{ amount: 5, currency: "EUR" }, "0.05 EUR"],
    [{ amount: 1200, currency: "JPY" }, "1200 JPY"],
  ])("formats %o as %s", (money, want) => {
    expect(formatMoney(money)).toBe(want);
  });

  it("masks all but the first letter of the local part", () => {
    expect(maskEmail("ada@example.com")).toBe("a***@example.com");
  });
});
