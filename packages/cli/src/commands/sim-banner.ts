import { withoutCredentials } from "../options.js";

/** What `sim up` tells about the platform it started, for {@link simBanner}. */
export interface SimBannerFacts {
  readonly url: string;
  readonly seconds: string;
  readonly contexts: readonly string[];
  /** The contexts whose REST contract the generated code holds, and the proto services it holds. */
  readonly restContracts: readonly string[];
  readonly rpcServices: Readonly<Record<string, unknown>>;
  readonly dataDir: string | undefined;
  readonly backends: { readonly storeUrl: string; readonly busUrl: string } | undefined;
  readonly seed: number | undefined;
  readonly trace: { readonly kept: boolean; readonly traceUrl: string | undefined };
  readonly feed: { readonly url: string; readonly topics: string; readonly embedded: boolean } | undefined;
  readonly loopback: boolean;
  readonly host: string;
  readonly devAccounts: {
    readonly admin: { readonly email: string; readonly password: string; readonly token: string };
    readonly customer: { readonly email: string; readonly password: string; readonly token: string };
  };
}

/** The lines `sim up` prints once the platform answers: where everything is, and how to sign in. */
export function simBanner(facts: SimBannerFacts): string[] {
  const { url, dataDir, devAccounts } = facts;
  const { admin, customer } = devAccounts;
  return [
    `ecom simulator ready in ${facts.seconds}s — ${facts.contexts.length} contexts on ${url}`,
    "",
    `  Console     ${url}/  (API and events references, context map, live events, checkout timelines; npx ecom open)`,
    `  Contracts   ${url}/openapi.json  ·  ${url}/asyncapi.json  (every context joined)`,
    `  REST        ${url}/search?q=history  (${restCoverage(facts.restContracts, facts.contexts)})`,
    `  Connect     ${url}/ecom.catalog.v1.CatalogService/GetProduct  (Connect, gRPC-web and gRPC; contracts/proto: ${rpcContexts(facts.rpcServices)})`,
    `  GraphQL     ${url}/graphql  (POST {"query":"{ products { title inventory { available } } }"}; contracts/graphql, read-only)`,
    `  Events      ${url}/_sim/events  (SSE, every event; ?types= ?correlationId= ?since=)  ·  ${url}/_sim/log (JSON)`,
    `  Clock       POST ${url}/_sim/clock/advance {"by":"15m"}   Faults  POST ${url}/_sim/faults`,
    `  Settle      POST ${url}/_sim/settle  (answers once every event is delivered and every saga ended; {"timeout":"2m"})`,
    `  Mailbox     ${url}/_sim/mailbox  (the e-mail customers were sent; ?to= ?customerId=; fault {"emailChannelDown":true})`,
    `  SOAP        ${url}/_sim/processor/soap?wsdl  (the payment processor's SOAP interface, asked first; fault {"soapProcessorDown":true})`,
    `  Webhooks    POST ${url}/webhooks/subscriptions  (admin; signed per Standard Webhooks; http only on localhost, 127.0.0.1, [::1])`,
    ...traceLines(url, facts.trace.kept, facts.trace.traceUrl),
    `  Health      ${url}/healthz  ·  ${url}/metrics (Prometheus)  ·  npx ecom sim status${dataDir ? ` --data ${dataDir}` : ` --url ${url}`}`,
    ...(facts.feed
      ? [
          `  MQTT        ${facts.feed.topics} on ${facts.feed.url} (${facts.feed.embedded ? "embedded broker" : "--mqtt"}; QoS 1) → inventory's stock.adjust; dead letters ${url}/_sim/device-feed`,
        ]
      : []),
    facts.loopback
      ? "  Access      every /_sim route is open: the port only listens on this machine (loopback)"
      : `  Access      ${facts.host} is not loopback: /_sim routes need the admin token, except GET /_sim/clock and GET /_sim/faults`,
    `  Data        ${dataLine(dataDir, facts.backends)}${facts.seed === undefined ? "" : `  ·  seed ${facts.seed}`}`,
    "",
    `  Admin token     (log in as ${admin.email} / ${admin.password})`,
    `    export ECOM_ADMIN_TOKEN=${admin.token}`,
    `  Customer token  (log in as ${customer.email} / ${customer.password})`,
    `    export ECOM_TOKEN=${customer.token}`,
    "  Tokens last 15 minutes of platform time; log in again with POST /auth/login.",
    "",
    `  Try: npx ecom checkout --url ${url} --until delivered`,
    `  Stop: Ctrl-C${dataDir ? " (state is kept in the data folder)" : ""}.`,
  ];
}

/** The banner's Data line. */
function dataLine(dataDir: string | undefined, backends: { storeUrl: string; busUrl: string } | undefined): string {
  if (backends) {
    const store = new URL(backends.storeUrl);
    // Never the password a URL may carry.
    return `PostgreSQL ${store.host}${store.pathname} (a schema per context)  ·  NATS JetStream ${new URL(backends.busUrl).host}`;
  }
  return dataDir ?? "in memory (nothing is kept)";
}

/**
 * What the banner says of REST: every context's contract is served, or which contexts' operations answer 501
 * because no running context implements them (a contract ahead of its code).
 */
export function restCoverage(contracted: readonly string[], running: readonly string[]): string {
  const missing = contracted.filter((name) => !running.includes(name));
  const served = contracted.filter((name) => running.includes(name));
  return missing.length === 0
    ? `contracts/openapi/*.yaml of every context: ${served.join(", ")}`
    : `contracts/openapi/*.yaml of ${served.join(", ")}; the operations of ${missing.join(", ")} answer 501`;
}

/** The contexts whose proto services the generated code holds (`ecom.<context>.v1.…`), for the banner. */
function rpcContexts(services: Readonly<Record<string, unknown>>): string {
  return Object.keys(services)
    .map((name) => name.split(".")[1])
    .join(", ");
}

/** The banner's line on traces, when anything traces. */
function traceLines(url: string, kept: boolean, traceUrl: string | undefined): string[] {
  const otlp = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const where = [
    ...(kept ? [`${url}/_sim/traces/{traceId} (the latest spans, in memory)`] : []),
    ...(otlp ? [`OTLP to ${withoutCredentials(otlp)}`] : []),
    ...(traceUrl ? [`console links to ${traceUrl}`] : []),
  ];
  return kept || otlp ? [`  Traces      ${where.join("  ·  ")}`] : [];
}
