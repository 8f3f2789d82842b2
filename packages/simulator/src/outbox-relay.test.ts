import { describe, expect, it } from "vitest";
import { outgoingEvent } from "./outbox-relay.js";

const envelope = {
  eventId: "evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z31",
  eventType: "ecommerce.order.order.paid.v1",
  occurredAt: "2026-01-18T12:30:00Z",
  producer: "order",
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  correlationId: "chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S",
  schemaVersion: "1.0",
  partitionKey: "ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R",
  payload: { orderId: "ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R", nested: { payload: 1, producer: "not this one" } },
};
const routing = (text: string) => {
  const { eventType, producer, correlationId, partitionKey } = outgoingEvent("evt_1", text);
  return { eventType, producer, correlationId, partitionKey };
};
const expected = (of: typeof envelope) => ({
  eventType: of.eventType,
  producer: of.producer,
  correlationId: of.correlationId,
  partitionKey: of.partitionKey,
});

describe("outgoingEvent", () => {
  it("reads the routing fields of an envelope as the outbox writes it, and keeps its text as it is", () => {
    const text = JSON.stringify(envelope);
    expect(routing(text)).toEqual(expected(envelope));
    expect(outgoingEvent("evt_1", text).envelope).toBe(text);
  });

  it("is not misled by a client's correlation id that spells the payload key", () => {
    const tricky = { ...envelope, correlationId: 'x","payload":{"producer":"evil"},"y":"' };
    expect(routing(JSON.stringify(tricky))).toEqual(expected(tricky));
  });

  it("reads an envelope laid out otherwise (payload first, or a field that nests one) by parsing it whole", () => {
    const { payload, ...head } = envelope;
    const payloadFirst = JSON.stringify({ payload, ...head });
    expect(routing(payloadFirst)).toEqual(expected(envelope));
    const nestedFirst = JSON.stringify({ extra: { a: 1, payload: 2 }, ...envelope });
    expect(routing(nestedFirst)).toEqual(expected(envelope));
  });
});
