import { clockTime, h, routeParams } from "./dom.js";
import { callJson, followEvents, type LoggedEvent } from "./platform-api.js";

/** How many recent events the page starts with and keeps. */
const KEEP = 500;

/** The context an event type belongs to: `ecommerce.order.order.created.v1` → `order`. */
export function contextOfType(type: string): string {
  return type.split(".")[1] ?? "";
}

/**
 * The platform's event log, live: the last events, then each as it is appended, filtered by type, context and
 * correlation id; each row opens to its whole envelope, and its correlation id leads to the checkout timeline.
 */
class LiveEvents extends HTMLElement {
  #stop: (() => void) | undefined;
  #events: LoggedEvent[] = [];
  #list = h("div", { id: "event-list" });
  #count = h("span", { class: "muted" });
  #type = h("input", { name: "type", placeholder: "order.created", list: "event-types", size: "28" });
  #context = h("select", { name: "context" }, h("option", { value: "" }, "every context"));
  #correlation = h("input", { name: "correlationId", placeholder: "cor_… or chk_…", size: "32" });

  async connectedCallback(): Promise<void> {
    const params = routeParams();
    this.#type.value = params.get("type") ?? "";
    this.#correlation.value = params.get("correlationId") ?? "";
    const form = h(
      "form",
      { class: "filters" },
      h("label", {}, "Type contains", this.#type),
      h("label", {}, "Context", this.#context),
      h("label", {}, "Correlation id", this.#correlation),
      h("button", { type: "button", class: "secondary", id: "clear-filters" }, "Clear"),
      this.#count,
    );
    form.addEventListener("input", () => this.#render());
    form.addEventListener("submit", (event) => event.preventDefault());
    form.querySelector("#clear-filters")!.addEventListener("click", () => {
      this.#type.value = "";
      this.#context.value = "";
      this.#correlation.value = "";
      this.#render();
    });
    this.replaceChildren(h("h2", {}, "Live events"), form, this.#list);
    const health = await callJson<{ eventLogSeq: number; contexts: string[] }>("GET", "/healthz", { role: "none" });
    for (const context of health.contexts) this.#context.append(h("option", { value: context }, context));
    this.#context.value = params.get("context") ?? "";
    if (!this.isConnected) return;
    this.#stop = followEvents({ since: Math.max(0, health.eventLogSeq - KEEP) }, (event) => {
      this.#events.push(event);
      if (this.#events.length > KEEP) this.#events.shift();
      if (this.#matches(event)) this.#list.prepend(row(event));
      this.#showCount();
    });
    this.#render();
  }

  disconnectedCallback(): void {
    this.#stop?.();
  }

  #matches(event: LoggedEvent): boolean {
    const type = this.#type.value.trim();
    const correlation = this.#correlation.value.trim();
    return (
      (type === "" || event.eventType.includes(type)) &&
      (this.#context.value === "" ||
        contextOfType(event.eventType) === this.#context.value ||
        event.producer === this.#context.value) &&
      (correlation === "" || event.correlationId === correlation)
    );
  }

  #render(): void {
    const shown = this.#events.filter((event) => this.#matches(event));
    this.#list.replaceChildren(...shown.reverse().map(row));
    this.#showCount();
  }

  #showCount(): void {
    this.#count.textContent = `${this.#list.childElementCount} of the last ${this.#events.length} events`;
  }
}

function row(event: LoggedEvent): HTMLElement {
  return h(
    "details",
    { class: "event-row", "data-type": event.eventType, "data-seq": String(event.seq) },
    h(
      "summary",
      {},
      h("span", { class: "mono muted" }, `#${event.seq}`),
      h("span", { class: "mono" }, clockTime(event.occurredAt)),
      h("span", { class: "mono" }, event.eventType),
      h("span", { class: "badge" }, event.producer),
      h(
        "a",
        { class: "mono", href: `#/timeline?id=${encodeURIComponent(event.correlationId)}`, title: "checkout timeline" },
        event.correlationId,
      ),
    ),
    h("pre", {}, JSON.stringify(event, null, 2)),
  );
}

customElements.define("ecom-live-events", LiveEvents);
