// An integrator's program: typed REST calls against the MSW handlers, and a parsed event.
import { createClient, parseEvent } from "@ecom/sdk";
import { createMockHandlers } from "@ecom/sdk/msw";
import { setupServer } from "msw/node";

const baseUrl = "http://ecom.test";
const server = setupServer(...createMockHandlers({ baseUrl }));
server.listen({ onUnhandledRequest: "error" });

const client = createClient({ baseUrl, token: "dev-token" });
const cart = await client.cart.getCart({ params: { path: { cartId: "crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G" } } });
if (cart.error) throw new Error(`getCart failed: ${JSON.stringify(cart.error)}`);
const subtotal: number = cart.data.subtotal.amount;

const parsed = parseEvent({
  eventId: "evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z31",
  eventType: "ecommerce.cart.cart.expired.v1",
  occurredAt: "2026-01-25T12:05:00.000Z",
  producer: "cart",
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  correlationId: "crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G",
  schemaVersion: "1.0",
  partitionKey: "crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G",
  payload: {
    cartId: "crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G",
    customerId: "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E",
    itemCount: 1,
    lastActivityAt: "2026-01-18T12:05:00Z",
  },
});
if (parsed.error) throw parsed.error;
let itemCount = -1;
if (parsed.data.eventType === "ecommerce.cart.cart.expired.v1") {
  // Narrowed on eventType: the payload is the cart-expired payload.
  itemCount = parsed.data.payload.itemCount;
}

server.close();
console.log(JSON.stringify({ subtotal, eventType: parsed.data.eventType, itemCount }));
