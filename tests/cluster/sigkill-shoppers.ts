/**
 * Shoppers who check out through a gateway as a real client does across a process crash: every mutation carries an
 * Idempotency-Key, and a request that got no answer (the connection failed, or the gateway said the process serving
 * it did not answer: 502/503/504) is sent again with the same key and body until it gets one.
 */

/** What a shopper's checkout ended with, from the client's side. */
export type CheckoutOutcome =
  | { readonly kind: "ordered"; readonly checkoutId: string; readonly orderId: string; readonly status: number }
  | { readonly kind: "failed"; readonly checkoutId: string; readonly code: string };

/** A signed-in shopper whose cart holds what they buy. */
export interface ReadyShopper {
  readonly index: number;
  readonly token: string;
  readonly cartId: string;
  readonly addressId: string;
  readonly paymentToken: string;
}

/** Options of {@link checkOut}. */
export interface CheckOutOptions {
  readonly gatewayUrl: string;
  /** Real time after which a request still without an answer fails the test. */
  readonly deadline: number;
  /** Told when `POST /orders` answered with the order (201 or 200). */
  readonly onOrdered?: () => void;
}

const RETRY_PAUSE_MS = 100;
const NOT_YET_PAUSE_MS = 500;

/** Answers a client sends again as they are: nobody handled the request, or nobody could tell. */
const UNANSWERED = new Set([502, 503, 504]);

/**
 * POST `body` to `path` with an Idempotency-Key until an answer comes that is not a gateway's "no answer"; `again`
 * says whether to send it again anyway (a 404 for a checkout the order context has not heard of yet, a 202 while its
 * saga runs).
 */
export async function postUntilAnswered(
  options: CheckOutOptions & {
    readonly path: string;
    readonly token: string;
    readonly idempotencyKey: string;
    readonly body: unknown;
    readonly again?: (status: number, headers: Headers) => number | undefined;
  },
): Promise<{ status: number; body: Record<string, unknown> }> {
  let last = "nothing";
  for (;;) {
    if (Date.now() > options.deadline)
      throw new Error(
        `POST ${options.path} (Idempotency-Key ${options.idempotencyKey}) never got an answer; the last: ${last}`,
      );
    let pause = RETRY_PAUSE_MS;
    try {
      const response = await fetch(`${options.gatewayUrl}${options.path}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${options.token}`,
          "idempotency-key": options.idempotencyKey,
        },
        body: JSON.stringify(options.body),
      });
      const body = (await response.json()) as Record<string, unknown>;
      last = `${response.status} ${JSON.stringify(body).slice(0, 400)}`;
      const wait = UNANSWERED.has(response.status)
        ? RETRY_PAUSE_MS
        : options.again?.(response.status, response.headers);
      if (wait === undefined) return { status: response.status, body };
      pause = wait;
    } catch (error) {
      last = String(error);
      // The connection failed (the gateway itself is not killed, but a response can be cut off): send it again.
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/**
 * Check the cart out (`POST /carts/{cartId}/checkout`) and get its order (`POST /orders`), each with its own
 * Idempotency-Key, repeating either until it has an answer; 202 (the saga still runs) is asked again after its
 * Retry-After, as the contract says.
 */
export async function checkOut(shopper: ReadyShopper, options: CheckOutOptions): Promise<CheckoutOutcome> {
  const accepted = await postUntilAnswered({
    ...options,
    path: `/carts/${shopper.cartId}/checkout`,
    token: shopper.token,
    idempotencyKey: `sigkill-checkout-${shopper.index}`,
    body: { shippingAddressId: shopper.addressId, paymentToken: shopper.paymentToken },
  });
  if (accepted.status !== 202) throw new Error(`checkout refused: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  const checkoutId = String(accepted.body.checkoutId);
  const ordered = await postUntilAnswered({
    ...options,
    path: "/orders",
    token: shopper.token,
    idempotencyKey: `sigkill-order-${shopper.index}`,
    body: { checkoutId },
    again: (status, headers) => {
      if (status === 202) return Math.min(1_000, Number(headers.get("retry-after") ?? 1) * 1_000);
      // The order context has not heard of the checkout yet (its process is behind, or was down when the cart
      // published it). The request waited a while for it already; the next one goes after a pause.
      if (status === 404) return NOT_YET_PAUSE_MS;
      return undefined;
    },
  });
  if (ordered.status === 201 || ordered.status === 200) {
    options.onOrdered?.();
    return { kind: "ordered", checkoutId, orderId: String(ordered.body.orderId), status: ordered.status };
  }
  if (ordered.status === 409) return { kind: "failed", checkoutId, code: String(ordered.body.code) };
  throw new Error(`POST /orders answered ${ordered.status}: ${JSON.stringify(ordered.body)}`);
}
