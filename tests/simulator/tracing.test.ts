import { allContexts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { SpanKind } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebhookReceiver } from "../notification/webhook-receiver.js";
import { quiet, shopAt } from "./shop.js";

// One checkout, one trace: from the REST request through every RPC, the outbox, the relay and each subscriber, into
// notification, recorded by an in-memory exporter on a platform of its own.

let platform: Platform;
let shop: ReturnType<typeof shopAt>;
const exporter = new InMemorySpanExporter();

beforeAll(async () => {
  platform = await createPlatform({
    contexts: allContexts,
    memory: true,
    seed: 11,
    log: quiet,
    tracing: { exporters: [exporter] },
  });
  shop = shopAt(platform);
});
afterAll(async () => {
  await platform.close();
});

const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

/** The spans of the trace a checkout request started, after the checkout was paid and every event delivered. */
async function tracedCheckout() {
  const shopper = await shop.register();
  exporter.reset();
  const order = await shop.paidOrder(shopper);
  await platform.flushTraces();
  const spans = exporter.getFinishedSpans();
  const request = spans.find((span) => span.name === "POST /carts/{cartId}/checkout");
  if (!request) throw new Error(`no checkout request span among ${spans.map((span) => span.name).join(", ")}`);
  const traceId = request.spanContext().traceId;
  const trace = spans.filter((span) => span.spanContext().traceId === traceId);
  const named = (name: string) => {
    const found = trace.filter((span) => span.name === name);
    if (found.length === 0) throw new Error(`no span ${name} in the checkout's trace`);
    return found;
  };
  return { ...order, request, traceId, trace, named };
}

describe("tracing a checkout", () => {
  it("keeps one trace spanning cart, inventory, payment, order and notification", async () => {
    const { trace, named, request } = await tracedCheckout();
    const contexts = new Set(trace.map((span) => span.attributes["ecom.context"]));
    for (const context of ["cart", "inventory", "payment", "order", "notification"])
      expect(contexts).toContain(context);
    expect(request.kind).toBe(SpanKind.SERVER);
    expect(request.attributes).toMatchObject({
      "http.request.method": "POST",
      "http.route": "/carts/{cartId}/checkout",
      "http.response.status_code": 202,
    });
    named("ecom.inventory.v1.InventoryService/ReserveStock");
    named("ecom.payment.v1.PaymentService/Authorize");
    named("order publish ecommerce.order.order.created.v1");
    named("notification process ecommerce.order.order.created.v1");
    named("notification publish ecommerce.notification.notification.sent.v1");
  });

  it("makes each RPC's server span the child of its client span, through the traceparent header", async () => {
    const { trace } = await tracedCheckout();
    const calls = trace.filter((span) => span.name === "ecom.payment.v1.PaymentService/Authorize");
    const client = calls.find((span) => span.kind === SpanKind.CLIENT)!;
    const server = calls.find((span) => span.kind === SpanKind.SERVER)!;
    expect(parentOf(server)).toBe(idOf(client));
    expect(server.attributes).toMatchObject({ "rpc.system": "connect_rpc", "rpc.method": "Authorize" });
  });

  it("carries the trace across the outbox: the envelope names the publish span, every subscriber's span is its child", async () => {
    const { traceId, named, correlationId } = await tracedCheckout();
    const events = await shop.flow(correlationId);
    const created = events.find((event) => event.eventType === "ecommerce.order.order.created.v1")!;
    const envelope = created.envelope as unknown as { traceId: string; spanId: string };
    expect(envelope.traceId).toBe(traceId);
    const [publish] = named("order publish ecommerce.order.order.created.v1");
    expect(envelope.spanId).toBe(idOf(publish!));
    expect(publish!.kind).toBe(SpanKind.PRODUCER);
    const [relay] = named("order relay ecommerce.order.order.created.v1");
    expect(parentOf(relay!)).toBe(envelope.spanId);
    for (const subscriber of ["notification", "search", "analytics"]) {
      const [process] = named(`${subscriber} process ecommerce.order.order.created.v1`);
      expect(process!.kind).toBe(SpanKind.CONSUMER);
      expect(parentOf(process!)).toBe(envelope.spanId);
      expect(process!.attributes["messaging.message.id"]).toBe(created.eventId);
    }
    // Every event of the flow is in the one trace.
    for (const event of events) expect((event.envelope as unknown as { traceId: string }).traceId).toBe(traceId);
  });

  it("traces the saga's steps and the e-mail sent after commit as children of the spans that caused them", async () => {
    const { named, request, trace } = await tracedCheckout();
    const [process] = named("order process ecommerce.cart.cart.checked_out.v1");
    const steps = ["reserve_stock", "authorize_payment", "capture_payment"];
    for (const step of steps) {
      const [span] = named(`order saga ${step}`);
      expect(parentOf(span!)).toBe(idOf(process!));
    }
    // capture_payment commits the stock itself (one try); commit_stock runs only when that try did not answer.
    expect(trace.filter((span) => span.name === "order saga commit_stock")).toEqual([]);
    const [commit] = named("ecom.inventory.v1.InventoryService/CommitStock").filter(
      (span) => span.kind === SpanKind.CLIENT,
    );
    expect(parentOf(commit!)).toBe(idOf(named("order saga capture_payment")[0]!));
    // create_order calls no other context: it runs in the transaction that records the authorization.
    expect(parentOf(named("order saga create_order")[0]!)).toBe(idOf(named("order saga authorize_payment")[0]!));
    const [reserve] = named("ecom.inventory.v1.InventoryService/ReserveStock").filter(
      (span) => span.kind === SpanKind.CLIENT,
    );
    expect(parentOf(reserve!)).toBe(idOf(named("order saga reserve_stock")[0]!));
    // The order confirmation is sent by a background pass; its row keeps the span that queued it.
    const [queued] = named("notification process ecommerce.order.order.created.v1");
    const sends = named("notification send email");
    expect(sends.map(parentOf)).toContain(idOf(queued!));
    const [sent] = named("notification publish ecommerce.notification.notification.sent.v1");
    expect(sends.map(idOf)).toContain(parentOf(sent!));
    expect(request.spanContext().traceId).toBe(sent!.spanContext().traceId);
  });

  it("posts a partner's webhook with the traceparent of its send span, in the event's trace", async () => {
    const partner = await startWebhookReceiver(() => 204);
    try {
      const { client: ops } = await shop.admin();
      const { error } = await ops.notification.createWebhookSubscription({
        body: { url: partner.url, eventTypes: ["ecommerce.order.order.paid.v1"] },
      });
      expect(error).toBeUndefined();
      const { traceId, named } = await tracedCheckout();
      await partner.receivedCount(1);
      await platform.flushTraces();
      const [send] = exporter
        .getFinishedSpans()
        .filter((span) => span.name === "notification send webhook" && span.spanContext().traceId === traceId);
      expect(parentOf(send!)).toBe(idOf(named("order publish ecommerce.order.order.paid.v1")[0]!));
      expect(partner.received[0]!.headers.traceparent).toBe(`00-${traceId}-${idOf(send!)}-01`);
    } finally {
      await partner.close();
    }
  });

  it("answers GET /_sim/traces with what it keeps, a bad trace id with 400 and a trace it does not keep with 404", async () => {
    const get = (path: string) => platform.fetch(new Request(`http://ecom.test${path}`));
    const settings = await get("/_sim/traces");
    expect(await settings.json()).toEqual({ enabled: true, keptSpans: false });
    expect((await get("/_sim/traces/not-a-trace")).status).toBe(400);
    const missing = await get(`/_sim/traces/${"ab".repeat(16)}`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { detail: string }).detail).toContain("ecom sim up --trace");
  });
});
