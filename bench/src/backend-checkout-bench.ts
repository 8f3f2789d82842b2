import { allContexts } from "@ecom/services";
import { barePostgresCheckouts } from "./bare-postgres-checkout.js";
import { checkoutRounds } from "./checkout-bench.js";
import { prepareCustomers } from "./customers.js";
import { type Figure, formatMicros } from "./report.js";
import {
  createScratchBackends,
  dropAbandonedScratch,
  type ScratchBackends,
  whyBackendsAreMissing,
} from "./scratch-backends.js";
import { forkServer, type ServerProcess } from "./server-process.js";

/** How `ecom serve` processes share the contexts in the split row (as the split checkout test shares them). */
const SHARES: readonly (readonly string[])[] = [
  ["order", "payment"],
  ["inventory", "cart", "customer"],
  ["catalog", "search", "promotion", "fulfilment", "review", "notification", "analytics"],
];

interface Options {
  readonly customers: number;
  readonly rounds: number;
  /** How long the bare transaction runs, in seconds. */
  readonly bareSeconds: number;
}

/** What one configuration measured: checkouts per second and the CPU of its Node processes per checkout. */
interface Measured {
  readonly perSecond: number;
  readonly cpuMicros: number;
}

/**
 * Checkouts on PostgreSQL + NATS JetStream: every context in one process (as `ecom sim up --store --bus` runs them),
 * then split over three processes (as `ecom serve --contexts …` runs them) behind a gateway (as `ecom gateway`), each
 * on a database and namespace of its own made for this run and dropped after it; beside the bare PostgreSQL
 * transaction of the same writes, `customers` at once. Without PostgreSQL or NATS, one line says why and no row is
 * reported.
 */
export async function benchBackendCheckouts(options: Options): Promise<Figure[]> {
  const missing = await whyBackendsAreMissing();
  if (missing !== undefined) {
    process.stdout.write(`bench: the PostgreSQL + NATS checkout rows were skipped: ${missing}\n`);
    return [];
  }
  const abandoned = await dropAbandonedScratch();
  if (abandoned.length > 0) process.stderr.write(`bench: dropped what stopped runs left: ${abandoned.join(", ")}\n`);
  const oneProcess = await withScratch((backends) => checkoutsInOneProcess(backends, options));
  const split = await withScratch((backends) => checkoutsSplit(backends, options));
  const bare = await withScratch(async ({ storeUrl }) => {
    const at = (synchronousCommit: boolean, firstIndex: number) =>
      barePostgresCheckouts({
        url: storeUrl,
        connections: options.customers,
        seconds: options.bareSeconds,
        synchronousCommit,
        firstIndex,
      });
    return { durable: await at(true, 0), unsynced: await at(false, 10_000_000) };
  });
  const limitName = `bare PostgreSQL checkout transaction (8 inserts + 3 updates, ${options.customers} at once)`;
  const note =
    `PostgreSQL commits wait for the WAL's fsync (synchronous_commit on, as the stores run): the bare transaction ` +
    `with synchronous_commit off ran ${Math.round(bare.unsynced.perSecond).toLocaleString("en-US")}/s, against ` +
    `${Math.round(bare.durable.perSecond).toLocaleString("en-US")}/s with it. A checkout commits about eighteen ` +
    "transactions across the contexts' stores, each waiting for its flush (concurrent commits may share one), where " +
    "SQLite's WAL at synchronous NORMAL syncs only at checkpoints; and each event crosses NATS to its subscribers. " +
    "CPU is that of ecom's Node processes and of the bare client; PostgreSQL's and NATS's own is counted in neither.";
  const row = (name: string, measured: Measured): Figure => ({
    name,
    value: measured.perSecond,
    limit: bare.durable.perSecond,
    unit: "/s",
    limitName,
    higherIsBetter: true,
    target: "—",
    met: true,
    cpu: { ecom: formatMicros(measured.cpuMicros), limit: formatMicros(bare.durable.cpuMicros) },
    note,
  });
  return [
    row(
      `checkouts/s on PostgreSQL + NATS JetStream, one process, ${options.customers} customers at once, cart → PAID, all events delivered`,
      oneProcess,
    ),
    row(`the same, split over 3 ecom serve processes behind ecom gateway (CPU: the 4 processes)`, split),
  ];
}

async function withScratch<T>(work: (backends: ScratchBackends) => Promise<T>): Promise<T> {
  const backends = await createScratchBackends();
  try {
    return await work(backends);
  } finally {
    await backends.drop();
  }
}

/** Checkouts through REST of a platform of every context in one process on `backends`. */
async function checkoutsInOneProcess(backends: ScratchBackends, options: Options): Promise<Measured> {
  const { storeUrl, busUrl, namespace } = backends;
  const server = await forkServer({ server: "platform", backends: { storeUrl, busUrl, namespace } });
  try {
    return await measuredCheckouts([server], server.url, options);
  } finally {
    await server.close();
  }
}

/** Checkouts through a gateway in front of three processes, each serving a share of the contexts on `backends`. */
async function checkoutsSplit(backends: ScratchBackends, options: Options): Promise<Measured> {
  const { storeUrl, busUrl, namespace } = backends;
  const servers: ServerProcess[] = [];
  try {
    // One after another: the first makes the database's roles, each migrates and seeds its own contexts.
    for (const contexts of SHARES)
      servers.push(await forkServer({ server: "platform", backends: { storeUrl, busUrl, namespace }, contexts }));
    const gateway = await forkServer({ server: "gateway", backends: { storeUrl, busUrl, namespace } });
    servers.push(gateway);
    return await measuredCheckouts(servers, gateway.url, options);
  } finally {
    for (const server of servers.reverse()) await server.close();
  }
}

/**
 * Prepare the customers at `url`, check out once each (warming up), then measure `rounds` checkouts each until every
 * process in `servers` is quiet: checkouts per second, and the CPU every process used per checkout.
 */
async function measuredCheckouts(servers: readonly ServerProcess[], url: string, options: Options): Promise<Measured> {
  const customers = await prepareCustomers(url, options.customers);
  await checkoutRounds(customers, 1);
  await settleAll(servers);
  const cpuOf = async () =>
    (await Promise.all(servers.map((server) => server.usage()))).reduce((sum, usage) => sum + usage.cpuMicros, 0);
  const before = await cpuOf();
  const started = performance.now();
  await checkoutRounds(customers, options.rounds);
  await settleAll(servers);
  const seconds = (performance.now() - started) / 1000;
  const count = options.customers * options.rounds;
  return { perSecond: count / seconds, cpuMicros: ((await cpuOf()) - before) / count };
}

/**
 * Settle every process until a pass in which the log did not grow: one process's events are delivered to another's
 * contexts, whose handling may append more.
 */
async function settleAll(servers: readonly ServerProcess[]): Promise<void> {
  let last = -1;
  for (let pass = 0; pass < 100; pass++) {
    const newest = Math.max(...(await Promise.all(servers.map((server) => server.settle()))));
    if (newest === last) return;
    last = newest;
  }
  throw new Error("the processes did not settle: the log kept growing");
}

/** The context names the split shares cover: every context, each once (checked at load, so a new context is seen). */
const shared = SHARES.flat();
if (shared.length !== allContexts.length || !allContexts.every((module) => shared.includes(module.name)))
  throw new Error(`the bench's split shares (${shared.join(", ")}) must name every context once`);
