import { soap as soapContracts } from "@ecom/sdk";
import type { Server } from "soap";
import type { FaultSwitches } from "../platform/index.js";
import type { CardBrand, CardOutcome } from "./cards.js";
import { isProcessorError, type PaymentProcessor } from "./processor.js";
import {
  PROCESS_PAYMENT_ACTION,
  readProcessPaymentRequest,
  writePaymentFault,
  writeProcessPaymentResponse,
} from "./soap-envelopes.js";
import type { SoapExchange, SoapReply } from "./soap-processor.js";

type ProcessPaymentRequest = soapContracts.payment.ProcessPaymentRequest;
type ProcessPaymentResponse = soapContracts.payment.ProcessPaymentResponse;
type PaymentFault = soapContracts.payment.PaymentFault;

/** Where the simulator serves the simulated processor's SOAP interface, below `/_sim/`. */
export const SOAP_ENDPOINT_PATH = "processor/soap";

const { payment: contract } = soapContracts;
const OUTCOMES = ["approve", "card_declined", "insufficient_funds", "processor_error"] as const satisfies CardOutcome[];
const BRANDS = ["visa", "mastercard", "amex", "discover", "unknown"] as const satisfies CardBrand[];

/** `value` when it is one of `known`, else `fallback`: what the processor does with a value it does not know. */
const oneOf = <TValue extends string>(known: readonly TValue[], value: string | undefined, fallback: TValue): TValue =>
  known.find((candidate) => candidate === value) ?? fallback;

/** The WSDL with the address it is served at as the service's location, so a client made from it calls back here. */
function wsdlAt(location: string): string {
  return contract.paymentWsdl.replace(/(<soap:address\s+location=")[^"]*(")/, `$1${location}$2`);
}

/** What a ProcessPayment request lacks or has wrong, as "orderId, card.brand"; empty when it keeps the contract. */
function faultsOf(args: ProcessPaymentRequest): string {
  const card = (args.card ?? {}) as Partial<ProcessPaymentRequest["card"]>;
  const text = (value: unknown) => typeof value === "string" && value !== "";
  const whole = (value: unknown, min: number) => Number.isSafeInteger(Number(value)) && Number(value) >= min;
  const checks: [string, boolean][] = [
    ["orderId", text(args.orderId)],
    ["amount (a whole number of minor units above 0)", whole(args.amount, 1)],
    ["currency (ISO 4217, e.g. USD)", typeof args.currency === "string" && /^[A-Z]{3}$/.test(args.currency)],
    ["reference", text(args.reference)],
    ["paymentId", text(args.paymentId)],
    ["card.brand", text(card.brand)],
    ["card.last4", typeof card.last4 === "string" && /^[0-9]{4}$/.test(card.last4)],
    ["card.expMonth", whole(card.expMonth, 1) && Number(card.expMonth) <= 12],
    ["card.expYear", whole(card.expYear, 1)],
  ];
  return checks
    .filter(([, ok]) => !ok)
    .map(([name]) => name)
    .join(", ");
}

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (character) => `&#${character.charCodeAt(0)};`);

/** A request that is not a ProcessPayment envelope never reaches the `soap` server, whose errors would say less. */
const PROCESS_PAYMENT_ELEMENT = /<(?:[\w.-]+:)?ProcessPaymentRequest[\s/>]/;
function notAnEnvelope(): { status: number; headers: Record<string, string>; body: string } {
  const message = escapeXml(
    "The body must be a SOAP 1.1 envelope whose Body holds a ProcessPaymentRequest (see the WSDL at ?wsdl).",
  );
  return {
    status: 500,
    headers: { "content-type": "text/xml; charset=utf-8" },
    body:
      '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">' +
      `<soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>${message}</faultstring><detail>` +
      `<PaymentFault xmlns="${contract.paymentWsdlNamespace}"><code>invalid_request</code><message>${message}</message>` +
      "</PaymentFault></detail></soap:Fault></soap:Body></soap:Envelope>",
  };
}

/** A SOAP 1.1 Fault as the `soap` server sends a thrown `{ Fault }`: 500, the PaymentFault as its detail. */
function fault(faultcode: "soap:Client" | "soap:Server", detail: PaymentFault) {
  return { Fault: { faultcode, faultstring: detail.message, detail: { PaymentFault: detail }, statusCode: 500 } };
}
type SoapFault = ReturnType<typeof fault>;
const isSoapFault = (thrown: unknown): thrown is SoapFault =>
  typeof (thrown as Partial<SoapFault> | null)?.Fault?.detail?.PaymentFault === "object";

const XML_HEADERS = { "content-type": "text/xml; charset=utf-8" } as const;

/**
 * Whether the `soap` server would take a request with these headers as ProcessPayment: it reads only a lower-case
 * `soapaction` (as node:http gives it), and with none goes by the Body's element.
 */
function asksProcessPayment(headers: Readonly<Record<string, string>>): boolean {
  const action = headers.soapaction;
  return action === undefined || action === PROCESS_PAYMENT_ACTION || action === `"${PROCESS_PAYMENT_ACTION}"`;
}

/**
 * The simulated processor's SOAP interface (contracts/soap/payment.wsdl), in front of the same simulated processor
 * as its REST interface, so a reference answered over one is answered alike over the other. `GET …?wsdl` serves the
 * contract with its own address; `POST` runs ProcessPayment: an envelope written exactly as the `soap` client writes
 * it (the payment context's own adapter's) is read and answered directly (soap-envelopes.ts, the same bytes the
 * `soap` server would answer), and any other through the `soap` package's server (loaded on the first such request). `soapProcessorDown` takes the whole interface down (503, no SOAP); `paymentProcessorDown` takes the
 * processor behind it down, which answers as a Fault.
 */
export function createSimulatedSoapEndpoint(options: {
  readonly processor: PaymentProcessor;
  readonly faults: FaultSwitches;
}): (exchange: SoapExchange) => Promise<SoapReply> {
  let server: Promise<Server> | undefined;
  const processPayment = async (args: ProcessPaymentRequest): Promise<ProcessPaymentResponse> => {
    const wrong = faultsOf(args);
    if (wrong !== "") {
      throw fault("soap:Client", {
        code: "invalid_request",
        message: `ProcessPaymentRequest is missing or has wrong: ${wrong}. See the WSDL at ?wsdl.`,
      });
    }
    let answer: Awaited<ReturnType<PaymentProcessor["authorize"]>>;
    try {
      answer = await options.processor.authorize({
        reference: args.reference,
        paymentId: args.paymentId,
        amount: { amount: Number(args.amount), currency: args.currency },
        card: {
          brand: oneOf(BRANDS, args.card.brand, "unknown"),
          last4: args.card.last4,
          expMonth: Number(args.card.expMonth),
          expYear: Number(args.card.expYear),
          outcome: oneOf(OUTCOMES, args.card.testOutcome, "approve"),
        },
      });
    } catch (error) {
      const code = isProcessorError(error) ? error.code : "processor_error";
      throw fault("soap:Server", { code, message: error instanceof Error ? error.message : String(error) });
    }
    if (answer.status === "declined") {
      throw fault("soap:Client", {
        code: answer.code,
        message: `The issuer refused the payment (${answer.code}).`,
        processorReference: answer.processorReference,
      });
    }
    return { status: answer.status, processorReference: answer.processorReference };
  };
  const serverOf = () => {
    server ??= (async () => {
      const { createServerless } = await import("soap");
      // createServerless resolves before the WSDL is read; its callback says when the server can answer.
      return new Promise<Server>((resolve, reject) => {
        void createServerless({
          path: `/_sim/${SOAP_ENDPOINT_PATH}`,
          xml: contract.paymentWsdl,
          services: {
            [contract.paymentSoapService.service]: {
              [contract.paymentSoapService.port]: { ProcessPayment: processPayment },
            },
          },
          suppressStack: true,
          callback: (error: unknown, ready: Server) => (error ? reject(error) : resolve(ready)),
        });
      });
    })();
    return server;
  };

  return async (exchange) => {
    if (options.faults.soapProcessorDown) {
      return {
        status: 503,
        headers: { "content-type": "text/plain; charset=utf-8" },
        body: "The SOAP payment processor is down (simulated outage: soapProcessorDown).\n",
      };
    }
    const url = new URL(exchange.url, "http://sim.invalid");
    if (exchange.method === "GET" && url.searchParams.has("wsdl")) {
      return {
        status: 200,
        headers: { "content-type": "text/xml; charset=utf-8" },
        body: wsdlAt(`${url.origin}${url.pathname}`),
      };
    }
    if (exchange.method !== "POST") {
      return {
        status: 405,
        headers: { "content-type": "text/plain; charset=utf-8", allow: "GET, POST" },
        body: "GET ?wsdl for the contract; POST a SOAP 1.1 envelope to call ProcessPayment.\n",
      };
    }
    if (!PROCESS_PAYMENT_ELEMENT.test(exchange.body)) return notAnEnvelope();
    const known = asksProcessPayment(exchange.headers) ? readProcessPaymentRequest(exchange.body) : undefined;
    if (known) {
      try {
        const answer = await processPayment(known);
        return { status: 200, headers: { ...XML_HEADERS }, body: writeProcessPaymentResponse(answer) };
      } catch (thrown) {
        if (!isSoapFault(thrown)) throw thrown;
        const { faultcode, detail } = thrown.Fault;
        return { status: 500, headers: { ...XML_HEADERS }, body: writePaymentFault(faultcode, detail.PaymentFault) };
      }
    }
    const reply = await (await serverOf()).processRequest(exchange.body, {
      url: url.pathname,
      method: "POST",
      headers: exchange.headers,
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(reply.headers)) if (value !== undefined) headers[name] = String(value);
    headers["content-type"] = "text/xml; charset=utf-8";
    return { status: reply.statusCode, headers, body: reply.body };
  };
}
