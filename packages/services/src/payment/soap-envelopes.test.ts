import type { soap as soapContracts } from "@ecom/sdk";
import { createClientAsync, type IHttpClient } from "soap";
import { describe, expect, it } from "vitest";
import { type FaultSwitches, noFaults } from "../platform/index.js";
import { createSimulatedProcessor, type PaymentProcessor, ProcessorError } from "./processor.js";
import { createSimulatedSoapEndpoint, SOAP_ENDPOINT_PATH } from "./simulated-soap-endpoint.js";
import {
  PROCESS_PAYMENT_HEADERS,
  readProcessPaymentReply,
  readProcessPaymentRequest,
  writeProcessPaymentRequest,
} from "./soap-envelopes.js";
import { createSoapProcessor, type SoapExchange, type SoapReply } from "./soap-processor.js";

// The envelopes written and read directly must be the very bytes the `soap` package writes, and what they cannot
// read must still be answered as that package answers it. Each case runs once on the direct path and once on the
// `soap` package's, and the two must agree.

type ProcessPaymentRequest = soapContracts.payment.ProcessPaymentRequest;

const ENDPOINT = `http://processor.test/_sim/${SOAP_ENDPOINT_PATH}`;

const request = (overrides: Partial<ProcessPaymentRequest> = {}, card: Partial<ProcessPaymentRequest["card"]> = {}) =>
  ({
    orderId: "ord_1",
    amount: 8778,
    currency: "USD",
    reference: "chg_1",
    paymentId: "pay_1",
    ...overrides,
    card: { brand: "visa", last4: "4242", expMonth: 12, expYear: 2030, testOutcome: "approve", ...card },
  }) satisfies ProcessPaymentRequest;

/** A simulated processor and its SOAP endpoint, drawing the same references as every other pair made here. */
function endpointPair(faults: Partial<FaultSwitches> = {}, processor?: PaymentProcessor) {
  let draw = 0;
  const switches: FaultSwitches = { ...noFaults(), ...faults };
  const simulated =
    processor ??
    createSimulatedProcessor({
      faults: switches,
      clock: { now: () => new Date("2026-01-01T00:00:00.000Z") },
      random: () => (draw++ % 16) / 16,
    });
  return createSimulatedSoapEndpoint({ processor: simulated, faults: switches });
}

/** A `soap` client made from the endpoint's WSDL, whose HTTP goes to `send`. */
async function soapClient(send: (exchange: SoapExchange) => Promise<SoapReply>) {
  const httpClient: IHttpClient = {
    request(url, data, callback, headers) {
      send({
        method: data ? "POST" : "GET",
        url,
        headers: Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, String(value)])),
        body: typeof data === "string" ? data : "",
      }).then(
        (reply) => callback(null, { status: reply.status, headers: reply.headers, data: reply.body }, reply.body),
        (error: unknown) => callback(error),
      );
      return undefined as unknown as ReturnType<IHttpClient["request"]>;
    },
  };
  return createClientAsync(`${ENDPOINT}?wsdl`, { disableCache: true, httpClient });
}

/** The same envelope as the `soap` client wrote it, with white space between its elements: only that package reads it. */
const reformatted = (body: string) => body.replace(/></g, ">\n  <");

describe("the ProcessPayment request envelope", () => {
  const cases: [string, ProcessPaymentRequest][] = [
    ["a plain request", request()],
    ["markup, quotes and an ampersand, escaped", request({ orderId: `ord_<&>"'` })],
    ["tabs and line breaks, escaped", request({ paymentId: "pay\t1\r\n" })],
    ["a CDATA section, passed as it is", request({ orderId: "<![CDATA[ord & 1]]>" })],
    [
      "no testOutcome (it is optional)",
      { ...request(), card: { brand: "visa", last4: "4242", expMonth: 1, expYear: 2031 } },
    ],
  ];
  it.each(cases)("is written as the soap client writes %s", async (_name, given) => {
    const sent: SoapExchange[] = [];
    const endpoint = endpointPair();
    const client = await soapClient((exchange) => {
      sent.push(exchange);
      return endpoint(exchange);
    });
    await client.ProcessPaymentAsync(given).catch(() => undefined);
    expect(sent[1]?.body).toBe(writeProcessPaymentRequest(given));
    expect(sent[1]?.headers).toEqual(PROCESS_PAYMENT_HEADERS);
  });

  it("is read back as the soap server gives it to the operation, and anything else is left to that server", () => {
    const written = writeProcessPaymentRequest(request({ amount: 12 }, { expMonth: 7 }));
    expect(readProcessPaymentRequest(written)).toEqual(request({ amount: 12 }, { expMonth: 7 }));
    expect(readProcessPaymentRequest(writeProcessPaymentRequest(request({ orderId: "a&b" })))).toBeUndefined();
    expect(readProcessPaymentRequest(writeProcessPaymentRequest(request({ orderId: " padded" })))).toBeUndefined();
    expect(readProcessPaymentRequest(reformatted(written))).toBeUndefined();
    expect(readProcessPaymentRequest(written.replace("<ProcessPaymentRequest ", "<tns:ProcessPaymentRequest "))).toBe(
      undefined,
    );
  });
});

describe("the simulated SOAP endpoint's replies", () => {
  const failing: PaymentProcessor = {
    ...createSimulatedProcessor({ faults: noFaults(), clock: { now: () => new Date() }, random: Math.random }),
    authorize: () => Promise.reject(new ProcessorError("processor_error", `Broke on <&> "quotes" and 'apostrophes'.`)),
  };
  const cases: [
    string,
    { faults?: Partial<FaultSwitches>; processor?: PaymentProcessor; given: ProcessPaymentRequest },
  ][] = [
    ["an approval", { given: request() }],
    ["a decline", { given: request({}, { testOutcome: "card_declined" }) }],
    ["insufficient funds", { given: request({}, { testOutcome: "insufficient_funds" }) }],
    ["the processor's own error", { given: request({}, { testOutcome: "processor_error" }) }],
    ["a request the contract refuses", { given: request({ currency: "usd", amount: 0 }) }],
    ["the processor behind it down", { faults: { paymentProcessorDown: true }, given: request() }],
    ["an error message with markup and quotes", { processor: failing, given: request() }],
  ];
  it.each(cases)("answer %s with the bytes the soap server answers", async (_name, { faults, processor, given }) => {
    const body = writeProcessPaymentRequest(given);
    expect(readProcessPaymentRequest(body)).toBeDefined();
    expect(readProcessPaymentRequest(reformatted(body))).toBeUndefined();
    const post = (envelope: string) => ({
      method: "POST",
      url: ENDPOINT,
      headers: PROCESS_PAYMENT_HEADERS,
      body: envelope,
    });
    const direct = await endpointPair(faults, processor)(post(body));
    const throughSoap = await endpointPair(faults, processor)(post(reformatted(body)));
    expect(direct).toEqual(throughSoap);
    expect([200, 500]).toContain(direct.status);
  });

  it("leaves a request naming another SOAPAction to the soap server", async () => {
    const reply = await endpointPair()({
      method: "POST",
      url: ENDPOINT,
      headers: { soapaction: '"urn:elsewhere#Refund"' },
      body: writeProcessPaymentRequest(request()),
    });
    expect(reply.status).toBe(500);
    expect(reply.body).not.toContain("<status>succeeded</status>");
  });

  it("are read by the strict reader exactly as the soap client reads them", async () => {
    for (const testOutcome of ["approve", "card_declined", "processor_error"]) {
      const reply = await endpointPair()({
        method: "POST",
        url: ENDPOINT,
        headers: PROCESS_PAYMENT_HEADERS,
        body: writeProcessPaymentRequest(request({}, { testOutcome })),
      });
      const read = readProcessPaymentReply(reply.status, reply.body);
      const client = await soapClient(async (exchange) =>
        exchange.method === "GET" ? endpointPair()(exchange) : reply,
      );
      const bySoap = await client.ProcessPaymentAsync(request()).then(
        ([response]: [unknown]) => ({ response }),
        (error: {
          root?: { Envelope: { Body: { Fault: { faultcode: string; detail: { PaymentFault: object } } } } };
        }) => {
          const fault = error.root?.Envelope.Body.Fault;
          return { fault: { faultcode: fault?.faultcode, ...fault?.detail.PaymentFault } };
        },
      );
      expect(read).toEqual(bySoap);
      expect(readProcessPaymentReply(reply.status, reformatted(reply.body))).toBeUndefined();
    }
  });
});

describe("the SOAP adapter off its direct path", () => {
  /** The adapter against a fresh endpoint, its replies and its WSDL changed by `alter`. */
  const adapter = (alter: { reply?: (body: string) => string; wsdl?: (body: string) => string } = {}) => {
    const endpoint = endpointPair();
    const posted: string[] = [];
    const soap = createSoapProcessor({
      wsdlUrl: `${ENDPOINT}?wsdl`,
      transport: async (exchange) => {
        const reply = await endpoint(exchange);
        if (exchange.method === "GET") return { ...reply, body: alter.wsdl?.(reply.body) ?? reply.body };
        posted.push(exchange.body);
        return { ...reply, body: alter.reply?.(reply.body) ?? reply.body };
      },
    });
    return { soap, posted };
  };
  const card = (outcome: "approve" | "card_declined" | "processor_error") => ({
    reference: "chg_1",
    paymentId: "pay_1",
    orderId: "ord_1",
    amount: { amount: 8778, currency: "USD" },
    card: { brand: "visa" as const, last4: "4242", expMonth: 12, expYear: 2030, outcome },
  });
  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      (answer) => answer,
      (error: ProcessorError) => error.code,
    );

  it("reads a reply it does not know the shape of through the soap client, to the same answers", async () => {
    for (const given of ["approve", "card_declined", "processor_error"] as const) {
      const direct = await outcome(adapter().soap.authorize(card(given)));
      const throughSoap = await outcome(adapter({ reply: reformatted }).soap.authorize(card(given)));
      expect(throughSoap).toEqual(direct);
    }
  });

  it("lets the soap client write and read every call when the WSDL served is not the contract's", async () => {
    const other = adapter({ wsdl: (wsdl) => wsdl.replace("<wsdl:types>", "<!-- another processor -->\n<wsdl:types>") });
    expect(await other.soap.authorize(card("approve"))).toEqual(await adapter().soap.authorize(card("approve")));
    // The soap client's own envelope, which the endpoint reads as it is (the same bytes as the direct path's).
    expect(other.posted[0]).toContain("<orderId>ord_1</orderId>");
  });

  it("takes a reply without any SOAP envelope as no answer, so the REST fallback asks", async () => {
    expect(await outcome(adapter({ reply: () => "" }).soap.authorize(card("approve")))).toBe("processor_unavailable");
    expect(await outcome(adapter({ reply: () => "<html>Bad gateway</html>" }).soap.authorize(card("approve")))).toBe(
      "processor_unavailable",
    );
  });
});
