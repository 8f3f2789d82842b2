import { h } from "./dom.js";
import { callJson, readLog } from "./platform-api.js";

/** What `GET /_sim/traces` says of the platform's tracing. */
export interface TracingSettings {
  readonly enabled: boolean;
  /** Whether `ecom sim up --trace` keeps spans for the console's waterfall. */
  readonly keptSpans: boolean;
  /** A trace UI's URL, `{traceId}` standing for the id. */
  readonly traceUrl?: string;
}

/**
 * An order's trace: the trace id its flow's events carry (the order.created envelope's, the one the whole checkout
 * shares when the platform traces) and links to the console's waterfall and to the configured trace UI.
 */
export async function traceLinkOf(correlationId: string): Promise<HTMLElement> {
  const [events, settings] = await Promise.all([
    readLog({ correlationId, limit: 1000 }),
    callJson<TracingSettings>("GET", "/_sim/traces"),
  ]);
  const created = events.find((event) => event.eventType === "ecommerce.order.order.created.v1") ?? events[0];
  const traceId = (created as { traceId?: string } | undefined)?.traceId;
  if (!traceId) return h("p", { class: "muted", id: "order-trace" }, "No events of this order yet.");
  const links: (HTMLElement | string)[] = [];
  if (settings.keptSpans)
    links.push(h("a", { href: `#/trace?id=${traceId}`, id: "order-trace-waterfall" }, "waterfall →"));
  if (settings.traceUrl)
    links.push(
      h(
        "a",
        {
          href: settings.traceUrl.replace("{traceId}", traceId),
          target: "_blank",
          rel: "noopener",
          id: "order-trace-ui",
        },
        "open in the trace UI ↗",
      ),
    );
  if (!settings.enabled)
    links.push(
      h(
        "span",
        { class: "muted" },
        "(not traced: start the simulator with --trace, or with OTEL_EXPORTER_OTLP_ENDPOINT set, to record spans)",
      ),
    );
  return h(
    "p",
    { id: "order-trace" },
    "Trace ",
    h("span", { class: "mono", id: "order-trace-id" }, traceId),
    " ",
    ...links.flatMap((link) => [link, " "]),
  );
}
