import { describe, expect, it } from "vitest";
import { type FaultSwitches, noFaults } from "../platform/index.js";
import type { CardOutcome } from "./cards.js";
import { createSimulatedProcessor, isProcessorError, type ProcessorAnswer } from "./processor.js";
import { createSimulatedSoapEndpoint, SOAP_ENDPOINT_PATH } from "./simulated-soap-endpoint.js";
import { createSoapProcessor, type SoapExchange } from "./soap-processor.js";

// The SOAP adapter (the `soap` package's client) against the simulated processor's SOAP interface, in process.

function soapPair(faults: Partial<FaultSwitches> = {}) {
  const switches: FaultSwitches = { ...noFaults(), ...faults };
  let draw = 0;
  const processor = createSimulatedProcessor({
    faults: switches,
    clock: { now: () => new Date("2026-01-01T00:00:00.000Z") },
    random: () => (draw++ % 16) / 16,
  });
  const endpoint = createSimulatedSoapEndpoint({ processor, faults: switches });
  const exchanges: SoapExchange[] = [];
  const soap = createSoapProcessor({
    wsdlUrl: `http://processor.test/_sim/${SOAP_ENDPOINT_PATH}?wsdl`,
    transport: (exchange) => {
      exchanges.push(exchange);
      return endpoint(exchange);
    },
  });
  return { switches, processor, endpoint, soap, exchanges };
}

const request = (outcome: CardOutcome, reference = "chg_1") => ({
  reference,
  paymentId: "pay_1",
  orderId: "ord_1",
  amount: { amount: 8778, currency: "USD" },
  card: { brand: "visa" as const, last4: "4242", expMonth: 12, expYear: 2030, outcome },
});

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return isProcessorError(error) ? error.code : error;
  }
  return "answered";
}

describe("the SOAP processor adapter", () => {
  const cases: [string, { given: CardOutcome; want: Partial<ProcessorAnswer> }][] = [
    ["authorizes an approved card", { given: "approve", want: { status: "succeeded" } }],
    [
      "reads a card_declined Fault as a decline",
      { given: "card_declined", want: { status: "declined", code: "card_declined" } },
    ],
    [
      "reads an insufficient_funds Fault as a decline",
      { given: "insufficient_funds", want: { status: "declined", code: "insufficient_funds" } },
    ],
  ];
  it.each(cases)("%s", async (_name, { given, want }) => {
    const { soap } = soapPair();
    const answer = await soap.authorize(request(given));
    expect(answer).toMatchObject(want);
    expect(answer.processorReference).toMatch(/^ch_sim_[0-9a-f]{12}$/);
  });

  it("makes its client from the served WSDL once, then only posts envelopes", async () => {
    const { soap, exchanges } = soapPair();
    await soap.authorize(request("approve", "chg_1"));
    await soap.authorize(request("approve", "chg_2"));
    expect(exchanges.map((exchange) => `${exchange.method} ${exchange.url}`)).toEqual([
      "GET http://processor.test/_sim/processor/soap?wsdl",
      "POST http://processor.test/_sim/processor/soap",
      "POST http://processor.test/_sim/processor/soap",
    ]);
    expect(exchanges[1]?.body).toContain("<orderId>ord_1</orderId>");
  });

  it("answers a reference asked before over REST as REST answered it", async () => {
    const { soap, processor } = soapPair();
    const viaRest = await processor.authorize(request("approve", "chg_9"));
    expect(await soap.authorize(request("approve", "chg_9"))).toEqual(viaRest);
  });

  it("reports the processor's own error as processor_error", async () => {
    const { soap } = soapPair();
    expect(await failure(soap.authorize(request("processor_error")))).toBe("processor_error");
  });

  it("reports the SOAP interface down (soapProcessorDown) as unavailable, and recovers once it is back", async () => {
    const { soap, switches } = soapPair({ soapProcessorDown: true });
    expect(await failure(soap.authorize(request("approve")))).toBe("processor_unavailable");
    switches.soapProcessorDown = false;
    expect(await soap.authorize(request("approve"))).toMatchObject({ status: "succeeded" });
    switches.soapProcessorDown = true;
    expect(await failure(soap.authorize(request("approve", "chg_2")))).toBe("processor_unavailable");
  });

  it("reads a request the processor refuses as invalid as the processor's error, not an outage", async () => {
    const { soap } = soapPair();
    const lowerCase = { ...request("approve"), amount: { amount: 8778, currency: "usd" } };
    expect(await failure(soap.authorize(lowerCase))).toBe("processor_error");
  });

  it("reports the processor behind it down (paymentProcessorDown) as unavailable", async () => {
    const { soap } = soapPair({ paymentProcessorDown: true });
    expect(await failure(soap.authorize(request("approve")))).toBe("processor_unavailable");
  });
});

describe("the simulated SOAP endpoint", () => {
  it("serves the WSDL with the address it was asked at", async () => {
    const { endpoint } = soapPair();
    const reply = await endpoint({
      method: "GET",
      url: "http://127.0.0.1:4000/_sim/processor/soap?wsdl",
      headers: {},
      body: "",
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('<soap:address location="http://127.0.0.1:4000/_sim/processor/soap"/>');
  });

  it("answers a body that is not a ProcessPayment envelope with a Client Fault saying what to send", async () => {
    const { endpoint } = soapPair();
    for (const body of ["", "not xml", "<Envelope><Body><Refund/></Body></Envelope>"]) {
      const reply = await endpoint({ method: "POST", url: "http://127.0.0.1/_sim/processor/soap", headers: {}, body });
      expect(reply.status).toBe(500);
      expect(reply.body).toContain("<faultcode>soap:Client</faultcode>");
      expect(reply.body).toContain("<code>invalid_request</code>");
    }
  });

  it("names what a ProcessPaymentRequest lacks or has wrong, and charges nothing", async () => {
    const { endpoint, exchanges, soap } = soapPair();
    await soap.authorize(request("approve"));
    const envelope = exchanges[1]!.body
      .replace("<orderId>ord_1</orderId>", "")
      .replace("<currency>USD</currency>", "<currency>dollars</currency>");
    const reply = await endpoint({
      method: "POST",
      url: "http://127.0.0.1/_sim/processor/soap",
      headers: exchanges[1]!.headers,
      body: envelope,
    });
    expect(reply.status).toBe(500);
    expect(reply.body).toContain("<code>invalid_request</code>");
    expect(reply.body).toContain("missing or has wrong: orderId, currency (ISO 4217, e.g. USD)");
  });

  it("says how to use it when asked with another method", async () => {
    const { endpoint } = soapPair();
    const reply = await endpoint({ method: "PUT", url: "http://127.0.0.1/_sim/processor/soap", headers: {}, body: "" });
    expect(reply).toMatchObject({ status: 405, headers: { allow: "GET, POST" } });
  });
});
