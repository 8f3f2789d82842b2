import { h, routeParams } from "./dom.js";
import { callJson } from "./platform-api.js";
import { traceLinkOf } from "./trace-link.js";

interface OrderSummary {
  readonly orderId: string;
  readonly customerId: string;
  readonly status: string;
  readonly itemCount: number;
  readonly total: { amount: number; currency: string };
  readonly createdAt: string;
}
interface StatusChange {
  readonly sequence: number;
  readonly from?: string;
  readonly to: string;
  readonly changedAt: string;
  readonly actor: { type?: string; id?: string } | string;
  readonly reason?: string;
}

const money = (total: { amount: number; currency: string }) => `${(total.amount / 100).toFixed(2)} ${total.currency}`;

/** Every order (as the admin sees them), newest first; one opens to its status history and its checkout timeline. */
class Orders extends HTMLElement {
  #detail = h("div", { id: "order-detail" });

  connectedCallback(): void {
    this.addEventListener("route-changed", () => void this.#showSelected());
    void this.#render();
  }

  async #render(): Promise<void> {
    const table = h("tbody");
    const refresh = h("button", { type: "button", class: "secondary" }, "Refresh");
    refresh.addEventListener("click", () => void this.#render());
    this.replaceChildren(
      h("h2", {}, "Orders"),
      h("div", { class: "toolbar" }, refresh),
      h(
        "div",
        { class: "grid", style: "grid-template-columns: 1fr 1fr" },
        h(
          "table",
          { id: "orders" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", {}, "Order"),
              h("th", {}, "Status"),
              h("th", {}, "Items"),
              h("th", {}, "Total"),
              h("th", {}, "Created"),
            ),
          ),
          table,
        ),
        this.#detail,
      ),
    );
    try {
      const page = await callJson<{ items: OrderSummary[] }>("GET", "/orders?limit=100");
      if (page.items.length === 0)
        table.append(h("tr", {}, h("td", { colspan: "5", class: "muted" }, "No orders yet.")));
      for (const order of page.items)
        table.append(
          h(
            "tr",
            {},
            h("td", {}, h("a", { class: "mono", href: `#/orders?id=${order.orderId}` }, order.orderId)),
            h("td", {}, h("span", { class: `badge ${order.status}` }, order.status)),
            h("td", {}, String(order.itemCount)),
            h("td", {}, money(order.total)),
            h("td", { class: "mono" }, order.createdAt.replace("T", " ").slice(0, 19)),
          ),
        );
    } catch (error) {
      table.append(h("tr", {}, h("td", { colspan: "5", class: "error" }, (error as Error).message)));
    }
    await this.#showSelected();
  }

  async #showSelected(): Promise<void> {
    const id = routeParams().get("id");
    if (!id) {
      this.#detail.replaceChildren(h("p", { class: "muted card" }, "Select an order for its status history."));
      return;
    }
    try {
      const [history, order] = await Promise.all([
        callJson<{ items: StatusChange[] }>("GET", `/orders/${encodeURIComponent(id)}/history?limit=100`),
        callJson<{ correlationId?: string }>("GET", `/orders/${encodeURIComponent(id)}`),
      ]);
      const trace = order.correlationId ? await traceLinkOf(order.correlationId) : undefined;
      this.#detail.replaceChildren(
        h(
          "div",
          { class: "card" },
          h("h3", {}, id),
          h("p", {}, h("a", { href: `#/timeline?id=${encodeURIComponent(id)}` }, "Checkout timeline →")),
          trace,
          h(
            "table",
            { id: "order-history" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", {}, "#"),
                h("th", {}, "Status"),
                h("th", {}, "When"),
                h("th", {}, "By"),
                h("th", {}, "Why"),
              ),
            ),
            h(
              "tbody",
              {},
              ...history.items.map((change) =>
                h(
                  "tr",
                  {},
                  h("td", {}, String(change.sequence)),
                  h(
                    "td",
                    {},
                    change.from ? `${change.from} → ` : "",
                    h("span", { class: `badge ${change.to}` }, change.to),
                  ),
                  h("td", { class: "mono" }, change.changedAt.replace("T", " ").slice(0, 19)),
                  h("td", {}, typeof change.actor === "string" ? change.actor : (change.actor.type ?? "")),
                  h("td", {}, change.reason ?? ""),
                ),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      this.#detail.replaceChildren(h("p", { class: "error card" }, (error as Error).message));
    }
  }
}

customElements.define("ecom-orders", Orders);
