import { request as httpRequest } from "node:http";
import { createClient } from "@ecom/sdk";
import { allContexts, devAccounts } from "@ecom/services";
import { createPlatform, type HealthReport, type Platform } from "@ecom/simulator";
import { createClientAsync } from "soap";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCheckout } from "../../packages/cli/src/checkout-flow.js";

// Issue 19: the simulated processor's SOAP interface (contracts/soap/payment.wsdl). Payment asks it first, with
// retries and a breaker of its own, and falls back to REST when it is down; the path that paid is recorded.

const quiet = { info() {}, warn() {}, error() {} };
let platform: Platform;
let url: string;
beforeAll(async () => {
  platform = await createPlatform({ contexts: allContexts, memory: true, seed: 19, log: quiet });
  url = await platform.listen(0);
});
afterAll(async () => {
  await platform.close();
});

const checkout = () =>
  runCheckout({
    baseUrl: url,
    email: devAccounts.customer.email,
    password: devAccounts.customer.password,
    cardNumber: "4242424242424242",
    wait: () => platform.settle(),
    timeoutMs: 20_000,
  });

/** The payment of a checkout as its payment.authorized event (in /_sim/log) and its REST view tell it. */
async function paymentOf(checkoutId: string) {
  const log = (await (
    await fetch(`${url}/_sim/log?correlationId=${checkoutId}&types=ecommerce.payment.payment.authorized.v1`)
  ).json()) as { events: { payload: { paymentId: string; processorPath?: string } }[] };
  const authorized = log.events[0]?.payload;
  if (!authorized) throw new Error(`no payment.authorized for ${checkoutId}`);
  const { data: session } = await createClient({ baseUrl: url }).customer.login({
    body: { email: devAccounts.admin.email, password: devAccounts.admin.password },
  });
  const admin = createClient({ baseUrl: url, token: session!.accessToken });
  const { data: view } = await admin.payment.getPayment({ params: { path: { paymentId: authorized.paymentId } } });
  return { eventPath: authorized.processorPath, viewPath: view?.processorPath };
}

/** The SOAP breaker as /healthz shows it, and its count of failures from /_sim/breakers. */
async function soapBreaker() {
  const name = "payment processor (SOAP)";
  const health = (await (await fetch(`${url}/healthz`)).json()) as HealthReport;
  const { breakers } = (await (await fetch(`${url}/_sim/breakers`)).json()) as {
    breakers: { name: string; consecutiveFailures: number; failureThreshold: number }[];
  };
  const counts = breakers.find((breaker) => breaker.name === name);
  return {
    status: health.status,
    breaker: health.contexts.payment?.breakers.find((breaker) => breaker.name === name),
    failures: counts && `${counts.consecutiveFailures} of ${counts.failureThreshold}`,
    reasons: health.reasons,
  };
}

const request = {
  orderId: "ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R",
  amount: 8778,
  currency: "USD",
  reference: "chg_01JH8Z3Q4R5S6T7V8W9X0Y1Z33",
  paymentId: "pay_01JH8Z3Q4R5S6T7V8W9X0Y1Z2P",
  card: { brand: "visa", last4: "4242", expMonth: 12, expYear: 2030, testOutcome: "approve" },
};

describe("the SOAP payment processor", () => {
  it("serves its WSDL over the port, and the soap client made from it calls ProcessPayment", async () => {
    const client = await createClientAsync(`${url}/_sim/processor/soap?wsdl`);
    expect(client.describe()).toEqual({
      PaymentProcessorService: { PaymentProcessorSoapPort: { ProcessPayment: expect.anything() } },
    });
    const [answer] = await client.ProcessPaymentAsync(request);
    expect(answer).toEqual({ status: "succeeded", processorReference: expect.stringMatching(/^ch_sim_[0-9a-f]{12}$/) });
    // The same reference is answered once: asked again, the processor gives the first answer.
    expect((await client.ProcessPaymentAsync(request))[0]).toEqual(answer);
  });

  it("names its address from the Host header's host alone, and from localhost when that header is malformed", async () => {
    const wsdlWithHost = (host: string, target = "/_sim/processor/soap?wsdl") =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const port = new URL(url).port;
        const sent = httpRequest({ host: "127.0.0.1", port, path: target, headers: { host } }, (response) => {
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (body += chunk));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
        });
        sent.on("error", reject);
        sent.end();
      });
    const named = await wsdlWithHost("shop.example:8080");
    expect(named.status).toBe(200);
    expect(named.body).toContain('location="http://shop.example:8080/_sim/processor/soap"');
    const malformed = await wsdlWithHost("bad host[");
    expect(malformed.status).toBe(200);
    expect(malformed.body).toContain('location="http://localhost/_sim/processor/soap"');
  });

  it("answers a declined card with a SOAP Fault whose detail is the PaymentFault", async () => {
    const client = await createClientAsync(`${url}/_sim/processor/soap?wsdl`);
    const declined = {
      ...request,
      reference: "chg_01JH8Z3Q4R5S6T7V8W9X0Y1Z34",
      card: { ...request.card, testOutcome: "card_declined" },
    };
    const error = await client.ProcessPaymentAsync(declined).then(
      () => undefined,
      (thrown: { root?: unknown; response?: { status: number } }) => thrown,
    );
    expect(error?.response?.status).toBe(500);
    expect(error?.root).toMatchObject({
      Envelope: { Body: { Fault: { faultcode: "soap:Client", detail: { PaymentFault: { code: "card_declined" } } } } },
    });
  });

  it("pays a checkout over SOAP while it is up, and records soap as the path", async () => {
    const outcome = await checkout();
    expect(outcome.paid).toBe(true);
    expect(await paymentOf(outcome.checkout.checkoutId)).toEqual({ eventPath: "soap", viewPath: "soap" });
    expect(await soapBreaker()).toMatchObject({ breaker: { state: "closed" }, failures: "0 of 5" });
  });

  it("pays through the REST fallback with SOAP down, after five failures open the SOAP breaker, which /healthz shows", async () => {
    await fetch(`${url}/_sim/faults`, { method: "POST", body: JSON.stringify({ soapProcessorDown: true }) });
    try {
      const wsdl = await fetch(`${url}/_sim/processor/soap?wsdl`);
      expect(wsdl.status).toBe(503);
      const first = await checkout();
      expect(first.paid).toBe(true);
      expect(await paymentOf(first.checkout.checkoutId)).toEqual({ eventPath: "rest", viewPath: "rest" });
      const afterFirst = await soapBreaker();
      expect(afterFirst.status).toBe("degraded");
      expect(afterFirst).toMatchObject({ breaker: { state: "open" }, failures: "5 of 5" });
      expect(afterFirst.reasons).toContain(
        `payment: circuit breaker payment processor (SOAP) is open until ${afterFirst.breaker?.reopensAt} (virtual clock)`,
      );

      // While it is open, SOAP is not asked at all: REST pays at once.
      const second = await checkout();
      expect(second.paid).toBe(true);
      expect(await paymentOf(second.checkout.checkoutId)).toEqual({ eventPath: "rest", viewPath: "rest" });
      expect(await soapBreaker()).toMatchObject({ breaker: { state: "open" }, failures: "5 of 5" });
    } finally {
      await fetch(`${url}/_sim/faults`, { method: "POST", body: JSON.stringify({ soapProcessorDown: false }) });
    }
    // Back up and past the cool-down, the trial call goes over SOAP and closes the breaker.
    await platform.advanceClock(30_000);
    const recovered = await checkout();
    expect(await paymentOf(recovered.checkout.checkoutId)).toEqual({ eventPath: "soap", viewPath: "soap" });
    expect(await soapBreaker()).toMatchObject({ status: "ok", breaker: { state: "closed" } });
  });
});
