import { clockTime, h, routeParams } from "./dom.js";
import { callJson, followEvents, type LoggedEvent, RequestError, readLog } from "./platform-api.js";

/** A saga step as `GET /checkouts/{id}` gives it. */
interface SagaStep {
  readonly name: string;
  readonly status: "PENDING" | "SUCCEEDED" | "FAILED" | "COMPENSATED";
  readonly attempts: number;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly compensatedAt?: string;
  readonly detail?: string;
}
interface Checkout {
  readonly checkoutId: string;
  readonly state: string;
  readonly steps: SagaStep[];
  readonly orderId?: string;
  readonly correlationId: string;
  readonly failure?: { code: string; message: string; step: string };
}
/** An RPC between contexts, as `/_sim/rpcs` records it. */
interface RpcCall {
  readonly at: string;
  readonly service: string;
  readonly method: string;
  readonly durationMs: number;
  readonly code: string;
}

/** One mark on the time axis, in one of three lanes. */
interface Mark {
  readonly at: string;
  readonly order: number;
  readonly lane: 1 | 2 | 3;
  readonly kind: "step" | "compensation" | "rpc" | "event";
  readonly content: (Node | string | undefined)[];
}

const CHECKED_OUT = "ecommerce.cart.cart.checked_out.v1";

/**
 * One checkout on one time axis: the saga's steps (from `GET /checkouts/{id}`), the RPCs between contexts and the
 * events of its correlation id, compensations marked. Reached with an order id, a checkout id or a correlation
 * id; without one it waits for the next checkout and follows it live.
 */
class CheckoutTimeline extends HTMLElement {
  #stop: (() => void) | undefined;
  #events: LoggedEvent[] = [];
  #checkout: Checkout | undefined;
  #rpcs: RpcCall[] = [];
  #body = h("div", { id: "timeline-body" });
  #status = h("p", { class: "muted", id: "timeline-status" });
  #refreshing: Promise<void> | undefined;
  #again = false;

  connectedCallback(): void {
    this.addEventListener("route-changed", () => void this.#start());
    void this.#start();
  }

  disconnectedCallback(): void {
    this.#stop?.();
  }

  async #start(): Promise<void> {
    this.#stop?.();
    this.#events = [];
    this.#checkout = undefined;
    this.#rpcs = [];
    const input = h("input", { name: "id", placeholder: "ord_…, chk_… or a correlation id", size: "40" });
    const id = routeParams().get("id") ?? "";
    input.value = id;
    const form = h(
      "form",
      { class: "filters" },
      h("label", {}, "Order, checkout or correlation id", input),
      h("button", { type: "submit" }, "Show"),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      location.hash = `#/timeline?id=${encodeURIComponent(input.value.trim())}`;
    });
    this.replaceChildren(h("h2", {}, "Checkout timeline"), form, this.#status, this.#body);
    this.#body.replaceChildren();
    try {
      if (id === "") return this.#waitForNextCheckout();
      const correlationId = await this.#resolve(id);
      this.#follow(correlationId);
    } catch (error) {
      this.#status.textContent = "";
      this.#status.append(h("span", { class: "error" }, (error as Error).message));
    }
  }

  /** The correlation id of an order, a checkout, or the id itself. */
  async #resolve(id: string): Promise<string> {
    if (id.startsWith("ord_")) {
      const order = await callJson<{ checkoutId?: string; correlationId?: string }>(
        "GET",
        `/orders/${encodeURIComponent(id)}`,
      );
      if (order.checkoutId) this.#checkout = await this.#readCheckout(order.checkoutId);
      return this.#checkout?.correlationId ?? order.correlationId ?? id;
    }
    if (id.startsWith("chk_")) {
      this.#checkout = await this.#readCheckout(id);
      return this.#checkout?.correlationId ?? id;
    }
    return id;
  }

  async #readCheckout(checkoutId: string): Promise<Checkout | undefined> {
    try {
      return await callJson<Checkout>("GET", `/checkouts/${encodeURIComponent(checkoutId)}`);
    } catch (error) {
      if (error instanceof RequestError && error.status === 404) return undefined;
      throw error;
    }
  }

  #waitForNextCheckout(): void {
    this.#status.textContent = "Looking for the end of the log…";
    void callJson<{ eventLogSeq: number }>("GET", "/healthz", { role: "none" }).then((health) => {
      if (!this.isConnected) return;
      // Said only now: a checkout started from here on is after the point the stream follows from.
      this.#status.textContent = `Waiting for the next checkout… (run one: npx ecom checkout --url ${location.origin})`;
      this.#stop = followEvents({ since: health.eventLogSeq }, (event) => {
        if (event.eventType !== CHECKED_OUT) return;
        this.#stop?.();
        const checkoutId = String(event.payload.checkoutId ?? "");
        history.replaceState(null, "", `#/timeline?id=${encodeURIComponent(checkoutId)}`);
        void this.#resolve(checkoutId).then((correlationId) => this.#follow(correlationId));
      });
    });
  }

  #follow(correlationId: string): void {
    this.#status.textContent = `Correlation id ${correlationId} — live`;
    this.#stop = followEvents({ since: 0, correlationId }, (event) => {
      this.#events.push(event);
      this.#refresh();
    });
    void readLog({ correlationId, limit: 1 }).then((events) => {
      if (events.length === 0 && !this.#checkout)
        this.#status.textContent = `Nothing recorded yet for ${correlationId}; waiting…`;
    });
    this.#refresh();
  }

  /** Re-read the checkout and the RPCs (coalesced: one read at a time, one more if asked meanwhile), then draw. */
  #refresh(): void {
    if (this.#refreshing) {
      this.#again = true;
      return;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        const checkoutId =
          this.#checkout?.checkoutId ??
          (this.#events.map((event) => event.payload.checkoutId).find((value) => typeof value === "string") as
            | string
            | undefined);
        if (checkoutId) this.#checkout = (await this.#readCheckout(checkoutId)) ?? this.#checkout;
        const correlationId = this.#checkout?.correlationId ?? this.#events[0]?.correlationId;
        if (correlationId) this.#rpcs = await readRpcs(correlationId);
        this.#draw();
      } while (this.#again);
    })().finally(() => {
      this.#refreshing = undefined;
    });
  }

  #draw(): void {
    const checkout = this.#checkout;
    const marks: Mark[] = [];
    checkout?.steps.forEach((step, index) => {
      if (step.startedAt)
        marks.push({
          at: step.startedAt,
          order: index,
          lane: 1,
          kind: "step",
          content: [
            h("strong", {}, step.name),
            " ",
            h("span", { class: `badge ${step.status}` }, step.status),
            step.attempts > 1 ? h("span", { class: "muted" }, ` ${step.attempts} attempts`) : undefined,
            h("div", { class: "muted" }, step.detail ?? ""),
            h("div", { class: "muted mono" }, step.finishedAt ? `done ${clockTime(step.finishedAt)}` : "running…"),
          ],
        });
      if (step.compensatedAt)
        marks.push({
          at: step.compensatedAt,
          order: 10 + index,
          lane: 1,
          kind: "compensation",
          content: [h("strong", {}, `↺ compensated ${step.name}`)],
        });
    });
    for (const [index, rpc] of this.#rpcs.entries())
      marks.push({
        at: rpc.at,
        order: index,
        lane: 2,
        kind: "rpc",
        content: [
          h("span", { class: "mono" }, `${rpc.service.split(".").slice(-1)[0]}/${rpc.method}`),
          " ",
          h("span", { class: `badge ${rpc.code === "ok" ? "ok" : "bad"}` }, rpc.code),
          h("span", { class: "muted" }, ` ${rpc.durationMs.toFixed(1)} ms`),
        ],
      });
    for (const event of this.#events)
      marks.push({
        at: event.occurredAt,
        order: event.seq,
        lane: 3,
        kind: "event",
        content: [
          h("span", { class: "mono" }, event.eventType.replace(/^ecommerce\./, "").replace(/\.v\d+$/, "")),
          h("div", { class: "muted" }, `${event.producer} · #${event.seq}`),
        ],
      });
    marks.sort((a, b) => a.at.localeCompare(b.at) || a.lane - b.lane || a.order - b.order);
    const header = checkout
      ? h(
          "div",
          { class: "card" },
          h("strong", {}, checkout.checkoutId),
          " ",
          h("span", { class: `badge ${checkout.state}`, id: "checkout-state" }, checkout.state),
          checkout.orderId
            ? h(
                "span",
                {},
                " order ",
                h("a", { class: "mono", href: `#/orders?id=${checkout.orderId}` }, checkout.orderId),
              )
            : "",
          checkout.failure
            ? h(
                "div",
                { class: "error" },
                `${checkout.failure.step}: ${checkout.failure.code} — ${checkout.failure.message}`,
              )
            : "",
        )
      : h("div", { class: "card muted" }, "No checkout found for this id (yet); its events show below.");
    this.#body.replaceChildren(
      header,
      h("div", { class: "lane-head" }, h("span", {}, "Saga steps"), h("span", {}, "RPCs"), h("span", {}, "Events")),
      h(
        "div",
        { class: "timeline" },
        ...marks.map((mark) =>
          h(
            "div",
            { class: "tick" },
            h("time", {}, mark.at.replace("T", " ").slice(0, 23)),
            h(
              "div",
              { class: `item ${mark.kind}`, style: `--lane:${mark.lane}`, "data-kind": mark.kind },
              ...mark.content,
            ),
          ),
        ),
      ),
    );
  }
}

/** The RPCs recorded for a correlation id (none when the simulator keeps no RPC trace). */
async function readRpcs(correlationId: string): Promise<RpcCall[]> {
  try {
    const answer = await callJson<{ calls: RpcCall[] }>(
      "GET",
      `/_sim/rpcs?correlationId=${encodeURIComponent(correlationId)}`,
      {
        role: "none",
      },
    );
    return answer.calls;
  } catch {
    return [];
  }
}

customElements.define("ecom-checkout-timeline", CheckoutTimeline);
