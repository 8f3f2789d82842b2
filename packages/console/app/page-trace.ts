import { h, routeParams } from "./dom.js";
import { callJson } from "./platform-api.js";

/** A span as `GET /_sim/traces/{traceId}` gives it. */
interface KeptSpan {
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly status: "ok" | "error";
  readonly error?: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** The spans in tree order (each after its parent, siblings by start), with their depth. */
function treeOrder(spans: readonly KeptSpan[]): { span: KeptSpan; depth: number }[] {
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map<string | undefined, KeptSpan[]>();
  for (const span of spans) {
    // A span whose parent is not kept (pushed out, or remote) is shown as a root.
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const ordered: { span: KeptSpan; depth: number }[] = [];
  const visit = (parent: string | undefined, depth: number) => {
    for (const span of (children.get(parent) ?? []).sort((a, b) => a.startMs - b.startMs)) {
      ordered.push({ span, depth });
      visit(span.spanId, depth + 1);
    }
  };
  visit(undefined, 0);
  return ordered;
}

/** One trace as a waterfall: every kept span on one real-time axis, indented under its parent. */
class TraceWaterfall extends HTMLElement {
  connectedCallback(): void {
    this.addEventListener("route-changed", () => void this.#render());
    void this.#render();
  }

  async #render(): Promise<void> {
    const traceId = routeParams().get("id") ?? "";
    const body = h("div", { id: "trace-body" });
    this.replaceChildren(h("h2", {}, "Trace ", h("span", { class: "mono" }, traceId)), body);
    try {
      const { spans } = await callJson<{ spans: KeptSpan[] }>("GET", `/_sim/traces/${encodeURIComponent(traceId)}`);
      const start = Math.min(...spans.map((span) => span.startMs));
      const end = Math.max(...spans.map((span) => span.startMs + span.durationMs));
      const total = Math.max(end - start, 0.001);
      body.append(
        h("p", { class: "muted" }, `${spans.length} spans over ${total.toFixed(1)} ms of real time.`),
        h(
          "table",
          { id: "trace-spans", class: "waterfall" },
          h("thead", {}, h("tr", {}, h("th", {}, "Span"), h("th", {}, "ms"), h("th", { style: "width: 45%" }, ""))),
          h(
            "tbody",
            {},
            ...treeOrder(spans).map(({ span, depth }) =>
              h(
                "tr",
                {
                  class: span.status === "error" ? "error" : undefined,
                  title: JSON.stringify(span.attributes, null, 1),
                },
                h("td", { style: `padding-left: ${0.5 + depth}em` }, span.name, span.error ? ` — ${span.error}` : ""),
                h("td", { class: "mono" }, span.durationMs.toFixed(2)),
                h(
                  "td",
                  {},
                  h("div", {
                    class: `bar ${span.kind}`,
                    style: `margin-left: ${(((span.startMs - start) / total) * 100).toFixed(2)}%; width: ${Math.max((span.durationMs / total) * 100, 0.3).toFixed(2)}%`,
                  }),
                ),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      body.append(h("p", { class: "error" }, (error as Error).message));
    }
  }
}

customElements.define("ecom-trace", TraceWaterfall);
