import type { ContextMetrics } from "@ecom/services/platform";
import type { EventLogReader, LoggedEvent } from "../bus/event-bus.js";
import type { RequestLogEntry } from "../request-log.js";

/** One context's figures, read when `/metrics` is scraped. */
export interface ContextFigures {
  readonly name: string;
  /** Events in the context's outbox that the relay has not moved to the log yet. */
  readonly outboxPending: number;
  /** Events of the log its subscriptions have yet to handle (capped as `/healthz` caps it). */
  readonly subscriptionLag: number;
  readonly deadLetters: number;
}

/** What the platform's metrics read and are told. */
export interface PlatformMetricsOptions {
  readonly eventLog: EventLogReader;
  /** The operation a request was for, as a label of bounded cardinality (an operationId, never a raw path). */
  readonly operationOf: (method: string, url: string) => string;
  readonly contexts: () => Promise<readonly ContextFigures[]>;
}

/** The platform's metrics, served as `GET /metrics` in Prometheus' text format. */
export interface PlatformMetrics {
  /** What the contexts count themselves (given to them in their runtime). */
  readonly context: ContextMetrics;
  /** A finished request, from the port's request hook. */
  observeRequest(entry: RequestLogEntry): void;
  render(): Promise<{ readonly contentType: string; readonly body: string }>;
  /** Stop following the event log. */
  close(): void;
}

const ORDER_CREATED = "ecommerce.order.order.created.v1";
const CHECKED_OUT = "ecommerce.cart.cart.checked_out.v1";
const STOCK_UNAVAILABLE = "ecommerce.inventory.stock.unavailable.v1";
const CHECKOUT_FAILED = "ecommerce.order.checkout.failed.v1";
/** Checkouts waiting for their order at once, at most: a flood of abandoned ones must not grow memory. */
const OPEN_CHECKOUTS = 10_000;
/**
 * How long after the first thing counted prom-client is loaded (unless a scrape asks first): long enough that a start
 * (the seed's events, the banner's logins, the first /healthz) does not pay for it, short enough that little waits.
 */
const LOAD_AFTER_MS = 1_000;

/** The prom-client registry and metrics, made once prom-client is loaded. */
function createInstruments({ Counter, Gauge, Histogram, Registry }: typeof import("prom-client")) {
  const registry = new Registry();
  return {
    registry,
    ordersCreated: new Counter({
      name: "orders_created_total",
      help: "Orders created (ecommerce.order.order.created.v1 appended to the event log).",
      registers: [registry],
    }),
    orderLatency: new Histogram({
      name: "order_creation_latency_ms",
      help: "Real milliseconds from a checkout (cart.checked_out) to its order.created, both as appended to the log.",
      buckets: [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers: [registry],
    }),
    reservationFailures: new Counter({
      name: "inventory_reservation_failures_total",
      help: "Reservations refused for want of stock (ecommerce.inventory.stock.unavailable.v1).",
      registers: [registry],
    }),
    webhookRetries: new Counter({
      name: "webhook_retry_attempts_total",
      help: "Webhook attempts after a delivery's first: retries on the schedule and redeliveries.",
      registers: [registry],
    }),
    events: new Counter({
      name: "ecom_events_appended_total",
      help: "Events appended to the platform's event log, by producer.",
      labelNames: ["producer"],
      registers: [registry],
    }),
    requests: new Counter({
      name: "ecom_http_requests_total",
      help: "Requests the port answered, by operation (REST operationId, RPC method, or the simulator's own route) and status.",
      labelNames: ["operation", "status"],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: "ecom_http_request_duration_ms",
      help: "Real milliseconds from a request's arrival to the end of its response, by operation.",
      labelNames: ["operation"],
      buckets: [1, 2.5, 5, 10, 25, 50, 100, 250, 1000],
      registers: [registry],
    }),
    outboxPending: new Gauge({
      name: "ecom_relay_pending_events",
      help: "Events in a context's outbox not yet relayed to the event log.",
      labelNames: ["context"],
      registers: [registry],
    }),
    subscriptionLag: new Gauge({
      name: "ecom_subscription_lag_events",
      help: "Events of the log a context's subscriptions have yet to handle (counted up to 1,000).",
      labelNames: ["context"],
      registers: [registry],
    }),
    deadLetters: new Gauge({
      name: "ecom_dead_letters",
      help: "Events a context dead-lettered after its handler failed three times.",
      labelNames: ["context"],
      registers: [registry],
    }),
  };
}
type Instruments = ReturnType<typeof createInstruments>;

/**
 * Seed 004's business metrics and the runtime's own. What the event log says is counted as events are appended
 * (one listener, no store reads); lags and dead letters are read from the stores when scraped. Counters start at
 * zero with the process, as Prometheus expects of counters. prom-client (with the OpenTelemetry API it loads, some
 * ninety modules) is loaded a second after the first thing counted (or by the first scrape), not with the platform nor
 * on the way to the first /healthz answer; what is counted until then is applied once it has loaded.
 */
export function createPlatformMetrics(options: PlatformMetricsOptions): PlatformMetrics {
  let instruments: Instruments | undefined;
  let loading: Promise<Instruments> | undefined;
  const waiting: ((instruments: Instruments) => void)[] = [];
  const load = () => {
    loading ??= import("prom-client").then((client) => {
      const made = createInstruments(client);
      instruments = made;
      for (const update of waiting.splice(0)) update(made);
      return made;
    });
    return loading;
  };
  let loadTimer: ReturnType<typeof setTimeout> | undefined;
  const count = (update: (instruments: Instruments) => void) => {
    if (instruments) return update(instruments);
    waiting.push(update);
    if (loadTimer === undefined && loading === undefined) {
      loadTimer = setTimeout(() => void load().catch(() => {}), LOAD_AFTER_MS);
      // A process that is done need not stay for it.
      loadTimer.unref();
    }
  };

  const requestCounters = new Map<string, ReturnType<Instruments["requests"]["labels"]>>();
  const requestTimers = new Map<string, ReturnType<Instruments["requestDuration"]["labels"]>>();
  const openCheckouts = new Map<string, number>();
  const onAppended = (appended: readonly LoggedEvent[]) => {
    for (const event of appended) {
      count((m) => m.events.inc({ producer: event.producer }));
      if (event.eventType === CHECKED_OUT) {
        if (openCheckouts.size >= OPEN_CHECKOUTS) openCheckouts.delete(openCheckouts.keys().next().value!);
        openCheckouts.set(event.correlationId, performance.now());
      } else if (event.eventType === ORDER_CREATED) {
        count((m) => m.ordersCreated.inc());
        const started = openCheckouts.get(event.correlationId);
        if (started !== undefined) {
          const latency = performance.now() - started;
          count((m) => m.orderLatency.observe(latency));
        }
        openCheckouts.delete(event.correlationId);
      } else if (event.eventType === CHECKOUT_FAILED) {
        openCheckouts.delete(event.correlationId);
      }
      if (event.eventType === STOCK_UNAVAILABLE) count((m) => m.reservationFailures.inc());
    }
  };
  const unwatch = options.eventLog.watch(onAppended);

  return {
    context: { webhookRetryAttempted: () => count((m) => m.webhookRetries.inc()) },
    observeRequest(entry) {
      const operation = options.operationOf(entry.method, entry.url);
      count((m) => {
        // prom-client hashes a label set at each call; each operation's series are looked up once and kept (the
        // operations are the contracts' names, so the maps stay as small as the series themselves).
        const key = `${operation} ${entry.status}`;
        let counted = requestCounters.get(key);
        if (!counted) {
          counted = m.requests.labels({ operation, status: String(entry.status) });
          requestCounters.set(key, counted);
        }
        counted.inc();
        let timed = requestTimers.get(operation);
        if (!timed) {
          timed = m.requestDuration.labels({ operation });
          requestTimers.set(operation, timed);
        }
        timed.observe(entry.durationMs);
      });
    },
    async render() {
      const m = await load();
      // Gauges are set from a fresh reading on each scrape: a context that is gone or caught up shows 0, not its past.
      m.outboxPending.reset();
      m.subscriptionLag.reset();
      m.deadLetters.reset();
      for (const context of await options.contexts()) {
        m.outboxPending.set({ context: context.name }, context.outboxPending);
        m.subscriptionLag.set({ context: context.name }, context.subscriptionLag);
        m.deadLetters.set({ context: context.name }, context.deadLetters);
      }
      return { contentType: m.registry.contentType, body: await m.registry.metrics() };
    },
    close() {
      clearTimeout(loadTimer);
      unwatch();
    },
  };
}
