import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openBareCheckout } from "./bare-checkout.js";
import { atUrl, type BenchCustomer, checkOut, prepareCustomers } from "./customers.js";
import { type Figure, formatMicros } from "./report.js";
import { forkServer, type ServerProcess } from "./server-process.js";
import { formatSqlTrace, formatTableGrowth, tableBytes } from "./sql-report.js";

/** Every customer checks out `rounds` times, all customers at once. */
export async function checkoutRounds(customers: readonly BenchCustomer[], rounds: number): Promise<void> {
  await Promise.all(
    customers.map(async (customer) => {
      for (let round = 0; round < rounds; round++) await checkOut(customer);
    }),
  );
}

/** Time and CPU of the server for `work`, which ends with every event delivered. */
async function measured(server: ServerProcess, work: () => Promise<void>) {
  const before = await server.usage();
  const started = performance.now();
  await work();
  await server.settle();
  const seconds = (performance.now() - started) / 1000;
  const after = await server.usage();
  return {
    seconds,
    cpuMicros: after.cpuMicros - before.cpuMicros,
    bytes: after.written.bytes - before.written.bytes,
    calls: after.written.calls - before.written.calls,
  };
}

/** Bytes and write calls of this process so far (Linux's /proc/self/io; zeros elsewhere). */
function written(): { bytes: number; calls: number } {
  try {
    const io = readFileSync("/proc/self/io", "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(io)?.[1] ?? 0);
    return { bytes: field("wchar"), calls: field("syscw") };
  } catch {
    return { bytes: 0, calls: 0 };
  }
}

/** The bare transaction's rate, CPU and (in a file) bytes written, over about `seconds`. */
function bareCheckouts(file: string, seconds: number) {
  const bare = openBareCheckout(file);
  for (let index = 0; index < 200; index++) bare.run(index);
  const cpu = process.cpuUsage();
  const io = written();
  const started = performance.now();
  let count = 0;
  while (performance.now() - started < seconds * 1000) {
    for (let batch = 0; batch < 100; batch++) bare.run(1000 + count++);
  }
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const after = written();
  bare.close();
  return {
    perSecond: count / elapsed,
    cpuMicros: (used.user + used.system) / count,
    bytes: (after.bytes - io.bytes) / count,
    calls: (after.calls - io.calls) / count,
  };
}

function folderBytes(folder: string): number {
  return readdirSync(folder).reduce((sum, name) => sum + statSync(join(folder, name)).size, 0);
}

/**
 * Checkouts through REST by `customers` at once, on the simulator's defaults (a data folder, validation on), beside
 * the bare transaction on a file with the same settings; then what a checkout writes (system calls of the server
 * process) and keeps (the folder's growth, measured after a clean close) against the bare transaction's.
 */
export async function benchCheckouts(options: { customers: number; rounds: number }): Promise<Figure[]> {
  const folder = mkdtempSync(join(tmpdir(), "ecom-bench-"));
  const bareFolder = mkdtempSync(join(tmpdir(), "ecom-bench-bare-"));
  try {
    let server = await forkServer({ server: "platform", dataDir: folder });
    const customers = await prepareCustomers(server.url, options.customers);
    await checkoutRounds(customers, 1);
    await server.close();
    const keptBefore = folderBytes(folder);
    const tracing = Boolean(process.env.ECOM_SQL_TRACE);
    const tablesBefore = tracing ? tableBytes(folder) : undefined;
    server = await forkServer({ server: "platform", dataDir: folder });
    // The server moved to another port; the customers' tokens still hold (the folder keeps the secret).
    const reconnected = customers.map((customer) => atUrl(customer, server.url));
    // One round before measuring, so the figures are a running server's, not the first seconds of a new process
    // (V8 still compiling the hot paths), as the bare transaction runs 200 times before it is timed.
    await checkoutRounds(reconnected, 1);
    await server.settle();
    await server.sqlTrace();
    const ecom = await measured(server, () => checkoutRounds(reconnected, options.rounds));
    const count = options.customers * options.rounds;
    const trace = await server.sqlTrace();
    await server.close();
    // Every checkout of this server's life, the warming round's too, is in the folder's growth. Measured before the
    // trace's tables are read: opening a store leaves its -shm file (32 KiB each) in the folder.
    const keptPerCheckout = (folderBytes(folder) - keptBefore) / (count + options.customers);
    if (tablesBefore) {
      process.stderr.write(`${formatSqlTrace(trace, count, Number(process.env.ECOM_SQL_TOP ?? 25))}\n\n`);
      process.stderr.write(`${formatTableGrowth(tablesBefore, tableBytes(folder), count + options.customers)}\n\n`);
    }
    const bare = bareCheckouts(join(bareFolder, "bare.db"), 1);
    const perSecond = count / ecom.seconds;
    const cpuPerCheckout = ecom.cpuMicros / count;
    return [
      {
        name: `checkouts/s through REST, ${options.customers} customers at once, cart → PAID, all events delivered`,
        value: perSecond,
        limit: bare.perSecond,
        unit: "/s",
        limitName: "bare SQLite checkout transaction (8 inserts + 3 updates)",
        higherIsBetter: true,
        target: "≥ 15 %",
        met: perSecond / bare.perSecond >= 0.15,
        cpu: { ecom: formatMicros(cpuPerCheckout), limit: formatMicros(bare.cpuMicros) },
      },
      {
        name: "CPU per checkout",
        value: cpuPerCheckout / 1000,
        limit: bare.cpuMicros / 1000,
        unit: "ms",
        limitName: "one bare transaction",
        higherIsBetter: false,
        target: "≤ 2 ms",
        met: cpuPerCheckout <= 2000,
      },
      {
        name: "data written per checkout",
        value: ecom.bytes / count / 1024,
        limit: bare.bytes / 1024,
        unit: "kB",
        limitName: "bare transaction",
        higherIsBetter: false,
        target: "—",
        met: true,
        cpu: {
          ecom: `${Math.round(ecom.calls / count)} write calls`,
          limit: `${Math.round(bare.calls)} write calls`,
        },
      },
      {
        name: "data kept per checkout (the data folder after a clean close)",
        value: keptPerCheckout / 1024,
        limit: 10,
        unit: "kB",
        limitName: "the issue's bound",
        higherIsBetter: false,
        target: "≤ 10 kB",
        met: keptPerCheckout <= 10 * 1024,
      },
    ];
  } finally {
    rmSync(folder, { recursive: true, force: true });
    rmSync(bareFolder, { recursive: true, force: true });
  }
}
