import { createClient, type EcomClient } from "@ecom/sdk";

/** One line of `--items`: a book by ISBN and how many. */
export interface ItemRequest {
  readonly isbn: string;
  readonly quantity: number;
}

/** What `ecom checkout` does, as a customer would through the SDK. */
export interface CheckoutFlowOptions {
  readonly baseUrl: string;
  /** The fetch to use: the in-process platform's, or the network's. */
  readonly fetch?: (request: Request) => Promise<Response>;
  readonly email: string;
  readonly password: string;
  /** Books to buy; default: the first book in stock, one copy. */
  readonly items?: readonly ItemRequest[];
  readonly cardNumber: string;
  readonly couponCode?: string;
  /** How long to wait for the saga to end. */
  readonly timeoutMs?: number;
  /** Waits between looks at the checkout; the in-process platform passes one that lets events settle instead. */
  readonly wait?: (milliseconds: number) => Promise<void>;
  /** Called as each stage starts, for progress output. */
  readonly onProgress?: (stage: string) => void;
}

/** A saga step as `GET /checkouts/{id}` shows it. */
export type CheckoutView = NonNullable<Awaited<ReturnType<EcomClient["order"]["getCheckout"]>>["data"]>;
/** An order as `GET /orders/{id}` shows it. */
export type OrderView = NonNullable<Awaited<ReturnType<EcomClient["order"]["getOrder"]>>["data"]>;

/** An event of the checkout's flow, from the simulator's log. */
export interface FlowEvent {
  readonly seq: number;
  readonly eventType: string;
  readonly producer: string;
  readonly occurredAt: string;
  readonly correlationId: string;
  readonly eventId: string;
  readonly causationId?: string;
}

/** How a checkout ended. */
export interface CheckoutOutcome {
  /** True when the order is PAID. */
  readonly paid: boolean;
  readonly checkout: CheckoutView;
  readonly order: OrderView | undefined;
  /** Every event with the checkout's correlation id, in log order. */
  readonly events: readonly FlowEvent[];
}

/** A step of the flow failed before the saga could decide; the message says which and why. */
export class CheckoutFlowError extends Error {
  override name = "CheckoutFlowError";
}

const TERMINAL = new Set(["COMPLETED", "FAILED"]);

function check<T>(stage: string, result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    const problem = result.error as { detail?: string; title?: string } | undefined;
    throw new CheckoutFlowError(
      `${stage} failed (${result.response.status}): ${problem?.detail ?? problem?.title ?? "no body"}`,
    );
  }
  return result.data;
}

/** Parse `--items ISBN:QTY,ISBN:QTY`. */
export function parseItems(value: string): ItemRequest[] {
  return value.split(",").map((entry) => {
    const [isbn = "", quantity = "1"] = entry.trim().split(":");
    if (!/^97[89]\d{10}$/.test(isbn))
      throw new CheckoutFlowError(`--items: ${isbn || "(empty)"} is not an ISBN-13 (13 digits starting 978 or 979)`);
    if (!/^\d+$/.test(quantity) || Number(quantity) < 1 || Number(quantity) > 99)
      throw new CheckoutFlowError(`--items: the quantity of ${isbn} must be 1 to 99, got ${quantity}`);
    return { isbn, quantity: Number(quantity) };
  });
}

/**
 * Drive one checkout end to end through the SDK: log in, fill a cart, tokenize the card, check out, follow the
 * saga until it ends, then read the order and the flow's events.
 */
export async function runCheckout(options: CheckoutFlowOptions): Promise<CheckoutOutcome> {
  const progress = options.onProgress ?? (() => {});
  const base = { baseUrl: options.baseUrl, ...(options.fetch ? { fetch: options.fetch } : {}) };
  const anonymous = createClient(base);
  progress(`logging in as ${options.email}`);
  const session = check(
    "login",
    await anonymous.customer.login({ body: { email: options.email, password: options.password } }),
  );
  const client = createClient({ ...base, token: session.accessToken });

  progress("finding the books");
  const lines: { productId: string; quantity: number }[] = [];
  if (options.items && options.items.length > 0) {
    for (const item of options.items) {
      const page = check(
        `looking up ISBN ${item.isbn}`,
        await client.catalog.listProducts({ params: { query: { isbn: item.isbn } } }),
      );
      const product = page.items[0];
      if (!product) throw new CheckoutFlowError(`no book with ISBN ${item.isbn} in the catalog`);
      lines.push({ productId: product.productId, quantity: item.quantity });
    }
  } else {
    const page = check("listing products", await client.catalog.listProducts({ params: { query: { limit: 50 } } }));
    const stock = check(
      "checking stock",
      await client.inventory.batchGetStockLevels({
        params: { query: { productIds: page.items.map((product) => product.productId) } },
      }),
    );
    const inStock = stock.levels.find((level) => level.available > 0);
    if (!inStock) throw new CheckoutFlowError("none of the first 50 books is in stock; pass --items ISBN:QTY");
    lines.push({ productId: inStock.productId, quantity: 1 });
  }

  progress("filling a cart");
  const cart = check("opening a cart", await client.cart.createCart({ body: {} }));
  // An open cart may still hold what an earlier, failed checkout left in it: start from an empty one.
  for (const item of cart.items) {
    check(
      "emptying the cart",
      await client.cart.removeCartItem({ params: { path: { cartId: cart.cartId, itemId: item.itemId } } }),
    );
  }
  for (const line of lines) {
    check("adding an item", await client.cart.addCartItem({ params: { path: { cartId: cart.cartId } }, body: line }));
  }
  progress("tokenizing the card");
  const method = check(
    "tokenizing the card",
    await client.payment.tokenizePaymentMethod({
      body: { cardNumber: options.cardNumber, expMonth: 12, expYear: 2030, cvc: "123", holderName: "Demo Customer" },
    }),
  );
  const addresses = check("reading addresses", await client.customer.listMyAddresses({}));
  const address = addresses.items[0];
  if (!address)
    throw new CheckoutFlowError(`${options.email} has no address; add one with POST /customers/me/addresses`);

  progress("checking out");
  const accepted = check(
    "checking out",
    await client.cart.checkoutCart({
      params: { path: { cartId: cart.cartId } },
      body: {
        shippingAddressId: address.addressId,
        paymentToken: method.paymentToken,
        ...(options.couponCode ? { couponCode: options.couponCode } : {}),
      },
    }),
  );

  progress(`following checkout ${accepted.checkoutId}`);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const wait =
    options.wait ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  let checkout: CheckoutView;
  for (let delay = 10; ; delay = Math.min(delay * 2, 250)) {
    const view = await client.order.getCheckout({ params: { path: { checkoutId: accepted.checkoutId } } });
    if (view.data && TERMINAL.has(view.data.state)) {
      checkout = view.data;
      break;
    }
    if (view.error && view.response.status !== 404) check("following the checkout", view);
    if (Date.now() > deadline)
      throw new CheckoutFlowError(
        `checkout ${accepted.checkoutId} did not finish within ${(options.timeoutMs ?? 30_000) / 1000}s (state ${view.data?.state ?? "not started"})`,
      );
    await wait(delay);
  }

  const order =
    checkout.orderId && checkout.state === "COMPLETED"
      ? check("reading the order", await client.order.getOrder({ params: { path: { orderId: checkout.orderId } } }))
      : undefined;
  const events = await readFlowEvents(options, accepted.correlationId);
  return { paid: order?.status === "PAID", checkout, order, events };
}

/** The events of one flow from the simulator's log (empty when the server is no simulator). */
export async function readFlowEvents(
  options: Pick<CheckoutFlowOptions, "baseUrl" | "fetch">,
  correlationId: string,
): Promise<FlowEvent[]> {
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const response = await send(
    new Request(`${options.baseUrl}/_sim/log?correlationId=${encodeURIComponent(correlationId)}&limit=1000`),
  );
  if (!response.ok) return [];
  return ((await response.json()) as { events: FlowEvent[] }).events;
}

/** The outcome as the lines `ecom checkout` prints. */
export function formatOutcome(outcome: CheckoutOutcome): string {
  const money = (value: { amount: number; currency: string } | undefined) =>
    value ? `${(value.amount / 100).toFixed(2)} ${value.currency}` : "-";
  const lines: string[] = [];
  const { checkout, order } = outcome;
  lines.push(
    `checkout ${checkout.checkoutId}: ${checkout.state}${checkout.failure ? ` — ${checkout.failure.code} at ${checkout.failure.step}: ${checkout.failure.message}` : ""}`,
  );
  lines.push("", "saga steps:");
  for (const step of checkout.steps) {
    const detail = (step as { detail?: string }).detail;
    lines.push(`  ${step.status.padEnd(11)} ${step.name}${detail ? `  (${detail})` : ""}`);
  }
  lines.push("", `events (correlation id ${checkout.correlationId}):`);
  for (const event of outcome.events)
    lines.push(`  #${String(event.seq).padEnd(5)} ${event.occurredAt}  ${event.eventType}  (${event.producer})`);
  if (order) {
    lines.push("", `order ${order.orderId}: ${order.status}`);
    for (const item of order.items)
      lines.push(`  ${item.quantity} × ${item.title} (${item.isbn})  ${money(item.lineTotal)}`);
    lines.push(
      `  subtotal ${money(order.subtotal)}  discount ${money(order.discount)}  shipping ${money(order.shipping)}  tax ${money(order.tax)}  total ${money(order.total)}`,
    );
  } else {
    lines.push("", "no order was created.");
  }
  return lines.join("\n");
}
