import { h } from "./dom.js";
import { callJson } from "./platform-api.js";

interface MailboxMessage {
  readonly messageId: string;
  readonly to: string;
  readonly subject: string;
  readonly body: string;
  readonly sentAt: string;
}
interface Subscription {
  readonly subscriptionId: string;
  readonly url: string;
  readonly eventTypes: readonly string[];
  readonly active: boolean;
  readonly deactivatedReason?: string;
}
interface Attempt {
  readonly attemptNumber: number;
  readonly attemptedAt: string;
  readonly responseStatus?: number;
  readonly durationMs: number;
  readonly error?: string;
}
interface Delivery {
  readonly deliveryId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly status: string;
  readonly attemptCount: number;
  readonly attempts: readonly Attempt[];
  readonly nextAttemptAt?: string;
}

const time = (iso: string | undefined) => (iso ? iso.replace("T", " ").slice(0, 19) : "");

/** A table with a header row and a body to fill. */
function table(id: string, headings: readonly string[]): { element: HTMLTableElement; body: HTMLTableSectionElement } {
  const body = h("tbody");
  const element = h("table", { id }, h("thead", {}, h("tr", {}, ...headings.map((text) => h("th", {}, text)))), body);
  return { element, body };
}

/** A row spanning the table with a note (empty, or an error). */
const note = (columns: number, text: string, kind = "muted") =>
  h("tr", {}, h("td", { colspan: String(columns), class: kind }, text));

/**
 * What the platform told people: the simulated e-mail channel's mailbox (`/_sim/mailbox`), and the partner webhook
 * subscriptions with their deliveries, every attempt, and redelivery of a finished one.
 */
class Notifications extends HTMLElement {
  connectedCallback(): void {
    void this.#render();
  }

  async #render(): Promise<void> {
    const mailCard = h("div", { class: "card", id: "mailbox-card" });
    const hooksCard = h("div", { class: "card", id: "webhooks-card" });
    const refresh = h("button", { type: "button", class: "secondary" }, "Refresh");
    refresh.addEventListener("click", () => void this.#render());
    this.replaceChildren(
      h("h2", {}, "Mailbox and webhooks"),
      h("div", { class: "toolbar" }, refresh),
      h("div", { class: "grid", style: "grid-template-columns: 1fr 1fr" }, mailCard, hooksCard),
    );
    await Promise.all([this.#mailbox(mailCard), this.#webhooks(hooksCard)]);
  }

  async #mailbox(card: HTMLElement): Promise<void> {
    const { element, body } = table("mailbox", ["Sent", "To", "Subject"]);
    card.replaceChildren(
      h("h3", {}, "Mailbox"),
      h("p", { class: "muted" }, "E-mail the simulated channel accepted, newest first."),
      element,
    );
    try {
      const { messages } = await callJson<{ messages: MailboxMessage[] }>("GET", "/_sim/mailbox?limit=100", {
        role: "none",
      });
      if (messages.length === 0) body.append(note(3, "No e-mail yet."));
      for (const message of messages)
        body.append(
          h(
            "tr",
            {},
            h("td", { class: "mono" }, time(message.sentAt)),
            h("td", {}, message.to),
            h("td", {}, h("details", {}, h("summary", {}, message.subject), h("p", {}, message.body))),
          ),
        );
    } catch (error) {
      body.append(note(3, (error as Error).message, "error"));
    }
  }

  async #webhooks(card: HTMLElement): Promise<void> {
    const { element, body } = table("webhook-subscriptions", ["Endpoint", "Events", "Active"]);
    const deliveries = h("div", { id: "webhook-deliveries" });
    card.replaceChildren(h("h3", {}, "Webhook subscriptions"), element, deliveries);
    try {
      const page = await callJson<{ items: Subscription[] }>("GET", "/webhooks/subscriptions?limit=100");
      if (page.items.length === 0)
        body.append(note(3, "No subscriptions. POST /webhooks/subscriptions (admin) adds one."));
      for (const subscription of page.items) {
        const open = h("a", { href: "#/notifications", class: "mono" }, subscription.url);
        open.addEventListener("click", (event) => {
          event.preventDefault();
          void this.#deliveries(deliveries, subscription);
        });
        body.append(
          h(
            "tr",
            {},
            h("td", {}, open),
            h("td", { class: "mono" }, subscription.eventTypes.join(", ")),
            h("td", {}, subscription.active ? "yes" : `no (${subscription.deactivatedReason ?? ""})`),
          ),
        );
      }
    } catch (error) {
      body.append(note(3, (error as Error).message, "error"));
    }
  }

  async #deliveries(container: HTMLElement, subscription: Subscription): Promise<void> {
    const { element, body } = table("webhook-delivery-list", ["Event", "Status", "Attempts", "Next", ""]);
    container.replaceChildren(h("h3", {}, `Deliveries to ${subscription.url}`), element);
    try {
      const page = await callJson<{ items: Delivery[] }>(
        "GET",
        `/webhooks/subscriptions/${encodeURIComponent(subscription.subscriptionId)}/deliveries?limit=100`,
      );
      if (page.items.length === 0) body.append(note(5, "Nothing delivered yet."));
      for (const delivery of page.items) {
        const finished = delivery.status === "SUCCEEDED" || delivery.status === "FAILED";
        const redeliver = h("button", { type: "button", class: "secondary" }, "Redeliver");
        redeliver.addEventListener("click", async () => {
          redeliver.setAttribute("disabled", "");
          try {
            await callJson("POST", `/webhooks/deliveries/${encodeURIComponent(delivery.deliveryId)}/redeliver`);
          } finally {
            await this.#deliveries(container, subscription);
          }
        });
        const attempts = h(
          "details",
          {},
          h("summary", {}, String(delivery.attemptCount)),
          h(
            "ol",
            {},
            ...delivery.attempts.map((attempt) =>
              h(
                "li",
                { class: "mono" },
                `${time(attempt.attemptedAt)} ${attempt.responseStatus ?? "no answer"} ${attempt.durationMs} ms ${attempt.error ?? ""}`,
              ),
            ),
          ),
        );
        body.append(
          h(
            "tr",
            {},
            h("td", { class: "mono", title: delivery.eventId }, delivery.eventType),
            h("td", {}, h("span", { class: `badge ${delivery.status}` }, delivery.status)),
            h("td", {}, attempts),
            h("td", { class: "mono" }, time(delivery.nextAttemptAt)),
            h("td", {}, finished ? redeliver : ""),
          ),
        );
      }
    } catch (error) {
      body.append(note(5, (error as Error).message, "error"));
    }
  }
}

customElements.define("ecom-notifications", Notifications);
