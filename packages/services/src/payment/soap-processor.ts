import { soap as soapContracts } from "@ecom/sdk";
import type { Client, IHttpClient } from "soap";
import { type DeclineCode, type ProcessorAnswer, ProcessorError, type ProcessorRequest } from "./processor.js";
import { PROCESS_PAYMENT_HEADERS, readProcessPaymentReply, writeProcessPaymentRequest } from "./soap-envelopes.js";

type ProcessPaymentRequest = soapContracts.payment.ProcessPaymentRequest;
type ProcessPaymentResponse = soapContracts.payment.ProcessPaymentResponse;
type PaymentFault = soapContracts.payment.PaymentFault;

/**
 * The external processor's legacy SOAP interface as the payment context sees it (contracts/soap/payment.wsdl): one
 * operation, ProcessPayment, which holds the amount on the card. Capture, void and refund stay with the REST
 * processor ({@link PaymentProcessor}).
 */
export interface SoapPaymentProcessor {
  /** Hold funds on the card for the order `orderId`; a decline is an answer, a fault of the processor a throw. */
  authorize(request: ProcessorRequest & { readonly orderId: string }): Promise<ProcessorAnswer>;
}

/** An HTTP exchange with the SOAP endpoint, for a transport that is not the network (the simulator in process). */
export interface SoapExchange {
  readonly method: string;
  /** Absolute, as the client asks it. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What came back: a status, headers and the body as text. */
export interface SoapReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Options of {@link createSoapProcessor}. */
export interface SoapProcessorOptions {
  /** Where the WSDL is served, e.g. `http://localhost:4000/_sim/processor/soap?wsdl`; the client is made from it. */
  readonly wsdlUrl: string;
  /** Carries the client's requests instead of the network (absent: the `soap` package's own HTTP client). */
  readonly transport?: (exchange: SoapExchange) => Promise<SoapReply>;
}

const DECLINES: readonly DeclineCode[] = ["card_declined", "insufficient_funds", "expired_card"];
const declineOf = (code: string) => DECLINES.find((decline) => decline === code);

const { payment: contract } = soapContracts;
const ADDRESS = /(<soap:address\s+location=")([^"]*)(")/;
/** The contract's WSDL without its address: a served WSDL that differs from it in nothing else is the contract. */
const CONTRACT_WITHOUT_ADDRESS = contract.paymentWsdl.replace(ADDRESS, "$1$3");

const firstLine = (error: unknown) => (error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error));
const unavailable = (why: string) =>
  new ProcessorError("processor_unavailable", `The SOAP payment processor did not answer (${why}).`);

/** The `soap` package's own HTTP client (axios) as a transport: what the adapter uses without one. */
async function networkTransport(): Promise<(exchange: SoapExchange) => Promise<SoapReply>> {
  const { HttpClient } = await import("soap");
  const http = new HttpClient();
  return (exchange) =>
    new Promise((resolve, reject) => {
      http.request(
        exchange.url,
        exchange.method === "GET" ? null : exchange.body,
        (error: unknown, response?: { status: number; headers?: Record<string, unknown> }, body?: unknown) => {
          if (error || !response) {
            reject(error ?? new Error("no response"));
            return;
          }
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers ?? {})) headers[name] = String(value);
          resolve({ status: response.status, headers, body: typeof body === "string" ? body : String(body ?? "") });
        },
        exchange.headers,
      );
    });
}

/** The `soap` client's `request` over `send`; a POST given `{ reply }` as its options is answered with that reply. */
function httpClientOver(wsdl: string, send: (exchange: SoapExchange) => Promise<SoapReply>): IHttpClient {
  return {
    request(url, data, callback, headers, exoptions) {
      const given = (exoptions as { reply?: SoapReply } | undefined)?.reply;
      const reply: Promise<SoapReply> =
        data === null || data === undefined
          ? // The WSDL was read already (it is what made this client needed): it is not asked for twice.
            Promise.resolve({ status: 200, headers: {}, body: wsdl })
          : given
            ? Promise.resolve(given)
            : send({
                method: "POST",
                url,
                headers: Object.fromEntries(
                  Object.entries(headers ?? {}).map(([name, value]) => [name, String(value)]),
                ),
                body: typeof data === "string" ? data : "",
              });
      reply.then(
        // The client reads any status; only a transport failure is an error here, as with its own HTTP client.
        (answer) => callback(null, { status: answer.status, headers: answer.headers, data: answer.body }, answer.body),
        (error: unknown) => callback(error),
      );
      // The client keeps what it gets back only to show the last request's headers, which a transport has none of.
      return undefined as unknown as ReturnType<IHttpClient["request"]>;
    },
  };
}

/** The Fault's detail the processor answered with, when the error is one. */
function faultOf(error: unknown): PaymentFault | undefined {
  const root = (error as { root?: { Envelope?: { Body?: { Fault?: { detail?: { PaymentFault?: PaymentFault } } } } } })
    ?.root;
  return root?.Envelope?.Body?.Fault?.detail?.PaymentFault;
}

/** The processor's answer for a Fault's detail: a decline, or a throw (its own error, or it being down). */
function faultAnswer(fault: PaymentFault): ProcessorAnswer {
  const decline = declineOf(fault.code);
  if (decline) return { status: "declined", code: decline, processorReference: fault.processorReference ?? "" };
  // Any other Fault (the processor's own error, a request it refused) is an answer, not an outage; only the
  // processor behind the interface being down (processor_unavailable) or no SOAP answer at all is one.
  if (fault.code !== "processor_unavailable") throw new ProcessorError("processor_error", fault.message);
  throw unavailable(fault.message);
}

/** The processor's answer for a ProcessPaymentResponse; a reply without one is no answer. */
function responseAnswer(response: ProcessPaymentResponse | undefined): ProcessorAnswer {
  if (typeof response?.processorReference !== "string" || typeof response.status !== "string") {
    throw unavailable("its reply holds no ProcessPaymentResponse");
  }
  return response.status === "pending"
    ? { status: "pending", processorReference: response.processorReference }
    : { status: "succeeded", processorReference: response.processorReference };
}

/** The served WSDL, where it says to post, and whether it is the contract the envelopes here are written for. */
interface SoapService {
  readonly wsdl: string;
  readonly location: string;
  readonly isContract: boolean;
}

/**
 * The payment context's SOAP adapter. It reads the served WSDL on the first call and keeps it (a failed read is
 * tried again on the next call, so an outage at start-up does not stick). When that WSDL is the contract's
 * (contracts/soap/payment.wsdl, whatever its address), ProcessPayment's envelope is written from a template and its
 * reply read by a strict reader of the contract's reply shapes (soap-envelopes.ts), the very bytes the `soap` package
 * would write and read; any other reply, and every call to a WSDL that is not the contract's, goes through the `soap`
 * package's client made from the WSDL read, which is loaded only then. A decline Fault becomes a declined answer; a
 * processor_error Fault a processor error; no SOAP answer at all (refused, 5xx without an envelope, unreachable)
 * means the processor is unavailable, which is what the breaker counts and the fallback to REST acts on.
 */
export function createSoapProcessor(options: SoapProcessorOptions): SoapPaymentProcessor {
  let transport: Promise<(exchange: SoapExchange) => Promise<SoapReply>> | undefined;
  const send = async (exchange: SoapExchange) => {
    transport ??= options.transport ? Promise.resolve(options.transport) : networkTransport();
    return (await transport)(exchange);
  };

  let service: Promise<SoapService> | undefined;
  const serviceOf = () => {
    service ??= (async () => {
      const reply = await send({ method: "GET", url: options.wsdlUrl, headers: {}, body: "" });
      if (reply.status !== 200) throw new Error(`HTTP ${reply.status}`);
      const location = ADDRESS.exec(reply.body)?.[2];
      const isContract =
        location !== undefined &&
        !location.includes("&") &&
        reply.body.replace(ADDRESS, "$1$3") === CONTRACT_WITHOUT_ADDRESS;
      const read: SoapService = { wsdl: reply.body, location: location ?? "", isContract };
      // Another WSDL is the `soap` client's to read: made now, so a WSDL it cannot read fails here, as one unread.
      if (!isContract) await libraryClientOf(read);
      return read;
    })();
    service.catch(() => {
      service = undefined;
    });
    return service;
  };

  let library: Promise<Client> | undefined;
  const libraryClientOf = (read: SoapService) => {
    library ??= (async () => {
      const { createClientAsync } = await import("soap");
      return createClientAsync(options.wsdlUrl, {
        // One client per processor, made once: the cache would only keep another platform's document alive.
        disableCache: true,
        httpClient: httpClientOver(read.wsdl, send),
      });
    })();
    library.catch(() => {
      library = undefined;
    });
    return library;
  };

  /** ProcessPayment through the `soap` client: sent by it, or only `reply` (already received) read by it. */
  const viaLibrary = async (read: SoapService, body: ProcessPaymentRequest, reply?: SoapReply) => {
    const client = await libraryClientOf(read);
    let response: ProcessPaymentResponse | undefined;
    try {
      [response] = (await client.ProcessPaymentAsync(body, reply ? { reply } : {})) as [ProcessPaymentResponse];
    } catch (error) {
      const fault = faultOf(error);
      if (fault) return faultAnswer(fault);
      throw unavailable(firstLine(error));
    }
    return responseAnswer(response);
  };

  return {
    async authorize(request) {
      let read: SoapService;
      try {
        read = await serviceOf();
      } catch (error) {
        throw new ProcessorError(
          "processor_unavailable",
          `The SOAP payment processor's WSDL could not be read (${firstLine(error)}).`,
        );
      }
      const body: ProcessPaymentRequest = {
        orderId: request.orderId,
        amount: request.amount.amount,
        currency: request.amount.currency,
        reference: request.reference,
        paymentId: request.paymentId,
        card: {
          brand: request.card.brand,
          last4: request.card.last4,
          expMonth: request.card.expMonth,
          expYear: request.card.expYear,
          testOutcome: request.card.outcome,
        },
      };
      if (!read.isContract) return viaLibrary(read, body);
      let reply: SoapReply;
      try {
        reply = await send({
          method: "POST",
          url: read.location,
          headers: PROCESS_PAYMENT_HEADERS,
          body: writeProcessPaymentRequest(body),
        });
      } catch (error) {
        throw unavailable(firstLine(error));
      }
      const answered = readProcessPaymentReply(reply.status, reply.body);
      if (answered) return "fault" in answered ? faultAnswer(answered.fault) : responseAnswer(answered.response);
      // No envelope at all (a 503 page, an empty body) is no SOAP answer; another envelope is the `soap` client's.
      if (!/<(?:[\w.-]+:)?Envelope[\s>]/.test(reply.body)) throw unavailable(`HTTP ${reply.status} without SOAP`);
      return viaLibrary(read, body, reply);
    },
  };
}
