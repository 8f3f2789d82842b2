import { soap as soapContracts } from "@ecom/sdk";

type ProcessPaymentRequest = soapContracts.payment.ProcessPaymentRequest;
type ProcessPaymentResponse = soapContracts.payment.ProcessPaymentResponse;
type PaymentFault = soapContracts.payment.PaymentFault;

// The ProcessPayment envelopes of contracts/soap/payment.wsdl, written and read here byte for byte as the `soap`
// package writes them (its client's request, its server's response and Fault), so neither side of the simulated
// processor pays for that package's WSDL-driven serialiser and SAX reader on every authorization. The readers are
// strict: they know exactly the shapes written here, and answer undefined for anything else (another prefix, white
// space between elements, an entity, an empty value), which the caller then hands to the `soap` package itself.
// soap-envelopes.test.ts checks every shape against that package's own output.

const { paymentWsdlNamespace: NAMESPACE } = soapContracts.payment;
const ENVELOPE_NAMESPACE = "http://schemas.xmlsoap.org/soap/envelope/";

/** ProcessPayment's SOAPAction (the WSDL's `soap:operation`), unquoted. */
export const PROCESS_PAYMENT_ACTION = `${NAMESPACE}#ProcessPayment`;

/** The HTTP headers of a ProcessPayment request, as the `soap` client sends them. */
export const PROCESS_PAYMENT_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "text/xml; charset=utf-8",
  SOAPAction: `"${PROCESS_PAYMENT_ACTION}"`,
};

/** Text escaped as the `soap` package escapes it (its `xmlEscape`, CDATA sections passed through included). */
export function escapeSoapText(text: string): string {
  if (text.startsWith("<![CDATA[") && text.endsWith("]]>")) return text;
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\t/g, "&#x9;")
    .replace(/\r/g, "&#xD;")
    .replace(/\n/g, "&#xA;");
}

const text = (value: string | number) => (typeof value === "number" ? String(value) : escapeSoapText(value));

const REQUEST_OPEN =
  `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${ENVELOPE_NAMESPACE}" ` +
  `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"  xmlns:tns="${NAMESPACE}"><soap:Body>` +
  `<ProcessPaymentRequest xmlns="${NAMESPACE}">`;
const REQUEST_CLOSE = "</ProcessPaymentRequest></soap:Body></soap:Envelope>";
const RESPONSE_OPEN = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${ENVELOPE_NAMESPACE}"  xmlns:tns="${NAMESPACE}"><soap:Body>`;
const RESPONSE_CLOSE = "</soap:Body></soap:Envelope>";

/** A ProcessPayment request envelope, as the `soap` client made from the contract's WSDL writes it. */
export function writeProcessPaymentRequest(request: ProcessPaymentRequest): string {
  const { card } = request;
  return (
    `${REQUEST_OPEN}<orderId>${text(request.orderId)}</orderId><amount>${text(request.amount)}</amount>` +
    `<currency>${text(request.currency)}</currency><reference>${text(request.reference)}</reference>` +
    `<paymentId>${text(request.paymentId)}</paymentId><card><brand>${text(card.brand)}</brand>` +
    `<last4>${text(card.last4)}</last4><expMonth>${text(card.expMonth)}</expMonth>` +
    `<expYear>${text(card.expYear)}</expYear>` +
    (card.testOutcome === undefined ? "" : `<testOutcome>${text(card.testOutcome)}</testOutcome>`) +
    `</card>${REQUEST_CLOSE}`
  );
}

/** A ProcessPayment response envelope (HTTP 200), as the `soap` server writes it. */
export function writeProcessPaymentResponse(response: ProcessPaymentResponse): string {
  return (
    `${RESPONSE_OPEN}<ProcessPaymentResponse xmlns="${NAMESPACE}"><status>${text(response.status)}</status>` +
    `<processorReference>${text(response.processorReference)}</processorReference></ProcessPaymentResponse>` +
    RESPONSE_CLOSE
  );
}

/** A SOAP 1.1 Fault envelope (HTTP 500) whose detail is `fault`, as the `soap` server writes a thrown `{ Fault }`. */
export function writePaymentFault(faultcode: "soap:Client" | "soap:Server", fault: PaymentFault): string {
  return (
    `${RESPONSE_OPEN}<soap:Fault><faultcode>${faultcode}</faultcode><faultstring>${text(fault.message)}</faultstring>` +
    `<detail><PaymentFault><code>${text(fault.code)}</code><message>${text(fault.message)}</message>` +
    (fault.processorReference === undefined
      ? ""
      : `<processorReference>${text(fault.processorReference)}</processorReference>`) +
    `</PaymentFault></detail></soap:Fault>${RESPONSE_CLOSE}`
  );
}

// A value the strict readers take: not empty, no markup or entity, no white space at either end (the `soap` reader
// trims text, and makes an empty element null or ""), so what is captured is exactly what that reader would give.
const VALUE = "([^<>&\\s](?:[^<>&]*[^<>&\\s])?)";
const literal = (part: string) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const element = (name: string) => `${literal(`<${name}>`)}${VALUE}${literal(`</${name}>`)}`;
const optional = (name: string) => `(?:${element(name)})?`;

const REQUEST_SHAPE = new RegExp(
  `^${literal(REQUEST_OPEN)}${["orderId", "amount", "currency", "reference", "paymentId"].map(element).join("")}` +
    `<card>${["brand", "last4", "expMonth", "expYear"].map(element).join("")}${optional("testOutcome")}</card>` +
    `${literal(REQUEST_CLOSE)}$`,
);
const RESPONSE_SHAPE = new RegExp(
  `^${literal(`${RESPONSE_OPEN}<ProcessPaymentResponse xmlns="${NAMESPACE}">`)}${element("status")}` +
    `${element("processorReference")}${literal(`</ProcessPaymentResponse>${RESPONSE_CLOSE}`)}$`,
);
const FAULT_SHAPE = new RegExp(
  `^${literal(`${RESPONSE_OPEN}<soap:Fault>`)}<faultcode>(soap:Client|soap:Server)</faultcode>${element("faultstring")}` +
    `<detail><PaymentFault>${element("code")}${element("message")}${optional("processorReference")}</PaymentFault>` +
    `</detail>${literal(`</soap:Fault>${RESPONSE_CLOSE}`)}$`,
);

/**
 * The request of a ProcessPayment envelope written as {@link writeProcessPaymentRequest} writes it, its values typed
 * as the `soap` server gives them to the operation (`xsd:int` and `xsd:long` through `parseInt`, which may give NaN);
 * undefined for any other body.
 */
export function readProcessPaymentRequest(body: string): ProcessPaymentRequest | undefined {
  const match = REQUEST_SHAPE.exec(body);
  if (!match) return undefined;
  const [, orderId, amount, currency, reference, paymentId, brand, last4, expMonth, expYear, testOutcome] =
    match as unknown as string[];
  return {
    orderId: orderId!,
    amount: Number.parseInt(amount!, 10),
    currency: currency!,
    reference: reference!,
    paymentId: paymentId!,
    card: {
      brand: brand!,
      last4: last4!,
      expMonth: Number.parseInt(expMonth!, 10),
      expYear: Number.parseInt(expYear!, 10),
      ...(testOutcome === undefined ? {} : { testOutcome }),
    },
  };
}

/** What a ProcessPayment reply said, read strictly. */
export type ProcessPaymentReply =
  | { readonly response: ProcessPaymentResponse }
  | { readonly fault: PaymentFault & { readonly faultcode: string } };

/**
 * A reply as {@link writeProcessPaymentResponse} (with status 200) or {@link writePaymentFault} (with status 500)
 * writes it; undefined for anything else.
 */
export function readProcessPaymentReply(status: number, body: string): ProcessPaymentReply | undefined {
  if (status === 200) {
    const match = RESPONSE_SHAPE.exec(body);
    return match ? { response: { status: match[1]!, processorReference: match[2]! } } : undefined;
  }
  if (status !== 500) return undefined;
  const match = FAULT_SHAPE.exec(body);
  if (!match) return undefined;
  const [, faultcode, , code, message, processorReference] = match as unknown as string[];
  return {
    fault: {
      faultcode: faultcode!,
      code: code!,
      message: message!,
      ...(processorReference === undefined ? {} : { processorReference }),
    },
  };
}
