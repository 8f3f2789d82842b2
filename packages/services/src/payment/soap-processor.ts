import type { soap as soapContracts } from "@ecom/sdk";
import type { Client, IHttpClient } from "soap";
import { type DeclineCode, type ProcessorAnswer, ProcessorError, type ProcessorRequest } from "./processor.js";

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

/** The `soap` client's `request` over `transport`, answering as its axios-based client does. */
function httpClientOver(transport: (exchange: SoapExchange) => Promise<SoapReply>): IHttpClient {
  return {
    request(url, data, callback, headers) {
      const exchange: SoapExchange = {
        method: data === null || data === undefined ? "GET" : "POST",
        url,
        headers: Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, String(value)])),
        body: typeof data === "string" ? data : "",
      };
      transport(exchange).then(
        (reply) => {
          const response = { status: reply.status, headers: reply.headers, data: reply.body };
          // The client reads any status; only a transport failure is an error here, as with axios' validateStatus.
          callback(null, response, reply.body);
        },
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

/**
 * The payment context's SOAP adapter: the `soap` package's client, made from the served WSDL on the first call and
 * kept (a failed start is tried again on the next call, so an outage at start-up does not stick). `soap` itself is
 * loaded only then, so nothing of it weighs on a start that never pays over SOAP. A decline Fault becomes a
 * declined answer; a processor_error Fault a processor error; no SOAP answer at all (refused, 5xx, unreachable)
 * means the processor is unavailable, which is what the breaker counts and the fallback to REST acts on.
 */
export function createSoapProcessor(options: SoapProcessorOptions): SoapPaymentProcessor {
  let client: Promise<Client> | undefined;
  const clientOf = () => {
    client ??= (async () => {
      const { createClientAsync } = await import("soap");
      return createClientAsync(options.wsdlUrl, {
        // One client per processor, made once: the cache would only keep another platform's document alive.
        disableCache: true,
        ...(options.transport ? { httpClient: httpClientOver(options.transport) } : {}),
      });
    })();
    client.catch(() => {
      client = undefined;
    });
    return client;
  };

  return {
    async authorize(request) {
      let soapClient: Client;
      try {
        soapClient = await clientOf();
      } catch (error) {
        throw new ProcessorError(
          "processor_unavailable",
          `The SOAP payment processor's WSDL could not be read (${error instanceof Error ? error.message.split("\n")[0] : String(error)}).`,
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
      let response: ProcessPaymentResponse;
      try {
        [response] = (await soapClient.ProcessPaymentAsync(body)) as [ProcessPaymentResponse];
      } catch (error) {
        const fault = faultOf(error);
        const decline = fault && declineOf(fault.code);
        if (fault && decline) {
          return { status: "declined", code: decline, processorReference: fault.processorReference ?? "" };
        }
        // Any other Fault (the processor's own error, a request it refused) is an answer, not an outage; only the
        // processor behind the interface being down (processor_unavailable) or no SOAP answer at all is one.
        if (fault && fault.code !== "processor_unavailable") throw new ProcessorError("processor_error", fault.message);
        throw new ProcessorError(
          "processor_unavailable",
          `The SOAP payment processor did not answer (${error instanceof Error ? error.message.split("\n")[0] : String(error)}).`,
        );
      }
      return response.status === "pending"
        ? { status: "pending", processorReference: response.processorReference }
        : { status: "succeeded", processorReference: response.processorReference };
    },
  };
}
