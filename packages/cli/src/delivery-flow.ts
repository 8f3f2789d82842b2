import { createClient, type EcomClient } from "@ecom/sdk";
import { CheckoutFlowError, type OrderView } from "./checkout-flow.js";

/** What `ecom checkout --until delivered` does after the order is paid: the warehouse's part and the carrier's. */
export interface DeliveryFlowOptions {
  readonly baseUrl: string;
  readonly fetch?: (request: Request) => Promise<Response>;
  readonly orderId: string;
  /** The customer, to read their order back as they would. */
  readonly customer: { readonly email: string; readonly password: string };
  /** The warehouse staff (an admin) who pick, pack and ship. */
  readonly admin: { readonly email: string; readonly password: string };
  /** Lets events settle between steps (in-process), or waits a little (over the network). */
  readonly wait: (milliseconds: number) => Promise<void>;
  readonly onProgress?: (stage: string) => void;
}

/** How far the virtual clock moves at a time while the carrier has the parcel, and for how long at most. */
const CLOCK_STEP = "12h";
const MAX_CLOCK_STEPS = 14;

function check<T>(stage: string, result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    const problem = result.error as { detail?: string; title?: string } | undefined;
    throw new CheckoutFlowError(
      `${stage} failed (${result.response.status}): ${problem?.detail ?? problem?.title ?? "no body"}`,
    );
  }
  return result.data;
}

/**
 * Follow a paid order to DELIVERED: as an admin, pick, pack and hand its shipment to the simulated carrier
 * through the fulfilment API, then move the simulator's virtual clock (`POST /_sim/clock/advance`) until the carrier
 * has delivered it. Signs in again after each move, since tokens expire in platform time.
 */
export async function followToDelivery(options: DeliveryFlowOptions): Promise<OrderView> {
  const progress = options.onProgress ?? (() => {});
  const base = { baseUrl: options.baseUrl, ...(options.fetch ? { fetch: options.fetch } : {}) };
  const signIn = async (who: { email: string; password: string }): Promise<EcomClient> => {
    const session = check(`logging in as ${who.email}`, await createClient(base).customer.login({ body: who }));
    return createClient({ ...base, token: session.accessToken });
  };

  let ops = await signIn(options.admin);
  progress(`waiting for the shipment of order ${options.orderId}`);
  let shipmentId: string | undefined;
  for (let attempt = 0; attempt < 50 && !shipmentId; attempt++) {
    const page = check(
      "finding the shipment",
      await ops.fulfilment.listShipments({ params: { query: { orderId: options.orderId } } }),
    );
    shipmentId = page.items[0]?.shipmentId;
    if (!shipmentId) await options.wait(100);
  }
  if (!shipmentId) throw new CheckoutFlowError(`no shipment was opened for order ${options.orderId}`);
  const path = { path: { shipmentId } };
  progress(`picking shipment ${shipmentId}`);
  check("picking", await ops.fulfilment.pickShipment({ params: path, body: {} }));
  progress("packing");
  check("packing", await ops.fulfilment.packShipment({ params: path, body: { packageCount: 1 } }));
  progress("handing it to the simulated carrier");
  check(
    "shipping",
    await ops.fulfilment.shipShipment({
      params: path,
      body: { carrier: "simulated", trackingNumber: `SIM-${shipmentId.slice(-12)}` },
    }),
  );
  await options.wait(0);

  const send = options.fetch ?? ((request: Request) => fetch(request));
  for (let step = 0; step < MAX_CLOCK_STEPS; step++) {
    ops = await signIn(options.admin);
    const tracking = check("reading the tracking", await ops.fulfilment.getShipmentTracking({ params: path }));
    if (tracking.status === "DELIVERED") break;
    progress(`moving the virtual clock by ${CLOCK_STEP} (${tracking.events.at(-1)?.code ?? "no scan yet"})`);
    const moved = await send(
      new Request(`${options.baseUrl}/_sim/clock/advance`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ by: CLOCK_STEP }),
      }),
    );
    if (!moved.ok) throw new CheckoutFlowError(`moving the clock failed (${moved.status}); is this a simulator?`);
    await options.wait(0);
  }
  const customer = await signIn(options.customer);
  for (let attempt = 0; attempt < 50; attempt++) {
    const order = check(
      "reading the order",
      await customer.order.getOrder({ params: { path: { orderId: options.orderId } } }),
    );
    if (order.status === "DELIVERED") return order;
    await options.wait(100);
  }
  throw new CheckoutFlowError(`order ${options.orderId} was not delivered; see GET /shipments/${shipmentId}/tracking`);
}
