import { h } from "./dom.js";
import { callJson, getSession } from "./platform-api.js";

interface Breaker {
  readonly name: string;
  readonly state: string;
  readonly consecutiveFailures: number;
  readonly failureThreshold: number;
  readonly retryAfterMs: number;
}

/** The platform's clock (advance it), its fault switches (toggle them) and its circuit breakers. */
class PlatformControls extends HTMLElement {
  connectedCallback(): void {
    void this.#render();
  }

  async #render(): Promise<void> {
    const clockCard = h("div", { class: "card", id: "clock-card" });
    const faultsCard = h("div", { class: "card", id: "faults-card" });
    const breakersCard = h("div", { class: "card", id: "breakers-card" });
    this.replaceChildren(
      h("h2", {}, "Clock, faults and circuit breakers"),
      h("div", { class: "grid" }, clockCard, faultsCard, breakersCard),
    );
    await Promise.all([this.#clock(clockCard), this.#faults(faultsCard), this.#breakers(breakersCard)]);
  }

  async #clock(card: HTMLElement): Promise<void> {
    const { now } = await callJson<{ now: string }>("GET", "/_sim/clock", { role: "none" });
    const shown = h("p", { class: "mono", id: "clock-now" }, now);
    const by = h("input", { name: "by", value: "15m", size: "8", "aria-label": "advance by" });
    const message = h("p", { class: "muted", id: "clock-message" });
    const form = h(
      "form",
      { class: "toolbar", id: "advance-clock" },
      h("label", {}, "Advance by (ms, s, m, h, d)", by),
      h("button", { type: "submit" }, "Advance"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const answer = await callJson<{ now: string; advancedByMs: number }>("POST", "/_sim/clock/advance", {
          role: "none",
          body: { by: by.value.trim() },
        });
        shown.textContent = answer.now;
        message.textContent = `Advanced by ${by.value.trim()}; what fell due (reservations, carts, retries) has run.`;
        // Tokens expire with platform time.
        await getSession(true);
        window.dispatchEvent(new CustomEvent("clock-advanced"));
      } catch (error) {
        message.textContent = (error as Error).message;
      }
    });
    card.replaceChildren(h("h3", {}, "Virtual clock"), shown, form, message);
  }

  async #faults(card: HTMLElement): Promise<void> {
    const faults = await callJson<Record<string, boolean | number>>("GET", "/_sim/faults", { role: "none" });
    const rows = Object.entries(faults).map(([name, value]) => {
      const input =
        typeof value === "boolean"
          ? h("input", { type: "checkbox", name, ...(value ? { checked: "" } : {}) })
          : h("input", { type: "number", name, value: String(value), min: "0", size: "6" });
      input.addEventListener("change", async () => {
        const next = input.type === "checkbox" ? input.checked : Number(input.value);
        await callJson("POST", "/_sim/faults", { role: "none", body: { [name]: next } });
      });
      return h(
        "label",
        { style: "flex-direction: row; gap: 0.5rem; align-items: center" },
        input,
        h("span", { class: "mono" }, name),
      );
    });
    card.replaceChildren(h("h3", {}, "Faults"), ...rows);
  }

  async #breakers(card: HTMLElement): Promise<void> {
    try {
      const { breakers } = await callJson<{ breakers: Breaker[] }>("GET", "/_sim/breakers", { role: "none" });
      card.replaceChildren(
        h("h3", {}, "Circuit breakers"),
        ...(breakers.length === 0 ? [h("p", { class: "muted" }, "No context runs a circuit breaker.")] : []),
        ...breakers.map((breaker) =>
          h(
            "p",
            {},
            h("strong", {}, breaker.name),
            " ",
            h("span", { class: `badge ${breaker.state}` }, breaker.state),
            h(
              "div",
              { class: "muted" },
              `${breaker.consecutiveFailures}/${breaker.failureThreshold} failures in a row` +
                (breaker.retryAfterMs > 0 ? ` · trial call in ${Math.ceil(breaker.retryAfterMs / 1000)} s` : ""),
            ),
          ),
        ),
      );
    } catch (error) {
      card.replaceChildren(h("h3", {}, "Circuit breakers"), h("p", { class: "error" }, (error as Error).message));
    }
  }
}

customElements.define("ecom-platform-controls", PlatformControls);
